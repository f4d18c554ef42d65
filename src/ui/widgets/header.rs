//! Header: context, namespace scope, connection state of every source, counts, clock.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::state::AppState;
use crate::ui::theme::{Role, Theme};
use crate::update::{SourceHealth, SourceId};

pub struct Header<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
}

/// `HH:MM:SS` in the given zone.
pub fn clock(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned_datetime(tz.clone())
        .strftime("%H:%M:%S")
        .to_string()
}

/// Short text and role for a source's connection state.
pub fn health_text(health: &SourceHealth, tz: &TimeZone) -> (String, Role) {
    match health {
        SourceHealth::Connecting => ("connecting…".into(), Role::Info),
        SourceHealth::Live => ("live".into(), Role::Ok),
        SourceHealth::Reconnecting { since, attempt, .. } => (
            format!("stale since {} (retry {attempt})", clock(*since, tz)),
            Role::Warning,
        ),
        SourceHealth::Failed { since, reason } => (
            format!("stale since {}: {reason}", clock(*since, tz)),
            Role::Critical,
        ),
    }
}

/// Spans for a pane title when its source is not live, saying why: "[stale since 12:03:04
/// (retry 3): connection refused]". The header has room for the time only; the pane says why.
pub fn source_title<'a>(state: &AppState, source: SourceId, theme: &Theme) -> Vec<Span<'a>> {
    match state.sources.get(&source) {
        Some(h @ SourceHealth::Reconnecting { reason, .. }) => {
            let (text, role) = health_text(h, &state.tz);
            let why = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            vec![Span::styled(format!("[{text}{why}] "), theme.style(role))]
        }
        Some(h @ SourceHealth::Failed { .. }) => {
            let (text, role) = health_text(h, &state.tz);
            vec![Span::styled(format!("[{text}] "), theme.style(role))]
        }
        _ => vec![],
    }
}

/// Why `source` is stale, while it is retrying (`None` when live, connecting or given up).
pub fn stale_reason(state: &AppState, source: SourceId) -> Option<&str> {
    match state.sources.get(&source) {
        Some(SourceHealth::Reconnecting { reason, .. }) if !reason.is_empty() => Some(reason),
        _ => None,
    }
}

/// Whether the header names `source`. The events watch and the usage poll go to the same API
/// server as the pod watch: they are named only when their state differs (stale while pods are
/// live); the timeline pane's title says the events' state either way.
fn shown(s: &AppState, source: SourceId, health: &SourceHealth) -> bool {
    if !matches!(source, SourceId::Events | SourceId::Usage) {
        return true;
    }
    let class = |h: &SourceHealth| std::mem::discriminant(h);
    s.sources
        .get(&SourceId::Pods)
        .is_none_or(|pods| class(pods) != class(health))
}

/// Firing critical / warning counts, when an alert source is configured.
fn alert_counts<'a>(s: &AppState, t: &Theme) -> Vec<Span<'a>> {
    if !s.alerts.settings.enabled {
        return Vec::new();
    }
    let base = t.style(Role::Header);
    let c = s.alerts.firing_counts();
    let role = |n: usize, r: Role| base.patch(t.style(if n > 0 { r } else { Role::Ok }));
    vec![
        Span::styled(
            format!(" {} crit", c.critical),
            role(c.critical, Role::Critical),
        ),
        Span::styled(
            format!(" {} warn ", c.warning),
            role(c.warning, Role::Warning),
        ),
    ]
}

