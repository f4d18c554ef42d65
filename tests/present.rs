//! On the call and on prod (issue 15): presentation mode (redaction, banner, fewer columns,
//! call keys), the frozen screen, the incident window, and arming destructive actions on
//! protected contexts, with the audit lines they produce.

mod alerts_common;
mod common;
mod keys;

use crossterm::event::KeyCode;
use jiff::SignedDuration;
use keys::{Press, code};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::logs::{line_of, pod_request, pod_source};
use common::{live_state, now, row};
use opsdeck::action::{Action, Pane};
use opsdeck::command::{Command, Note};
use opsdeck::config::keymap::Keymap;
use opsdeck::exec::audit::AuditLog;
use opsdeck::state::ui::{Input, Overlay};
use opsdeck::state::{AppState, Effect};
use opsdeck::ui::Screen;
use opsdeck::ui::theme::Theme;
use opsdeck::update::{Outcome, Update};

/// Logs with addresses, mail, tokens and a URL with credentials, on the zoomed log pane.
fn leaky_logs() -> AppState {
    let mut state = live_state();
    state.ui.focus = Pane::Logs;
    state.ui.zoomed = true;
    state.logs.start(pod_request(1));
    let src = pod_source("checkout-7d9f-abcde");
    let raw = [
        "INFO  connected to 10.0.2.17:5432 from 192.168.7.1",
        "WARN  retry upstream [fd00:10:244::1a2b]:8080 for alice.smith@example.com",
        "INFO  GET /api/v1/cart Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdef",
        "ERROR dial https://svc:hunter2@payments.internal/charge failed",
        "INFO  order 4711 for customer cust-204518 shipped",
    ];
    let lines = raw
        .iter()
        .enumerate()
        .map(|(i, t)| line_of(&src, i as i64, t))
        .collect();
    state.apply(Update::LogLines { tail: 1, lines });
    state
}

fn present(state: &mut AppState) {
    let custom = ["cust-[0-9]{6}"];
    state.present.redactor = std::sync::Arc::new(opsdeck::redact::Redactor::presentation(
        &["https://10.96.0.1:6443"],
        opsdeck::redact::DEFAULT_PATTERNS,
        &custom,
    ));
    let effects = state.handle(Action::TogglePresentation);
    assert_eq!(effects.first(), Some(&Effect::Present(true)));
}

