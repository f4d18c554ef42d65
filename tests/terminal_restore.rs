//! Quitting gives the user's screen back untouched: the real binary (`opsdeck demo`) in tmux,
//! started from a shell that printed some lines; after `q` those lines are still on screen, and
//! the byte stream after leaving the alternate screen is only cursor-show / attribute reset.

mod common;

use std::time::Duration;

use common::tmux::Tmux;

const WAIT: Duration = Duration::from_secs(40);

/// What may follow the last "leave the alternate screen": show the cursor, reset attributes.
const ALLOWED_AFTER_LEAVE: [&[u8]; 3] = [b"\x1b[?25h", b"\x1b[0m", b"\x1b[m"];

const LEAVE_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049l";

/// The bytes after the last `ESC[?1049l` that are not allowed there (empty: all good).
fn stray_bytes_after_leave(stream: &[u8]) -> Vec<u8> {
    let Some(at) = stream
        .windows(LEAVE_ALTERNATE_SCREEN.len())
        .rposition(|w| w == LEAVE_ALTERNATE_SCREEN)
    else {
        panic!("the alternate screen was never left");
    };
    let mut rest = &stream[at + LEAVE_ALTERNATE_SCREEN.len()..];
    let mut stray = Vec::new();
    while !rest.is_empty() {
        match ALLOWED_AFTER_LEAVE.iter().find(|a| rest.starts_with(a)) {
            Some(a) => rest = &rest[a.len()..],
            None => {
                stray.push(rest[0]);
                rest = &rest[1..];
            }
        }
    }
    stray
}

#[test]
fn stray_bytes_are_found() {
    assert!(stray_bytes_after_leave(b"x\x1b[?1049l\x1b[?25h\x1b[0m").is_empty());
    assert_eq!(stray_bytes_after_leave(b"\x1b[?1049l\x1b[?25h  "), b"  ");
}

#[test]
fn quitting_leaves_the_shell_screen_intact_and_writes_nothing_after_the_alternate_screen() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_opsdeck");
    let status = dir.path().join("status");
    let script = dir.path().join("run.sh");
    std::fs::write(
        &script,
        format!(
            "for i in 1 2 3 4 5 6; do echo \"shell-line-$i before opsdeck\"; done\n\
             sleep 1\n\
             TERM=xterm-256color XDG_STATE_HOME={state} {bin} --log-file {log} demo --pods 30\n\
             echo $? > {status}\n",
            state = dir.path().display(),
            log = dir.path().join("opsdeck.log").display(),
            status = status.display(),
        ),
    )
    .unwrap();
    let raw = dir.path().join("raw");
    let tmux = Tmux::start("restore", 120, 40, &format!("sh {}", script.display()));
    // Every byte the program writes to the terminal, from before it starts.
    tmux.run(&[
        "pipe-pane",
        "-t",
        "t",
        "-o",
        &format!("cat > {}", raw.display()),
    ]);
    tmux.wait_for("the dashboard", WAIT, |s| {
        // The full header says `k8s live`, the compact one (narrow screens) `k8s✓`.
        (s.contains("k8s live") || s.contains("k8s✓")) && !s.contains("shell-line-1")
    });
    // Let a few frames go out (the clock ticks), so the last frame is not the first one.
    std::thread::sleep(Duration::from_millis(2500));
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(15));
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    assert_eq!(
        tmux.var("alternate_on"),
        "0",
        "still in the alternate screen"
    );

    // With the history: tmux may scroll the pane by a line when it reports the exit.
    let screen = tmux.run(&["capture-pane", "-p", "-t", "t", "-S", "-"]);
    for i in 1..=6 {
        assert!(
            screen.contains(&format!("shell-line-{i} before opsdeck")),
            "the shell's line {i} was erased on quit; screen:\n{screen}"
        );
    }
    // pipe-pane's cat may still be writing.
    std::thread::sleep(Duration::from_millis(300));
    let stream = std::fs::read(&raw).unwrap();
    let stray = stray_bytes_after_leave(&stream);
    assert!(
        stray.is_empty(),
        "{} bytes written onto the main screen after leaving the alternate screen: {:?}",
        stray.len(),
        String::from_utf8_lossy(&stray[..stray.len().min(200)])
    );
}
