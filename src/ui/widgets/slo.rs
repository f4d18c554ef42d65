//! SLOs on screen: the strip in the alerts pane (worst first), the header's line (*are users
//! affected?*) and the SLO list (`b`, `:slo`) with the selected SLO's windows, burn-rate pairs
//! and sparklines of its error ratio and budget.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::action::{Action, Pane};
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::slo::{BurnSeverity, Slo, SloHistory, window_text};
use crate::state::AppState;
use crate::state::slo::{SloState, SloView};
use crate::ui::theme::{Role, Theme};

/// SLO rows the alerts pane shows at most.
const STRIP_ROWS: usize = 3;
/// Cells of the budget bar.
const BAR: usize = 8;

/// Rows the strip takes: none before Prometheus answered (or without Prometheus), one to say
/// none were found, else one per SLO up to [`STRIP_ROWS`].
pub fn strip_height(slos: &SloState) -> u16 {
    match (slos.fetched, slos.all().len()) {
        (false, _) => 0,
        (true, 0) => 1,
        (true, n) => n.min(STRIP_ROWS) as u16,
    }
}

/// Role of an SLO: page breach critical, ticket breach warning, broken muted.
pub fn slo_role(slo: &Slo) -> Role {
    match (slo.error.is_some(), slo.breach()) {
        (true, _) => Role::Warning,
        (false, Some(BurnSeverity::Page)) => Role::Critical,
        (false, Some(BurnSeverity::Ticket)) => Role::Warning,
        (false, None) => Role::Ok,
    }
}

/// `▲page`, `▲tick`, `✓ ok`, `⚠ err`: the state in a word and a symbol (not colour alone).
fn mark(slo: &Slo) -> &'static str {
    match (slo.error.is_some(), slo.breach()) {
        (true, _) => "⚠ err ",
        (false, Some(BurnSeverity::Page)) => "▲page ",
        (false, Some(BurnSeverity::Ticket)) => "▲tick ",
        (false, None) => "✓ ok  ",
    }
}

/// `███░░░░░ 38%` of the budget left (empty bar when overspent).
fn budget_text(slo: &Slo) -> String {
    match slo.budget_left() {
        Some(b) => {
            let cells = ((b.clamp(0.0, 1.0) * BAR as f64).round() as usize).min(BAR);
            format!(
                "{}{} {:>4}",
                "█".repeat(cells),
                "░".repeat(BAR - cells),
                format!("{:.0}%", b * 100.0)
            )
        }
        None => format!("{:<w$}", "?", w = BAR + 5),
    }
}

/// `14.6x 1h`: the headline burn and its window.
fn burn_text(slo: &Slo) -> String {
    match slo.headline_burn() {
        Some((w, b)) => format!("{b:.1}x {}", window_text(w)),
        None => "-".into(),
    }
}

/// `99.74%` over the period.
fn availability_text(slo: &Slo) -> String {
    slo.availability()
        .map_or("?".into(), |a| format!("{:.2}%", a * 100.0))
}

/// The strip's lines: worst first, "+N more" on the last when they do not all fit.
pub fn strip_lines(
    slos: &SloState,
    rows: usize,
    keymap: &Keymap,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if slos.all().is_empty() {
        return vec![Line::styled(
            "no SLOs found (declare them in [[slo]])",
            theme.style(Role::Muted),
        )];
    }
    let hint = keymap.hint(KeyContext::Pane(Pane::Alerts), &Action::Slos);
    let shown = rows.min(slos.all().len());
    slos.all()
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, slo)| {
            let role = theme.style(slo_role(slo));
            let mut spans = vec![Span::styled(mark(slo).to_string(), role)];
            match &slo.error {
                Some(e) => spans.push(Span::styled(format!("{}: {e}", slo.title()), role)),
                None => spans.extend([
                    Span::styled(
                        format!("{} {}  ", slo.title(), slo.objective_text()),
                        theme.style(Role::Text),
                    ),
                    Span::styled(format!("burn {}  ", burn_text(slo)), role),
                    Span::styled(
                        format!("budget {}  ", budget_text(slo)),
                        theme.style(Role::Text),
                    ),
                ]),
            }
            let more = slos.all().len() - shown;
            if i + 1 == shown && more > 0 {
                spans.push(Span::styled(
                    format!("+{more} more ({hint})"),
                    theme.style(Role::Muted),
                ));
            }
            Line::from(spans)
        })
        .collect()
}