/// The screen as a screen-sharing user sees it (through [`Screen`], as the app draws).
fn shot(screen: &mut Screen, state: &AppState, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::load("high-contrast", None, false).unwrap();
    terminal
        .draw(|f| {
            screen.draw(f, state, &theme, &Keymap::default());
        })
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn presentation_mode_redacts_every_pane_and_shows_the_banner() {
    let mut state = leaky_logs();
    let mut screen = Screen::default();
    let before = shot(&mut screen, &state, 100, 16);
    assert!(before.contains("10.0.2.17") && before.contains("alice.smith@example.com"));
    insta::assert_snapshot!("logs_before_presentation", before);
    present(&mut state);
    let after = shot(&mut screen, &state, 100, 16);
    for leak in [
        "10.0.2.17",
        "192.168.7.1",
        "fd00:10:244::1a2b",
        "alice.smith@example.com",
        "eyJhbGciOiJIUzI1NiJ9",
        "hunter2",
        "cust-204518",
    ] {
        assert!(
            !after.contains(leak),
            "{leak} on the shared screen:\n{after}"
        );
    }
    for marker in ["‹ip›", "‹email›", "‹secret›", "PRESENTING", "12:00:00 UTC"] {
        assert!(after.contains(marker), "{marker} missing:\n{after}");
    }
    insta::assert_snapshot!("logs_in_presentation", after);
    // Wrapped at a width that cuts an address over two rows: still hidden whole.
    state.press(code(KeyCode::Char('w')));
    let wrapped = shot(&mut screen, &state, 29, 16);
    for part in ["10.0.2", "192.168", "alice", "example.com", "hunter2"] {
        assert!(!wrapped.contains(part), "{part} on screen:\n{wrapped}");
    }
    // The state keeps the real lines: actions and search use them.
    let logs = &state.logs;
    assert!(
        (0..logs.view_len())
            .filter_map(|i| logs.view_seq(i))
            .filter_map(|seq| logs.line(seq))
            .any(|l| l.text.contains("alice.smith@example.com"))
    );
}

#[test]
fn presentation_drops_detail_columns_and_keeps_call_keys_in_the_footer() {
    let mut state = live_state();
    let mut screen = Screen::default();
    let normal = shot(&mut screen, &state, 120, 30);
    assert!(normal.contains("NODE"));
    present(&mut state);
    let call = shot(&mut screen, &state, 120, 30);
    insta::assert_snapshot!("pods_in_presentation_120x30", call);
    assert!(!call.contains("NODE"), "NODE drops out first");
    let footer = call.lines().nth(29).unwrap();
    for key in ["F freeze", "M leave presentation", "? help"] {
        assert!(footer.contains(key), "{key} missing: {footer}");
    }
    assert!(!footer.contains("restart"), "{footer}");
    // M again: the theme before, no banner.
    let effects = state.handle(Action::TogglePresentation);
    assert_eq!(effects.first(), Some(&Effect::Present(false)));
    assert!(!shot(&mut screen, &state, 120, 30).contains("PRESENTING"));
}

#[test]
fn the_export_is_redacted_while_presenting() {
    let mut state = live_state();
    let mut pod = row("shop", "mail-7d9f-abcde", "CrashLoopBackOff", 0, 1, 3);
    pod.last_exit = Some("Error: cannot reach 10.1.2.3 for ops@example.com".into());
    let scope = state.scope;
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(pod),
    });
    assert!(state.incident_report().contains("10.1.2.3"));
    present(&mut state);
    let report = state.incident_report();
    assert!(!report.contains("10.1.2.3") && !report.contains("ops@example.com"));
    assert!(
        report.contains("‹ip›") && report.contains("‹email›"),
        "{report}"
    );
}

#[test]
fn freeze_keeps_the_picture_while_the_state_changes() {
    let mut state = live_state();
    let mut screen = Screen::default();
    state.handle(Action::Freeze);
    let frozen = shot(&mut screen, &state, 100, 20);
    assert!(frozen.contains("FROZEN 12:00:00 — F resumes"), "{frozen}");
    // Data keeps arriving and keys still work: a new failing pod, the clock, a cursor move.
    let scope = state.scope;
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(row("shop", "brand-new-pod-x1", "CrashLoopBackOff", 0, 1, 9)),
    });
    state.tick(now() + SignedDuration::from_secs(5));
    state.press(code(KeyCode::Char('j')));
    assert!(state.pods.get("shop", "brand-new-pod-x1").is_some());
    let still = shot(&mut screen, &state, 100, 20);
    assert!(
        !still.contains("brand-new-pod-x1"),
        "the panes stay still:\n{still}"
    );
    let panes = |s: &str| s.lines().skip(3).take(14).collect::<Vec<_>>().join("\n");
    assert_eq!(panes(&frozen), panes(&still));
    // The banner and header are live: the clock moved on.
    assert!(still.contains("12:00:05 UTC"), "{still}");
    insta::assert_snapshot!("frozen_after_changes", still);
    // `?` still opens help over the frozen picture.
    state.press(code(KeyCode::Char('?')));
    assert!(shot(&mut screen, &state, 100, 20).contains("help"));
    state.press(code(KeyCode::Esc));
    // F resumes: the new pod shows.
    state.press(code(KeyCode::Char('F')));
    assert!(state.present.frozen.is_none());
    let live = shot(&mut screen, &state, 100, 20);
    assert!(live.contains("brand-new-pod-x1"), "{live}");
    assert!(!live.contains("FROZEN"));
}

