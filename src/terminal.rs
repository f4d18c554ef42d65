//! Raw mode + alternate screen, restored on every exit path: drop of the guard (normal quit and
//! errors), the panic hook (before the report is printed), and signals mapped to quit.

use std::io::{BufWriter, Stdout, Write};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};

pub type Tui = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Owns the terminal while the dashboard runs; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout());
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(out))?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.flush();
        restore();
    }
}

/// Leave the alternate screen, show the cursor, leave raw mode. Idempotent; errors ignored
/// (the terminal may be gone, e.g. after SIGHUP).
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = out.flush();
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Installed after color-eyre's hook: restore first, then let it report.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Resolves when SIGTERM, SIGHUP or SIGINT arrives (an SSH session that drops sends SIGHUP).
pub async fn quit_signal() -> std::io::Result<&'static str> {
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
        _ = int.recv() => "SIGINT",
    })
}
