//! Alert detail (Enter on an alert): state, every label and annotation, the description and
//! runbook in full, the rule expression when Prometheus told us, and its silences.

use jiff::Timestamp;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::action::{Action, Pane};
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::alert::{AlertRow, AlertState};
use crate::model::time::since;
use crate::state::alerts::AlertsState;
use crate::ui::panes::alerts::{row_role, severity_role};
use crate::ui::theme::{Role, Theme};

pub struct AlertDetailView<'a> {
    pub alerts: &'a AlertsState,
    pub fingerprint: &'a str,
    pub scroll: u16,
    pub now: Timestamp,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// Presentation mode: hidden before wrapping (a value cut over two rows is hidden whole).
    pub redact: Option<&'a crate::redact::Redactor>,
}

impl Widget for AlertDetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = super::wide(area);
        let view = self.alerts.find(self.fingerprint);
        let name = view.map(|v| v.row.name.as_str()).unwrap_or("?");
        let block = super::overlay_block(
            rect,
            buf,
            format!(" Alert {name} ({} closes) ", self.key(Action::Back)),
            Role::BorderFocused,
            t,
        );
        self.text()
            .block(block)
            .scroll((self.scroll, 0))
            .render(rect, buf);
    }
}

impl AlertDetailView<'_> {
    fn text(&self) -> Paragraph<'static> {
        let lines = match self.alerts.find(self.fingerprint) {
            None => vec![Line::styled(
                "this alert is no longer known",
                self.theme.style(Role::Muted),
            )],
            Some(v) => self.lines(&v),
        };
        let lines = crate::ui::present::redact_lines(lines, self.redact);
        Paragraph::new(lines).wrap(Wrap { trim: false })
    }

    /// Rows the text takes wrapped at `width`: how far it scrolls.
    pub fn text_rows(&self, width: u16) -> usize {
        self.text().line_count(width)
    }

    /// The key of `action` on the alerts pane, for the hints.
    fn key(&self, action: Action) -> String {
        self.keymap.hint(KeyContext::Pane(Pane::Alerts), &action)
    }

    fn lines(&self, v: &crate::state::alerts::AlertView) -> Vec<Line<'static>> {
        let t = self.theme;
        let r = v.row;
        let head = |s: &str| Line::styled(s.to_string(), t.style(Role::Title));
        let kv = |k: &str, val: String, role: Role| {
            Line::from(vec![
                Span::styled(format!("  {k:<12}"), t.style(Role::Muted)),
                Span::styled(val, t.style(role)),
            ])
        };
        let state = match v.resolved_at {
            Some(at) => format!("resolved {} ago", since(at, self.now)),
            None => r.state.as_str().to_string(),
        };
        let started = r
            .starts_at
            .map(|s| format!("{} ago ({s})", since(s, self.now)))
            .unwrap_or_else(|| "unknown".into());
        let mut out = vec![
            Line::from(vec![
                Span::styled("  State       ", t.style(Role::Muted)),
                Span::styled(state, t.style(row_role(v))),
                Span::styled("   severity ", t.style(Role::Muted)),
                Span::styled(
                    r.severity.as_str().to_string(),
                    t.style(severity_role(&r.severity)),
                ),
            ]),
            kv("Since", started, Role::Text),
            kv("Source", r.source.clone(), Role::Text),
            kv("Fingerprint", r.fingerprint.clone(), Role::Muted),
        ];
        if !r.summary.is_empty() {
            out.push(kv("Summary", r.summary.clone(), Role::Text));
        }
        if let Some(url) = &r.runbook_url {
            out.push(kv("Runbook", url.clone(), Role::Info));
        }
        if let Some(d) = r.annotations.get("description") {
            out.push(head("Description"));
            out.extend(
                d.lines()
                    .map(|l| Line::styled(format!("  {l}"), t.style(Role::Text))),
            );
        }
        if let Some(expr) = self.alerts.expression(&r.name) {
            out.push(head("Expression"));
            out.extend(
                expr.lines()
                    .map(|l| Line::styled(format!("  {l}"), t.style(Role::Text))),
            );
        }
        out.push(head("Silences"));
        out.extend(self.silences(r));
        out.push(head("Labels"));
        for (k, val) in &r.labels {
            out.push(kv(k, val.clone(), Role::Text));
        }
        out.push(head("Annotations"));
        for (k, val) in r.annotations.iter().filter(|(k, _)| *k != "description") {
            out.push(kv(k, val.clone(), Role::Text));
        }
        out
    }

    /// The silences of the alert, the first with the key that expires it; or the key that
    /// silences it.
    fn silences(&self, r: &AlertRow) -> Vec<Line<'static>> {
        let t = self.theme;
        let key = self.key(Action::Silence);
        if r.silenced_by.is_empty() {
            let text = if r.state == AlertState::Inhibited {
                "  none (inhibited by another alert)".to_string()
            } else {
                format!("  none ({key} silences it)")
            };
            return vec![Line::styled(text, t.style(Role::Muted))];
        }
        let hints = std::iter::once(format!("   ({key} expires it)"))
            .chain(std::iter::repeat(String::new()));
        r.silenced_by
            .iter()
            .zip(hints)
            .map(|(id, hint)| Line::styled(format!("  {id}{hint}"), t.style(Role::Warning)))
            .collect()
    }
}
