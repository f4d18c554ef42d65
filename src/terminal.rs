//! Raw mode + alternate screen, restored on every exit path: drop of the guard (normal quit and
//! errors), the panic hook (before the report is printed), and signals mapped to quit.

use std::io::{Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};

use crate::ui::gap_fill::GapFill;

/// The terminal: crossterm, with short gaps between changed cells written rather than jumped.
pub type Tui = Terminal<GapFill<CrosstermBackend<ScreenWriter>>>;

/// Whether the alternate screen and raw mode are on (so that restoring happens once, and a
/// frame still buffered after the panic hook restored the terminal is dropped, not written
/// onto the user's screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Owns the terminal while the dashboard runs; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = ScreenWriter::new();
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(GapFill::new(CrosstermBackend::new(out)))?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    /// Bytes still buffered belong to the alternate screen: they go out before leaving it (or,
    /// if it was already left, nowhere). Never `Terminal::flush`: after a draw that is the diff
    /// against a blank buffer, which would then land on the user's screen.
    fn drop(&mut self) {
        let _ = ratatui::backend::Backend::flush(self.terminal.backend_mut());
        restore();
    }
}

/// The dashboard's output, buffered (a frame goes out in one write) and only while the
/// alternate screen is on: once it was left (quit, panic hook, signal), what is still buffered
/// or written later is dropped, never flushed onto the user's screen.
pub struct ScreenWriter {
    buf: Vec<u8>,
    out: Stdout,
}

/// Buffered bytes that trigger a write before the frame is complete.
const SCREEN_BUFFER: usize = 64 * 1024;

impl ScreenWriter {
    fn new() -> ScreenWriter {
        ScreenWriter {
            buf: Vec::with_capacity(SCREEN_BUFFER),
            out: std::io::stdout(),
        }
    }
}

impl Write for ScreenWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !ACTIVE.load(Ordering::SeqCst) {
            self.buf.clear();
            return Ok(bytes.len());
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= SCREEN_BUFFER {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = if ACTIVE.load(Ordering::SeqCst) {
            self.out
                .write_all(&self.buf)
                .and_then(|()| self.out.flush())
        } else {
            Ok(())
        };
        self.buf.clear();
        result
    }
}

/// Leave the alternate screen, show the cursor, leave raw mode. Runs once (later calls do
/// nothing); errors ignored (the terminal may be gone, e.g. after SIGHUP). Nothing but
/// cursor-show may follow leaving the alternate screen.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
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
