//! End to end (issue 15): `opsdeck demo --present` in tmux — the banner, redaction of a pod's
//! addresses, the incident clock, freeze, and arming on a protected context, with the audit
//! log it leaves.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, opsdeck_command};

const WAIT: Duration = Duration::from_secs(30);

/// An IPv4 address anywhere on the screen.
fn has_ipv4(screen: &str) -> bool {
    let re = regex::Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    re.is_match(screen)
}

#[test]
fn demo_present_redacts_keeps_the_incident_clock_freezes_and_arms() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[safety]\naudit_log = \"{}\"\nprotected_contexts = [\"opsdeck-*\"]\n",
            audit.display()
        ),
    )
    .unwrap();
    let args = format!("demo --present --config {}", config.display());
    let tmux = Tmux::start("present", 120, 40, &opsdeck_command(dir.path(), &args));
    let s = tmux.wait_for("the banner and pods", WAIT, |s| {
        s.lines().next().is_some_and(|l| l.contains("PRESENTING"))
            && s.contains("Running")
            && s.contains("M leave presentation")
    });
    assert!(s.contains("ctx opsdeck-sim"), "{s}");
    assert!(!s.contains("NODE"), "detail columns drop out:\n{s}");

    // The pod detail shows addresses: hidden.
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the pod detail, redacted", WAIT, |s| {
        s.contains("pod IP ‹ip›")
    });
    assert!(!has_ipv4(&s), "an address on the shared screen:\n{s}");
    tmux.keys(&["Escape"]);

    // The incident clock.
    tmux.keys(&[":"]);
    tmux.type_text("incident start checkout-latency");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the incident clock", WAIT, |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.contains("INCIDENT checkout-latency 00:00:0"))
    });

    // Freeze: the banner says so, F resumes.
    tmux.keys(&["F"]);
    tmux.wait_for("frozen", WAIT, |s| {
        s.contains("FROZEN") && s.contains("F resumes")
    });
    tmux.keys(&["F"]);
    tmux.wait_for("resumed", WAIT, |s| !s.contains("FROZEN"));

    // Arming: a wrong name refuses, the right one arms and opens the dialog.
    tmux.keys(&["r"]);
    tmux.wait_for("the arming prompt", WAIT, |s| {
        s.contains("ARM opsdeck-sim — type the context name to allow delete pod")
    });
    tmux.type_text("opsdeck-prod");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the refusal", WAIT, |s| {
        s.contains("refused: that is not the context name (opsdeck-sim)")
    });
    tmux.keys(&["r"]);
    tmux.wait_for("the arming prompt again", WAIT, |s| {
        s.contains("ARM opsdeck-sim")
    });
    tmux.type_text("opsdeck-sim");
    tmux.keys(&["Enter"]);
    tmux.wait_for("armed, and the dialog", WAIT, |s| {
        (s.contains("ARMED 10:00") || s.contains("ARMED 9:5")) && s.contains("Restart pod")
    });
    tmux.keys(&["n"]);
    tmux.keys(&[":"]);
    tmux.type_text("disarm");
    tmux.keys(&["Enter"]);
    tmux.wait_for("disarmed", WAIT, |s| {
        s.contains("disarmed opsdeck-sim") && !s.contains("ARMED")
    });
    tmux.keys(&[":"]);
    tmux.type_text("incident end");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the incident ended", WAIT, |s| {
        s.contains("incident checkout-latency ended after")
    });

    tmux.keys(&["q"]);
    tmux.wait_exit(WAIT);
    let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
    assert_eq!(status.trim(), "0", "opsdeck exit status");
    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(&str, &str)> = lines
        .iter()
        .map(|v| (v["action"].as_str().unwrap(), v["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("incident start", "done"),
            ("arm", "refused"),
            ("arm", "done"),
            ("disarm", "done"),
            ("incident end", "done"),
        ],
        "{log}"
    );
    assert!(
        !log.contains("opsdeck-prod"),
        "the typed text is not recorded: {log}"
    );
    assert!(lines.iter().all(|v| v["context"] == "opsdeck-sim"));
    // Everything sent while the incident was open names it.
    for v in &lines[..4] {
        assert_eq!(v["incident"], "checkout-latency", "{v}");
    }
}