fn note_of(effects: &[Effect]) -> Vec<Note> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(r) => match &r.command {
                Command::Note { note, .. } => Some(note.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The commands sent, without the RBAC reviews.
fn sent(effects: &[Effect]) -> Vec<Command> {
    common::rollouts::actions(effects)
}

fn type_line(state: &mut AppState, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        state.press(code(KeyCode::Char(c)));
    }
    state.press(code(KeyCode::Enter))
}

/// `prod-eu-1`, protected by the default globs.
fn protected() -> AppState {
    let mut state = live_state();
    state.safety.protected = vec!["*prod*".into(), "*prd*".into()];
    state.safety.arm_minutes = 10;
    state
}

#[test]
fn a_wrong_context_name_refuses_and_nothing_runs() {
    let mut state = protected();
    let effects = state.press(code(KeyCode::Char('r')));
    assert!(sent(&effects).is_empty(), "{effects:?}");
    assert!(matches!(state.ui.input, Input::Arm { .. }), "asks first");
    assert_eq!(state.ui.overlay, Overlay::None, "no dialog yet");
    let screen = common::draw(&state, 100, 20).backend().to_string();
    assert!(
        screen.contains("ARM prod-eu-1 — type the context name to allow delete pod"),
        "{screen}"
    );
    let effects = type_line(&mut state, "prod-eu-2");
    assert_eq!(state.ui.overlay, Overlay::None);
    assert_eq!(state.ui.input, Input::None);
    assert!(state.safety.armed.is_none());
    let notes = note_of(&effects);
    assert!(
        matches!(notes.as_slice(), [Note::ArmRefused { action }] if action.starts_with("delete pod ")),
        "{notes:?}"
    );
    // Only the audit note: no delete went out.
    assert_eq!(sent(&effects).len(), 1);
    assert!(
        state
            .ui
            .status
            .as_ref()
            .unwrap()
            .text
            .starts_with("refused")
    );
    // Esc in the prompt: nothing armed, nothing sent.
    state.press(code(KeyCode::Char('r')));
    assert!(sent(&state.press(code(KeyCode::Esc))).is_empty());
    assert!(state.safety.armed.is_none());
}

#[test]
fn the_right_name_arms_then_the_dialog_confirms_and_arming_expires() {
    let mut state = protected();
    state.press(code(KeyCode::Char('r')));
    let effects = type_line(&mut state, "prod-eu-1");
    assert_eq!(note_of(&effects), vec![Note::Armed { minutes: 10 }]);
    assert!(
        matches!(state.ui.overlay, Overlay::Confirm(_)),
        "then the dialog"
    );
    let header = common::draw(&state, 120, 30).backend().to_string();
    assert!(
        header.lines().next().unwrap().contains("ARMED 10:00"),
        "{header}"
    );
    // `y` sends the delete.
    let effects = state.press(code(KeyCode::Char('y')));
    assert!(matches!(
        sent(&effects).as_slice(),
        [Command::DeletePod { .. }]
    ));
    // Armed: the next one goes straight to its dialog.
    state.tick(now() + SignedDuration::from_secs(19));
    let header = common::draw(&state, 120, 30).backend().to_string();
    assert!(header.contains("ARMED 9:41"), "{header}");
    state.press(code(KeyCode::Char('r')));
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    state.press(code(KeyCode::Char('n')));
    // Ten minutes on: expired, written to the audit log, asked again.
    let effects = state.tick(now() + SignedDuration::from_mins(10));
    assert_eq!(note_of(&effects), vec![Note::Disarmed { expired: true }]);
    assert!(state.safety.armed.is_none());
    state.press(code(KeyCode::Char('r')));
    assert!(matches!(state.ui.input, Input::Arm { .. }));
}

#[test]
fn a_dialog_left_open_past_the_arming_asks_again_on_y() {
    let mut state = protected();
    state.press(code(KeyCode::Char('r')));
    type_line(&mut state, "prod-eu-1");
    state.tick(now() + SignedDuration::from_mins(11));
    let effects = state.press(code(KeyCode::Char('y')));
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, Effect::Run(r) if r.command.is_mutation())),
        "{effects:?}"
    );
    assert!(matches!(state.ui.input, Input::Arm { .. }));
}