/// Firing alerts about objects outside the namespace scope or not in the watches (`None`: none).
fn outside_scope<'a>(s: &AppState, t: &Theme) -> Option<Span<'a>> {
    let text = match s.related.outside_scope {
        0 => return None,
        1 => " 1 alert outside scope ".to_string(),
        n => format!(" {n} alerts outside scope "),
    };
    Some(Span::styled(
        text,
        t.style(Role::Header).patch(t.style(Role::Warning)),
    ))
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.state;
        let t = self.theme;
        let base = t.style(Role::Header);
        buf.set_style(area, base);
        let unhealthy = s.unhealthy_pods();
        let role = if unhealthy > 0 {
            Role::Critical
        } else {
            Role::Ok
        };
        let mut right = Vec::new();
        // Destructive actions on this protected context run without asking for its name.
        if let Some(left) = s.safety.armed_left(&s.context, s.now) {
            let text = format!(" ARMED {} ", crate::state::present::ms(left));
            right.push(Span::styled(text, t.style(Role::Critical)));
            right.push(Span::styled(" ", base));
        }
        let slo_at = right.len();
        right.extend(alert_counts(s, t));
        let slo = super::slo::header_text(&s.alerts.slos);
        right.extend([
            Span::styled(
                format!(" {unhealthy} unhealthy "),
                base.patch(t.style(role)),
            ),
            Span::styled(format!(" {} ", clock(s.now, &s.tz)), base),
        ]);
        let mut right_width: usize = right.iter().map(|s| s.width()).sum();
        let width = area.width as usize;
        let full = self.left(false);
        let compact = self.left(true);
        let wide = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
        if width < right_width + 24 {
            right_width = 0;
        }
        // The worst SLO: while it breaches, its whole line where it fits beside the compact
        // sources, else the verdict alone; a healthy one only where the full sources still
        // fit. It goes before the count of alerts outside scope.
        if let (true, Some((text, short, role))) = (right_width > 0, slo) {
            let mut style = base.patch(t.style(role));
            // The whole line beside the compact sources (the full ones for a healthy SLO);
            // the bare verdict may push the live sources' ✓ marks off the header (context and
            // namespace stay), never a stale one's.
            let stale = s.sources.values().any(|h| h.stale_since().is_some());
            let (line_beside, verdict_beside) = match (&short, stale) {
                (None, _) => (wide(&full), 0),
                (Some(_), true) => (wide(&compact), wide(&compact)),
                (Some(_), false) => (wide(&compact), wide(&compact[..compact.len().min(2)])),
            };
            let beside = verdict_beside;
            if short.is_some() {
                style = style.add_modifier(ratatui::style::Modifier::BOLD);
            }
            let mut shown = false;
            let tries = std::iter::once((text, line_beside))
                .chain(short.clone().map(|s| (s, verdict_beside)));
            for (text, beside) in tries {
                let span = Span::styled(text, style);
                if right_width + span.width() + beside <= width {
                    right_width += span.width();
                    right.insert(slo_at, span);
                    shown = true;
                    break;
                }
            }
            // Users affected matters more than the counts of unhealthy pods and firing alerts
            // (the tab bar and the panes still say them): on a narrow header the verdict
            // takes their place, the unhealthy count first.
            if let (false, Some(short), Role::Critical) = (shown, short, role) {
                let span = Span::styled(short, style);
                let counts = right.len() - 1 - slo_at;
                for drop in 1..=counts {
                    let freed: usize = (0..drop).map(|i| right[right.len() - 2 - i].width()).sum();
                    if right_width - freed + span.width() + beside <= width {
                        let clock = right.pop();
                        right.truncate(right.len() - drop);
                        right.extend(clock);
                        right_width = right_width - freed + span.width();
                        right.insert(slo_at, span);
                        break;
                    }
                }
            }
        }
        // The full form of the sources when it fits; else one mark per source and the first
        // stale time. The count of alerts outside the scope only where it still fits.
        let left_width = if right_width + wide(&full) <= width {
            wide(&full)
        } else {
            wide(&compact)
        };
        if right_width > 0
            && let Some(outside) = outside_scope(s, t)
            && right_width + outside.width() + left_width <= width
        {
            right_width += outside.width();
            right.insert(right.len() - 2, outside);
        }
        let left = if right_width + wide(&full) <= width {
            full
        } else {
            compact
        };
        let [l, r] = ratatui::layout::Layout::horizontal([
            ratatui::layout::Constraint::Min(0),
            ratatui::layout::Constraint::Length(right_width as u16),
        ])
        .areas(area);
        Paragraph::new(Line::from(left)).style(base).render(l, buf);
        Paragraph::new(Line::from(right)).style(base).render(r, buf);
    }
}

impl Header<'_> {
    /// Context, namespace and the state of every source; `compact` for narrow screens.
    fn left(&self, compact: bool) -> Vec<Span<'static>> {
        let s = self.state;
        let t = self.theme;
        let base = t.style(Role::Header);
        let ns = s.namespace.as_deref().unwrap_or("all");
        let mut left = Vec::new();
        if !compact {
            left.push(Span::styled(" opsdeck ", base.patch(t.style(Role::Title))));
        }
        left.push(Span::styled(format!(" ctx {} ", s.context), base));
        left.push(Span::styled(format!(" ns {ns} "), base));
        if s.readonly {
            let text = if compact { " RO " } else { " READ-ONLY " };
            left.push(Span::styled(text, base.patch(t.style(Role::Warning))));
        }
        let mut first_stale = None;
        for (source, health) in s.sources.iter().filter(|(id, h)| shown(s, **id, h)) {
            let stale = health.stale_since();
            first_stale = first_stale.or(stale);
            let (text, role) = match (health, compact) {
                (_, false) if stale.is_some() => (
                    format!("stale since {}", clock(stale.unwrap_or(s.now), &s.tz)),
                    Role::Critical,
                ),
                (other, false) => health_text(other, &s.tz),
                (SourceHealth::Live, true) => ("✓".to_string(), Role::Ok),
                (SourceHealth::Connecting, true) => ("…".to_string(), Role::Info),
                (_, true) => ("!".to_string(), Role::Critical),
            };
            let sep = if compact { "" } else { " " };
            left.push(Span::styled(format!(" {}{sep}", source.label()), base));
            left.push(Span::styled(format!("{text} "), base.patch(t.style(role))));
        }
        if let (true, Some(since)) = (compact, first_stale) {
            let text = format!("stale {} ", clock(since, &s.tz));
            left.push(Span::styled(text, base.patch(t.style(Role::Critical))));
        }
        left
    }
}
