//! Golden signals: per service, one sparkline per signal with its current value and unit,
//! coloured by threshold.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use crate::model::signal::{ServiceSignals, SignalLevel, SignalSeries};
use crate::ui::theme::{Role, Theme};

pub struct SignalsView<'a> {
    pub services: &'a [ServiceSignals],
    pub theme: &'a Theme,
}

/// Theme role for a threshold level.
pub fn level_role(level: SignalLevel) -> Role {
    match level {
        SignalLevel::Ok => Role::Ok,
        SignalLevel::Warning => Role::Warning,
        SignalLevel::Critical => Role::Critical,
    }
}

/// Rows needed to show `services`: a title per service and a line per signal.
pub fn signals_height(services: &[ServiceSignals]) -> u16 {
    services.iter().map(|s| 1 + s.series.len() as u16).sum()
}

impl Widget for SignalsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut y = area.y;
        let bottom = area.y + area.height;
        for svc in self.services {
            if y >= bottom {
                return;
            }
            let title = Line::styled(format!("▸ {}", svc.service), t.style(Role::Title));
            Paragraph::new(title).render(
                Rect {
                    y,
                    height: 1,
                    ..area
                },
                buf,
            );
            y += 1;
            for series in &svc.series {
                if y >= bottom {
                    return;
                }
                render_series(
                    series,
                    Rect {
                        y,
                        height: 1,
                        ..area
                    },
                    buf,
                    t,
                );
                y += 1;
            }
        }
    }
}

fn render_series(s: &SignalSeries, area: Rect, buf: &mut Buffer, t: &Theme) {
    let [label, spark, value] = Layout::horizontal([
        Constraint::Length(12),
        Constraint::Min(0),
        Constraint::Length(14),
    ])
    .spacing(1)
    .areas(area);
    Paragraph::new(Line::styled(
        format!("  {}", s.kind.label()),
        t.style(Role::Muted),
    ))
    .render(label, buf);
    let role = level_role(s.level());
    if let Some(e) = &s.error {
        Paragraph::new(Line::styled(e.clone(), t.style(Role::Warning))).render(spark, buf);
    } else {
        // Sparkline bars are u64: scale so the window's max is 1000 (keeps small values visible).
        let max = s.points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let scale = if max > 0.0 { 1000.0 / max } else { 0.0 };
        let tail = s.points.len().saturating_sub(spark.width as usize);
        let data: Vec<u64> = s.points[tail..]
            .iter()
            .map(|(_, v)| (v.max(0.0) * scale).round() as u64)
            .collect();
        Sparkline::default()
            .data(&data)
            .max(1000)
            .style(t.style(role))
            .render(spark, buf);
    }
    Paragraph::new(Line::from(vec![Span::styled(
        s.current_text(),
        t.style(role),
    )]))
    .alignment(ratatui::layout::Alignment::Right)
    .render(value, buf);
}
