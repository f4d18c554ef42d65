//! The alerts pane: summary line, the alert table (severity, state, name, telling labels,
//! since, summary) and, when services are configured, golden-signal sparklines below it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Widget};

use crate::action::{Action, Pane};
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::alert::{AlertState, Severity};
use crate::model::time::since;
use crate::state::AppState;
use crate::state::alerts::{AlertView, AlertsState};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::header::{source_title, stale_reason};
use crate::ui::widgets::pane_frame::pane_block;
use crate::ui::widgets::signals::{SignalsView, signals_height};
use crate::ui::widgets::slo;
use crate::ui::widgets::table::{render_window, table_rows};
use crate::update::SourceId;

pub struct AlertsPane<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    /// For the key hints.
    pub keymap: &'a Keymap,
    pub focused: bool,
}

/// Theme role for a severity.
pub fn severity_role(severity: &Severity) -> Role {
    match severity {
        Severity::Critical => Role::Critical,
        Severity::Warning => Role::Warning,
        Severity::Info => Role::Info,
        Severity::Other(_) => Role::Text,
    }
}

/// Role of a whole row: severity colour while it fires, muted when muted or resolved.
pub fn row_role(v: &AlertView) -> Role {
    match (v.resolved_at, v.row.state) {
        (Some(_), _) | (None, AlertState::Silenced | AlertState::Inhibited) => Role::Muted,
        (None, AlertState::Pending) => Role::Info,
        (None, AlertState::Firing) => severity_role(&v.row.severity),
    }
}

/// The source whose health the pane title shows.
fn source_id(state: &AppState) -> SourceId {
    if state.alerts.settings.alertmanagers.is_empty() {
        SourceId::Prometheus
    } else {
        SourceId::Alertmanager
    }
}

impl Widget for AlertsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let alerts = &self.state.alerts;
        let theme = self.theme;
        let mut title = vec![Span::styled(" Alerts ", theme.style(Role::Title))];
        title.extend(source_title(self.state, source_id(self.state), theme));
        let block = pane_block(Line::from(title), self.focused, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let muted =
            |text: &str| Paragraph::new(Line::styled(text.to_string(), theme.style(Role::Muted)));
        if !alerts.settings.enabled {
            muted(
                "no alert source: --alertmanager-url, --prometheus-url or [alerts] in the config",
            )
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(inner, buf);
            return;
        }
        let signals = SignalsView {
            services: &alerts.signals,
            theme,
        };
        let [summary, strip, table, _, bottom] = areas(alerts, inner);
        // A narrow pane's title cuts the reason short: the summary line says it whole.
        let why = stale_reason(self.state, source_id(self.state))
            .map(|why| Line::styled(format!("⚠ {why}"), theme.style(Role::Warning)));
        if !alerts.fetched {
            let text = why.unwrap_or_else(|| Line::styled("connecting…", theme.style(Role::Muted)));
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(inner, buf);
            return;
        }
        let summary_text = why.unwrap_or_else(|| summary_line(self.state, theme, self.keymap));
        Paragraph::new(summary_text).render(summary, buf);
        let slo_lines = slo::strip_lines(&alerts.slos, strip.height.into(), self.keymap, theme);
        Paragraph::new(slo_lines).render(strip, buf);
        self.render_table(table, buf);
        if bottom.height > 0 {
            signals.render(bottom, buf);
        }
    }
}

/// The areas inside the pane's border: summary line, the SLO strip, table, a gap and the golden
/// signals (the last two empty when there are none, or no room). The table takes what its
/// rows need, up to what the signals leave; signals follow it. The SLO strip gives way first
/// on a short pane.
fn areas(alerts: &AlertsState, inner: Rect) -> [Rect; 5] {
    let strip = if inner.height >= 8 {
        slo::strip_height(&alerts.slos).min(inner.height / 4)
    } else {
        0
    };
    let [summary, strip, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(strip),
        Constraint::Min(0),
    ])
    .areas(inner);
    let [table, gap, bottom] = table_areas(alerts, rest);
    [summary, strip, table, gap, bottom]
}

/// Table, gap and signals in what the summary and the strip leave.
fn table_areas(alerts: &AlertsState, inner: Rect) -> [Rect; 3] {
    let want = signals_height(&alerts.signals);
    // As before the strip: ten rows with the summary line.
    let signal_rows = if want > 0 && inner.height >= 9 {
        want.min(inner.height.div_ceil(2))
    } else {
        0
    };
    let rows_needed = alerts.visible_len().max(1) as u16 + 1;
    let table_rows = if signal_rows > 0 {
        rows_needed.min(inner.height.saturating_sub(1 + signal_rows))
    } else {
        inner.height
    };
    Layout::vertical([
        Constraint::Length(table_rows),
        Constraint::Length(u16::from(signal_rows > 0)),
        Constraint::Min(0),
    ])
    .areas(inner)
}

/// Rows of the alert table when the pane is drawn in `area`: its viewport height.
pub fn list_rows(alerts: &AlertsState, area: Rect) -> usize {
    let inner = Block::bordered().inner(area);
    if inner.height == 0 || inner.width == 0 {
        return 0;
    }
    table_rows(areas(alerts, inner)[2])
}