#[test]
fn disarm_ends_it_early_and_unprotected_or_readonly_contexts_are_not_asked() {
    let mut state = protected();
    state.press(code(KeyCode::Char('r')));
    type_line(&mut state, "prod-eu-1");
    state.press(code(KeyCode::Char('n')));
    state.press(code(KeyCode::Char(':')));
    let effects = type_line(&mut state, "disarm");
    assert_eq!(note_of(&effects), vec![Note::Disarmed { expired: false }]);
    assert!(state.safety.armed.is_none());
    let header = common::draw(&state, 120, 30).backend().to_string();
    assert!(!header.contains("ARMED"));
    // Read-only: the dialog as before (the executor refuses); no arming asked.
    state.readonly = true;
    state.press(code(KeyCode::Char('r')));
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    state.press(code(KeyCode::Char('n')));
    // A context that matches no glob: straight to the dialog.
    let mut staging = live_state();
    staging.context = "staging-eu-1".into();
    staging.safety.protected = vec!["*prod*".into()];
    staging.press(code(KeyCode::Char('r')));
    assert!(matches!(staging.ui.overlay, Overlay::Confirm(_)));
}

#[test]
fn rollout_undo_asks_for_arming_before_its_dialog_and_previews_after() {
    let mut state = common::rollouts::rollout_state();
    common::rollouts::select(&mut state, "api");
    state.context = "prd-us".into();
    state.safety.protected = vec!["*prd*".into()];
    let effects = state.handle(Action::UndoRollout);
    assert!(
        effects.iter().all(
            |e| !matches!(e, Effect::Run(r) if matches!(r.command, Command::PreviewUndo { .. }))
        ),
        "no dry run before arming: {effects:?}"
    );
    assert!(matches!(state.ui.input, Input::Arm { .. }));
    let effects = type_line(&mut state, "prd-us");
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Run(r) if matches!(r.command, Command::PreviewUndo { .. }))
        ),
        "{effects:?}"
    );
}

#[test]
fn incident_start_and_end_go_to_banner_export_and_audit() {
    let mut state = live_state();
    state.press(code(KeyCode::Char(':')));
    let effects = type_line(&mut state, "incident start checkout-latency");
    assert_eq!(
        note_of(&effects),
        vec![Note::IncidentStarted { auto: false }]
    );
    // What is sent from now on carries the incident's name (for the audit log).
    state.press(code(KeyCode::Char('r')));
    let effects = state.press(code(KeyCode::Char('y')));
    let incidents: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(r) if r.command.is_mutation() => Some(r.incident.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(incidents, vec![Some("checkout-latency".to_string())]);
    state.tick(now() + SignedDuration::from_secs(17 * 60 + 42));
    let screen = common::draw(&state, 120, 30).backend().to_string();
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("INCIDENT checkout-latency 00:17:42"),
        "{screen}"
    );
    let report = state.incident_report();
    assert!(
        report.contains(
            "- **Incident:** checkout-latency — started 2026-11-23 12:00:00Z, open for 00:17:42"
        ),
        "{report}"
    );
    // At 80 columns, frozen and presenting: context and namespace give way (the header has
    // them), the frozen mark and the incident clock stay.
    state.handle(Action::Freeze);
    state.handle(Action::TogglePresentation);
    let narrow = common::draw(&state, 80, 24).backend().to_string();
    let banner = narrow.lines().next().unwrap();
    assert!(
        banner.contains("FROZEN 12:17:42") && banner.contains("INCIDENT checkout-latency 00:17:42"),
        "{banner}"
    );
    state.handle(Action::Freeze);
    state.handle(Action::TogglePresentation);
    // A second start while one is open is refused.
    state.press(code(KeyCode::Char(':')));
    assert!(sent(&type_line(&mut state, "incident start other")).is_empty());
    state.press(code(KeyCode::Char(':')));
    let effects = type_line(&mut state, "incident end");
    assert_eq!(
        note_of(&effects),
        vec![Note::IncidentEnded {
            duration: "00:17:42".into()
        }]
    );
    assert!(state.open_incident().is_none());
    let marks: Vec<String> = state
        .timeline
        .all()
        .filter(|e| e.object == "incident/checkout-latency")
        .map(|e| e.text.clone())
        .collect();
    assert_eq!(
        marks,
        ["incident ended after 00:17:42", "incident started"],
        "in the timeline, newest first"
    );
    assert!(state.incident_report().contains("(00:17:42)"));
    let screen = common::draw(&state, 120, 30).backend().to_string();
    assert!(!screen.contains("INCIDENT"));
}

