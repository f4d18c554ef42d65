//! Screen layout: header, panes (grid when large, tabs when small, zoom), input/status line,
//! footer, overlays. Every size down to 1x1 renders without panicking.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Pane;
use crate::config::keymap::{KeyContext, Keymap};
use crate::state::AppState;
use crate::state::ui::Overlay;
use crate::ui::panes::{AlertsPane, LogsPane, PodsPane, RolloutsPane};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{
    alert_detail, dialog, footer, header, help, history, pod_detail, silence,
};

/// Smallest size at which all four panes are shown at once.
pub const GRID_MIN: (u16, u16) = (160, 45);

/// Draw the whole screen.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let status_rows = u16::from(area.height >= 8);
    let [top, body, status, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(status_rows),
        Constraint::Length(u16::from(area.height >= 3)),
    ])
    .areas(area);
    frame.render_widget(header::Header { state, theme }, top);
    render_body(frame, body, state, theme, keymap);
    let context = state.key_context();
    if status_rows > 0 {
        frame.render_widget(
            footer::StatusLine {
                state,
                theme,
                keymap,
            },
            status,
        );
    }
    frame.render_widget(
        footer::Footer {
            state,
            theme,
            keymap,
            context,
        },
        bottom,
    );
    render_overlay(frame, body, state, theme, keymap);
}

fn render_body(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, keymap: &Keymap) {
    if area.height == 0 {
        return;
    }
    let full = frame.area();
    let grid = full.width >= GRID_MIN.0 && full.height >= GRID_MIN.1;
    if state.ui.zoomed || !grid {
        let pane_area = if state.ui.zoomed || area.height < 6 {
            area
        } else {
            let [tabs, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(tab_bar(state, theme), tabs);
            rest
        };
        render_pane(frame, pane_area, (state.ui.focus, state), theme, keymap);
        return;
    }
    let [upper, lower] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let [pods, rollouts] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(upper);
    let [alerts, logs] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(lower);
    for (pane, rect) in [
        (Pane::Pods, pods),
        (Pane::Rollouts, rollouts),
        (Pane::Alerts, alerts),
        (Pane::Logs, logs),
    ] {
        render_pane(frame, rect, (pane, state), theme, keymap);
    }
}

fn render_pane(
    frame: &mut Frame,
    area: Rect,
    (pane, state): (Pane, &AppState),
    theme: &Theme,
    keymap: &Keymap,
) {
    let focused = state.ui.focus == pane;
    match pane {
        Pane::Pods => frame.render_widget(
            PodsPane {
                state,
                theme,
                focused,
            },
            area,
        ),
        Pane::Rollouts => frame.render_widget(
            RolloutsPane {
                state,
                theme,
                focused,
            },
            area,
        ),
        Pane::Alerts => frame.render_widget(
            AlertsPane {
                state,
                theme,
                keymap,
                focused,
            },
            area,
        ),
        Pane::Logs => frame.render_widget(
            LogsPane {
                state,
                theme,
                keymap,
                focused,
            },
            area,
        ),
    }
}

fn tab_bar<'a>(state: &AppState, theme: &Theme) -> Paragraph<'a> {
    let mut spans = Vec::new();
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let role = if *pane == state.ui.focus {
            Role::Selection
        } else {
            Role::Muted
        };
        let badge = match pane {
            Pane::Pods if state.unhealthy_pods() > 0 => format!(" !{}", state.unhealthy_pods()),
            Pane::Alerts if state.alerts.firing_counts().critical > 0 => {
                format!(" !{}", state.alerts.firing_counts().critical)
            }
            _ => String::new(),
        };
        spans.push(Span::styled(
            format!(" {} {}{} ", i + 1, pane.title(), badge),
            theme.style(role),
        ));
        spans.push(Span::raw(" "));
    }
    Paragraph::new(Line::from(spans))
}

fn render_overlay(frame: &mut Frame, body: Rect, state: &AppState, theme: &Theme, keymap: &Keymap) {
    let now = state.now;
    match &state.ui.overlay {
        Overlay::None => {}
        Overlay::Help => frame.render_widget(help_view(state, theme, keymap), body),
        Overlay::Confirm(d) => frame.render_widget(
            dialog::ConfirmView {
                dialog: d,
                readonly: state.readonly,
                theme,
                keymap,
            },
            body,
        ),
        Overlay::PodDetail {
            target,
            detail,
            scroll,
        } => frame.render_widget(
            pod_detail::PodDetailView {
                target,
                detail: detail.as_deref(),
                scroll: *scroll,
                now,
                theme,
                keymap,
            },
            body,
        ),
        Overlay::RolloutHistory(view) => frame.render_widget(
            history::HistoryOverlay {
                rollouts: &state.rollouts,
                view,
                now,
                theme,
                keymap,
            },
            body,
        ),
        Overlay::AlertDetail {
            fingerprint,
            scroll,
        } => frame.render_widget(
            alert_detail::AlertDetailView {
                alerts: &state.alerts,
                fingerprint,
                scroll: *scroll,
                now,
                theme,
                keymap,
            },
            body,
        ),
        Overlay::Silence(form) => frame.render_widget(
            silence::SilenceView {
                form,
                theme,
                keymap,
            },
            body,
        ),
    }
}

/// `?`: the keys of the focused pane, forbidden ones marked.
fn help_view<'a>(state: &'a AppState, theme: &'a Theme, keymap: &'a Keymap) -> help::Help<'a> {
    let context = KeyContext::Pane(state.ui.focus);
    help::Help {
        keymap,
        context,
        theme,
        title: state.ui.focus.title(),
        denied: keymap
            .bindings_for(context)
            .map(|b| b.action.clone())
            .filter(|a| state.is_denied(a))
            .collect(),
    }
}
