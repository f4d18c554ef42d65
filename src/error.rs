//! How opsdeck fails. A mistake in the command line, the config file or the kubeconfig is one
//! line on stderr (`opsdeck: FILE:LINE: key: problem`) and exit status 2; any other error is
//! one line and status 1, with the full report in the log file; a panic (a bug) gets
//! color-eyre's full report on stderr, and a plain one in the log file. Colour only when stderr
//! is a terminal and `NO_COLOR` is not set.

use std::fmt::Write as _;
use std::io::IsTerminal;

use color_eyre::config::{HookBuilder, Theme};
use color_eyre::eyre::Report;

/// Exit status of a failure that is not the user's mistake.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of a usage or configuration mistake.
pub const EXIT_USAGE: u8 = 2;

/// A mistake of the user's (flags, config file, kubeconfig, theme): said in one line, exit 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// Any error as a usage mistake (its message on one line).
    pub fn from_error(e: impl std::fmt::Display) -> UsageError {
        UsageError(one_line(&e.to_string()))
    }
}

/// What to tell the user about an error that ends the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The message, one line, without the `opsdeck: ` prefix.
    pub message: String,
    pub status: u8,
}

impl Failure {
    /// A usage mistake anywhere in the chain wins; otherwise the whole chain on one line.
    pub fn of(report: &Report) -> Failure {
        if let Some(usage) = report.chain().find_map(|e| e.downcast_ref::<UsageError>()) {
            return Failure {
                message: one_line(&usage.0),
                status: EXIT_USAGE,
            };
        }
        let chain: Vec<String> = report.chain().map(|e| one_line(&e.to_string())).collect();
        Failure {
            message: chain.join(": "),
            status: EXIT_FAILURE,
        }
    }

    /// A command-line error from clap: its first line, and where to look.
    pub fn of_usage(e: &clap::Error) -> Failure {
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or("invalid arguments");
        let first = first.strip_prefix("error: ").unwrap_or(first);
        Failure {
            message: format!("{first} (see opsdeck --help)"),
            status: EXIT_USAGE,
        }
    }

    /// The line for stderr: `opsdeck: message`, the prefix in bold red when `color`.
    pub fn line(&self, color: bool) -> String {
        if color {
            format!("\x1b[1;31mopsdeck:\x1b[0m {}", self.message)
        } else {
            format!("opsdeck: {}", self.message)
        }
    }
}

/// Whether stderr gets colours: a terminal, and `NO_COLOR` unset or empty.
pub fn stderr_has_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Several lines (a TOML error with its snippet, a multi-line API message) as one.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(" | ");
        }
        out.push_str(line);
    }
    out
}

/// The full report of an error (chain, location, backtrace if captured) without colours, for
/// the log file.
pub fn full_report(report: &Report) -> String {
    strip_sgr(&format!("{report:?}"))
}

/// `text` without SGR sequences (`ESC [ … m`).
fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        rest = match after[end..].strip_prefix('m') {
            Some(tail) => tail,
            None => {
                out.push_str("\x1b[");
                after
            }
        };
    }
    out.push_str(rest);
    out
}

/// color-eyre's hooks, coloured only when stderr has colour. A panic is also written, plainly
/// and with a backtrace, to the log file.
pub fn install_hooks() -> color_eyre::Result<()> {
    let theme = if stderr_has_color() {
        Theme::dark()
    } else {
        Theme::new()
    };
    let (panic_hook, eyre_hook) = HookBuilder::default().theme(theme).try_into_hooks()?;
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        let mut text = format!("panic: {info}\n");
        let _ = write!(text, "{}", std::backtrace::Backtrace::force_capture());
        tracing::error!("{text}");
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{}", panic_hook.panic_report(info));
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use color_eyre::eyre::{WrapErr, eyre};

    #[test]
    fn a_usage_error_anywhere_in_the_chain_is_one_line_and_status_2() {
        let report: Report = Report::new(UsageError("c.toml:3: ui.max_fps: too fast".into()));
        let report = Err::<(), _>(report).wrap_err("loading").unwrap_err();
        let f = Failure::of(&report);
        assert_eq!(f.message, "c.toml:3: ui.max_fps: too fast");
        assert_eq!(f.status, EXIT_USAGE);
        assert_eq!(f.line(false), "opsdeck: c.toml:3: ui.max_fps: too fast");
        assert!(f.line(true).contains('\x1b'));
    }

    #[test]
    fn other_errors_are_the_chain_on_one_line_and_status_1() {
        let report = Err::<(), _>(eyre!("No such device\nor address"))
            .wrap_err("cannot set up the terminal")
            .unwrap_err();
        let f = Failure::of(&report);
        assert_eq!(
            f.message,
            "cannot set up the terminal: No such device | or address"
        );
        assert_eq!(f.status, EXIT_FAILURE);
    }

    #[test]
    fn sgr_sequences_are_stripped() {
        assert_eq!(strip_sgr("\x1b[91mred\x1b[0m \x1b[35;1mx\x1b[m"), "red x");
        assert_eq!(strip_sgr("keep \x1b[2J"), "keep \x1b[2J");
    }
}