#[test]
fn a_critical_alert_starts_an_incident_when_auto_start_is_on() {
    let mut state = live_state();
    state.safety.auto_incident = true;
    state.alerts.settings.enabled = true;
    let scope = state.scope;
    let alert = alerts_common::alert(
        "CheckoutLatencyHigh",
        "critical",
        opsdeck::model::alert::AlertState::Firing,
        &[("namespace", "shop")],
        120,
    );
    let (_, effects) = state.apply_effects(Update::AlertsFetched {
        scope,
        source: alerts_common::AM.into(),
        alerts: vec![alert],
    });
    assert_eq!(
        note_of(&effects),
        vec![Note::IncidentStarted { auto: true }]
    );
    let incident = state.open_incident().unwrap();
    assert_eq!(incident.name, "CheckoutLatencyHigh");
    assert_eq!(incident.started, now() - SignedDuration::from_secs(120));
}

#[test]
fn audit_lines_of_arming_and_the_incident() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog {
        path: dir.path().join("audit.log"),
    };
    let target = opsdeck::command::Target {
        context: "prod-eu-1".into(),
        namespace: "shop".into(),
        name: "checkout-latency".into(),
    };
    let notes = [
        Note::ArmRefused {
            action: "delete pod shop/checkout-7d9f-abcde".into(),
        },
        Note::Armed { minutes: 10 },
        Note::Disarmed { expired: false },
        Note::IncidentStarted { auto: false },
        Note::IncidentEnded {
            duration: "00:17:42".into(),
        },
    ];
    for note in notes {
        let outcome = note.outcome();
        let command = Command::Note {
            target: target.clone(),
            note,
        };
        assert!(!command.is_mutation(), "never refused by --readonly");
        log.append(&command, &outcome, Some("alice")).unwrap();
    }
    let text = std::fs::read_to_string(&log.path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String, String)> = lines
        .iter()
        .map(|v| {
            (
                v["action"].as_str().unwrap().to_string(),
                v["result"].as_str().unwrap().to_string(),
                v["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (
            "arm",
            "refused",
            "the typed name is not the context; delete pod shop/checkout-7d9f-abcde not sent",
        ),
        ("arm", "done", "armed for 10 min"),
        ("disarm", "done", "disarmed"),
        ("incident start", "done", "started"),
        ("incident end", "done", "ended after 00:17:42"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(
        lines
            .iter()
            .all(|v| v["context"] == "prod-eu-1" && v["user"] == "alice")
    );
    assert!(lines.iter().all(|v| v.get("incident").is_none()));
    // A command sent while an incident is open names it.
    let delete = Command::DeletePod {
        target: target.clone(),
    };
    let done = Outcome::Done("deleted".into());
    log.append_in(&delete, &done, None, Some("checkout-latency"))
        .unwrap();
    let text = std::fs::read_to_string(&log.path).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["incident"], "checkout-latency");
    assert_eq!(last["action"], "delete pod");
    assert_eq!(
        Note::Armed { minutes: 10 }.outcome(),
        Outcome::Done("armed for 10 min".into())
    );
}
