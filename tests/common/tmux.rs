//! Drive the real binary in a private tmux server (its own socket), as a user would.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own; killed (with everything in it) when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `command` in a detached session of `width` x `height`. The pane stays after the
    /// program exits so that its final screen and exit status can be read.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is required for the end-to-end tests (Debian package tmux; scripts/test installs it)"
        );
        let socket = format!("opsdeck-test-{name}-{}", std::process::id());
        let tmux = Tmux { socket };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["respawn-pane", "-k", "-t", "t", command]);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// A pane variable such as `pane_dead`, `pane_dead_status`, `alternate_on`, `pane_pid`.
    pub fn var(&self, name: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", &format!("#{{{name}}}")])
            .trim()
            .to_string()
    }

    /// Send keys (tmux key names: "q", "Enter", "Escape", "/", "C-c").
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Type literal text.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Wait until `pred(screen)` holds; panics with the last screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Send a signal (e.g. "TERM", "HUP") to the program running under the pane's shell.
    pub fn signal(&self, name: &str) {
        let shell = self.var("pane_pid");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("run pgrep");
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!pid.is_empty(), "no program under the pane's shell");
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// Wait for the program to exit; returns its exit status.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let start = Instant::now();
        while self.var("pane_dead") != "1" {
            assert!(
                start.elapsed() < timeout,
                "program did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.var("pane_dead_status").parse().unwrap_or(-1)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// A shell command line that runs opsdeck with `args`, logging to `dir`, then records the
/// terminal settings after it exits (to check that raw mode was left).
pub fn opsdeck_command(dir: &Path, args: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_opsdeck");
    let log = dir.join("opsdeck.log");
    let stty = dir.join("stty-after");
    let status = dir.join("status");
    format!(
        "sh -c 'TERM=xterm-256color {bin} --log-file {} {args}; echo $? > {}; stty -a > {}'",
        log.display(),
        status.display(),
        stty.display()
    )
}