/// The header's SLO span: the worst SLO's line (`checkout 99.9%: 14.6x burn, budget 38%
/// left`), after `USERS AFFECTED ·` while a page-level pair breaches; and the short form for a
/// narrow header (`None`: nothing when every SLO is fine).
pub fn header_text(slos: &SloState) -> Option<(String, Option<String>, Role)> {
    let worst = slos.worst()?;
    Some(match worst.breach() {
        Some(BurnSeverity::Page) => (
            format!(" USERS AFFECTED · {} ", worst.summary()),
            Some(" USERS AFFECTED ".into()),
            Role::Critical,
        ),
        Some(BurnSeverity::Ticket) => (
            format!(" {} ", worst.summary()),
            Some(" SLO burning ".into()),
            Role::Warning,
        ),
        None => (format!(" {} ", worst.summary()), None, Role::Ok),
    })
}

/// `b` / `:slo`: every SLO, then the selected one's detail.
pub struct SloOverlay<'a> {
    pub state: &'a AppState,
    pub view: &'a SloView,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// SLO rows of the list drawn over `area`: its viewport height (the detail takes the rest).
pub fn list_rows(area: Rect) -> usize {
    usize::from(super::wide_inner(area).height.saturating_sub(1) / 2)
}

impl Widget for SloOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = super::wide(area);
        let key = |action| self.keymap.hint(KeyContext::Pane(Pane::Alerts), &action);
        let title = format!(
            " SLOs, worst first ({} reloads the sparklines · {} closes) ",
            key(Action::Open),
            key(Action::Back)
        );
        let block = super::overlay_block(rect, buf, title, Role::BorderFocused, t);
        let lines = self.lines(list_rows(area), usize::from(rect.width.saturating_sub(4)));
        Paragraph::new(lines).block(block).render(rect, buf);
    }
}

impl SloOverlay<'_> {
    fn lines(&self, rows: usize, width: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let slos = &self.state.alerts.slos;
        if !slos.fetched {
            return vec![Line::styled(
                match slos.prometheus {
                    Some(_) => "waiting for Prometheus…",
                    None => "no Prometheus: --prometheus-url or [alerts] prometheus_url",
                },
                t.style(Role::Muted),
            )];
        }
        if slos.all().is_empty() {
            return strip_lines(slos, 1, self.keymap, t);
        }
        let name_w = slos
            .all()
            .iter()
            .map(|s| s.title().chars().count())
            .max()
            .unwrap_or(3)
            .clamp(3, 36);
        let mut out = vec![Line::styled(
            format!(
                "       {:<name_w$}  {:<6}  {:<7}  {:<8}  {:<13}  {:<9}  PAIRS (long/short > factor)",
                "SLO", "SOURCE", "TARGET", "AVAIL", "BUDGET LEFT", "BURN"
            ),
            t.style(Role::Title),
        )];
        let selected = self.state.selected_slo().map(|s| s.id.clone());
        let first = self.view.list.first_shown(rows);
        for slo in slos.all().iter().skip(first).take(rows) {
            let here = selected.as_deref() == Some(slo.id.as_str());
            let cursor = if here { "▶" } else { " " };
            let role = t.style(slo_role(slo));
            let mut spans = vec![
                Span::styled(format!("{cursor}{}", mark(slo)), role),
                Span::styled(
                    format!(
                        "{:<name_w$}  {:<6}  {:<7}  {:<8}  {}  {:<9}  ",
                        truncate(&slo.title(), name_w),
                        slo.source.label(),
                        slo.objective_text(),
                        availability_text(slo),
                        budget_text(slo),
                        burn_text(slo)
                    ),
                    t.style(Role::Text),
                ),
            ];
            spans.extend(pair_spans(slo, t));
            let mut line = Line::from(spans);
            if here {
                line = line.style(t.style(Role::Selection));
            }
            out.push(line);
        }
        out.push(Line::raw(""));
        if let Some(slo) = self.state.selected_slo() {
            out.extend(detail(slo, slos.history(&slo.id), width, t));
        }
        out
    }
}