impl AlertsPane<'_> {
    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        let alerts = &self.state.alerts;
        let theme = self.theme;
        let height = table_rows(area);
        if height == 0 {
            return;
        }
        if alerts.visible_len() == 0 {
            let text = if alerts.filter().is_empty() {
                "no alerts: all quiet"
            } else {
                "no alerts match the filter"
            };
            Paragraph::new(Line::styled(text, theme.style(Role::Ok))).render(area, buf);
            return;
        }
        let selected = alerts.selected_index();
        let offset = alerts.list().first_shown(height);
        let rows: Vec<AlertView> = alerts.window(offset, height).collect();
        let mut cols = Columns::fit(area.width, &rows);
        // On a call: no LABELS (instance addresses and the like).
        if self.state.present.on {
            cols.labels = None;
        }
        let header = Row::new(cols.header());
        let now = self.state.now;
        let body = rows.iter().map(|v| {
            let mut style = theme.style(row_role(v));
            if v.new {
                style = style.add_modifier(Modifier::BOLD);
            }
            Row::new(cols.cells(v, now)).style(style)
        });
        let table = (header, body.collect(), cols.widths());
        render_window(area, buf, table, selected - offset, self.focused, theme);
    }
}

fn summary_line<'a>(state: &AppState, theme: &Theme, keymap: &Keymap) -> Line<'a> {
    let alerts = &state.alerts;
    let c = alerts.firing_counts();
    let role = |n: usize, r: Role| theme.style(if n > 0 { r } else { Role::Muted });
    let mut spans = vec![
        Span::styled(
            format!("{} critical", c.critical),
            role(c.critical, Role::Critical),
        ),
        Span::styled(
            format!("  {} warning", c.warning),
            role(c.warning, Role::Warning),
        ),
        Span::styled(
            format!("  {} other firing", c.other),
            role(c.other, Role::Info),
        ),
    ];
    let unseen = alerts.unseen();
    if unseen > 0 {
        spans.push(Span::styled(
            format!("  ● {unseen} new"),
            theme.style(Role::Critical).add_modifier(Modifier::BOLD),
        ));
    }
    let hidden = alerts.out_of_scope();
    if hidden > 0 {
        spans.push(Span::styled(
            format!(
                "  · {hidden} in other namespaces ({}ns all)",
                keymap.hint(KeyContext::Pane(Pane::Alerts), &Action::CommandLine)
            ),
            theme.style(Role::Muted),
        ));
    }
    if let Some(about) = alerts.only() {
        spans.push(Span::styled(
            format!(
                "  about {about}: {} shown ({} all)",
                alerts.visible_len(),
                keymap.hint(KeyContext::Pane(Pane::Alerts), &Action::Back)
            ),
            theme.style(Role::Warning),
        ));
    }
    spans.extend(super::filter_span(
        alerts.filter(),
        alerts.visible_len(),
        theme,
    ));
    Line::from(spans)
}

/// Which columns fit, and how wide they are (from the visible rows only).
struct Columns {
    name: u16,
    /// OBJECT: what the alert is about (`shop/deploy/checkout`, `—`).
    object: Option<u16>,
    labels: Option<u16>,
    summary: bool,
}

impl Columns {
    /// Fixed: marker 1, SEVERITY 8, STATE 9, SINCE 6 (plus spacing).
    const FIXED: u16 = 1 + 1 + 8 + 1 + 9 + 1 + 6 + 1;

    fn fit(width: u16, rows: &[AlertView]) -> Columns {
        let w = |f: &dyn Fn(&AlertView) -> usize, min: usize, max: usize| {
            rows.iter().map(f).max().unwrap_or(0).clamp(min, max) as u16
        };
        let name = w(&|v| v.row.name.chars().count(), 4, 40);
        let object = w(&|v| object_text(v).chars().count(), 6, 50);
        let labels = w(&|v| v.row.telling_labels_text().chars().count(), 6, 60);
        let rest = width.saturating_sub(Self::FIXED + name + 1);
        // OBJECT before SUMMARY: in a narrow pane it takes the room (cut short at the end),
        // SUMMARY gets what is left.
        let object = rest
            .checked_sub(1)
            .filter(|room| *room >= 12)
            .map(|room| object.min(room));
        let rest = rest.saturating_sub(object.map_or(0, |o| o + 1));
        let labels = (rest >= labels + 1 + 20).then_some(labels);
        Columns {
            name,
            object,
            labels,
            summary: rest >= 8,
        }
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = vec!["", "SEVERITY", "STATE", "NAME"];
        if self.object.is_some() {
            h.push("OBJECT");
        }
        if self.labels.is_some() {
            h.push("LABELS");
        }
        h.push("SINCE");
        if self.summary {
            h.push("SUMMARY");
        }
        h
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut w = vec![
            Constraint::Length(1),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(self.name),
        ];
        if let Some(o) = self.object {
            w.push(Constraint::Length(o));
        }
        if let Some(l) = self.labels {
            w.push(Constraint::Length(l));
        }
        w.push(Constraint::Length(6));
        if self.summary {
            w.push(Constraint::Fill(1));
        }
        w
    }

    fn cells(&self, v: &AlertView, now: jiff::Timestamp) -> Vec<String> {
        let state = if v.resolved_at.is_some() {
            "resolved"
        } else {
            v.row.state.as_str()
        };
        let mut c = vec![
            if v.new { "●" } else { " " }.to_string(),
            v.row.severity.as_str().to_string(),
            state.to_string(),
            v.row.name.clone(),
        ];
        if self.object.is_some() {
            c.push(object_text(v));
        }
        if self.labels.is_some() {
            c.push(v.row.telling_labels_text());
        }
        c.push(v.row.starts_at.map(|t| since(t, now)).unwrap_or_default());
        if self.summary {
            c.push(v.row.summary.clone());
        }
        c
    }
}

/// What an alert is about, for the OBJECT column: `shop/deploy/checkout`, or `—`.
fn object_text(v: &AlertView) -> String {
    v.row
        .target
        .as_ref()
        .map_or_else(|| "—".to_string(), ToString::to_string)
}