/// `1h/5m` per pair, marked and coloured when breaching.
fn pair_spans(slo: &Slo, t: &Theme) -> Vec<Span<'static>> {
    slo.pair_status()
        .iter()
        .map(|p| {
            let text = format!(
                "{}/{}{} ",
                window_text(p.pair.long),
                window_text(p.pair.short),
                if p.breaching { "!" } else { "" }
            );
            let role = match (p.breaching, p.pair.severity) {
                (true, BurnSeverity::Page) => Role::Critical,
                (true, BurnSeverity::Ticket) => Role::Warning,
                (false, _) => Role::Muted,
            };
            Span::styled(text, t.style(role))
        })
        .collect()
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The selected SLO: objective and period, the window table, every pair with its verdict,
/// and the sparklines.
fn detail(slo: &Slo, history: Option<&SloHistory>, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        format!(
            "{} — {} SLO {} over {}",
            slo.title(),
            slo.source.label(),
            slo.objective_text(),
            window_text(slo.period)
        ),
        t.style(Role::Title),
    )];
    if let Some(e) = &slo.error {
        out.push(Line::styled(format!("  ⚠ {e}"), t.style(Role::Warning)));
        return out;
    }
    let windows: Vec<String> = slo
        .ratios
        .iter()
        .map(|(w, r)| {
            let burn = slo.burn(*w).map_or("?".into(), |b| format!("{b:.1}x"));
            format!("{} {:.3}% ({burn})", window_text(*w), r * 100.0)
        })
        .collect();
    out.push(Line::styled(
        format!("  error ratio by window: {}", windows.join("  ")),
        t.style(Role::Text),
    ));
    for p in slo.pair_status() {
        let burn = |b: Option<f64>| b.map_or("?".into(), |b| format!("{b:.1}x"));
        let verdict = if p.breaching {
            format!("BREACHING → {}", p.pair.severity.label())
        } else {
            "ok".into()
        };
        let role = match (p.breaching, p.pair.severity) {
            (true, BurnSeverity::Page) => Role::Critical,
            (true, BurnSeverity::Ticket) => Role::Warning,
            (false, _) => Role::Ok,
        };
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {:>3}/{:<4} > {:>5}x ({:<6})  long {:>6}  short {:>6}  ",
                    window_text(p.pair.long),
                    window_text(p.pair.short),
                    p.pair.factor,
                    p.pair.severity.label(),
                    burn(p.long_burn),
                    burn(p.short_burn)
                ),
                t.style(Role::Text),
            ),
            Span::styled(verdict, t.style(role)),
        ]));
    }
    let spark_w = width.saturating_sub(34).clamp(8, 120);
    match history {
        None => out.push(Line::styled(
            "  loading the last 6 h…",
            t.style(Role::Muted),
        )),
        Some(h) => {
            if let Some(e) = &h.error {
                out.push(Line::styled(format!("  ⚠ {e}"), t.style(Role::Warning)));
            }
            let last = |points: &[(i64, f64)], f: &dyn Fn(f64) -> String| {
                points.last().map_or("-".into(), |(_, v)| f(*v))
            };
            out.push(Line::from(vec![
                Span::styled("  error ratio, 6 h  ", t.style(Role::Muted)),
                Span::styled(sparkline(&h.ratio, spark_w), t.style(slo_role(slo))),
                Span::styled(
                    format!("  {}", last(&h.ratio, &|v| format!("{:.3}%", v * 100.0))),
                    t.style(Role::Text),
                ),
            ]));
            out.push(Line::from(vec![
                Span::styled("  budget left, 6 h  ", t.style(Role::Muted)),
                Span::styled(sparkline(&h.budget, spark_w), t.style(Role::Info)),
                Span::styled(
                    format!("  {}", last(&h.budget, &|v| format!("{:.0}%", v * 100.0))),
                    t.style(Role::Text),
                ),
            ]));
        }
    }
    out
}

/// The last `width` points as `▁▂▃▄▅▆▇█` between the series' min and max.
pub fn sparkline(points: &[(i64, f64)], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &points[points.len().saturating_sub(width)..];
    if tail.is_empty() {
        return "no data".into();
    }
    let (lo, hi) = tail.iter().fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| {
        (lo.min(*v), hi.max(*v))
    });
    tail.iter()
        .map(|(_, v)| {
            let x = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            BARS[((x * 7.0).round() as usize).min(7)]
        })
        .collect()
}
