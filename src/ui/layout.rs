//! Screen layout: header, panes (grid when large, tabs when small, zoom), input/status line,
//! footer, overlays. Every size down to 1x1 renders without panicking.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Pane;
use crate::config::keymap::{KeyContext, Keymap};
use crate::state::list::ListState;
use crate::state::ui::Overlay;
use crate::state::{AppState, Viewports};
use crate::ui::panes::{AlertsPane, LogsPane, PodsPane, RolloutsPane, TimelinePane, alerts, logs};
use crate::ui::present;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{
    alert_detail, dialog, footer, header, help, history, pod_detail, silence, table, wide_inner,
};

/// Smallest size at which all four panes are shown at once.
pub const GRID_MIN: (u16, u16) = (160, 45);

/// What a frame showed that the sources care about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The pods pane is on screen with room for the CPU/MEM columns.
    pub usage_room: bool,
}

/// Draw the whole screen.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme, keymap: &Keymap) {
    draw(frame, state, theme, keymap);
}

/// Draw the whole screen and say what it showed (never frozen: see [`present::Screen`]).
pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme, keymap: &Keymap) -> Drawn {
    draw_frame(frame, state, theme, keymap, (&mut None, false))
}

/// Draw the whole screen; with `freeze`, the panes come from `frozen` (taken now when it
/// holds no picture of this size). Redacted last, when presenting.
pub(crate) fn draw_frame(
    frame: &mut Frame,
    state: &AppState,
    theme: &Theme,
    keymap: &Keymap,
    (frozen, freeze): (&mut Option<ratatui::buffer::Buffer>, bool),
) -> Drawn {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return Drawn::default();
    }
    let [banner, top, body, status, bottom] = screen(area, state);
    if banner.height > 0 {
        frame.render_widget(
            present::Banner {
                state,
                theme,
                keymap,
            },
            banner,
        );
    }
    frame.render_widget(header::Header { state, theme }, top);
    let usage_room = std::cell::Cell::new(false);
    match frozen.as_ref().filter(|b| freeze && b.area == area) {
        Some(picture) => present::copy_area(picture, frame.buffer_mut(), body),
        None => {
            render_body(frame, body, (state, &usage_room), theme, keymap);
            *frozen = freeze.then(|| frame.buffer_mut().clone());
        }
    }
    let context = state.key_context();
    if status.height > 0 {
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
    if state.present.on {
        present::redact_buffer(frame.buffer_mut(), area, &state.present.redactor);
    }
    Drawn {
        usage_room: usage_room.get(),
    }
}

/// The rows of the screen: banner (on a call), header, body (panes and overlays), status
/// line, footer.
fn screen(area: Rect, state: &AppState) -> [Rect; 5] {
    let banner = present::has_banner(state) && area.height >= 10;
    Layout::vertical([
        Constraint::Length(u16::from(banner)),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(u16::from(area.height >= 8)),
        Constraint::Length(u16::from(area.height >= 3)),
    ])
    .areas(area)
}

/// How the body holds the panes.
enum Panes {
    /// All four at once, in [`Pane::ALL`] order.
    Grid([Rect; 4]),
    /// The focused pane alone (zoomed, or the screen is too small for the grid), under a tab
    /// bar when there is room for one. Any pane gets this area when it has the focus.
    Single { tabs: Option<Rect>, pane: Rect },
}

impl Panes {
    fn of(full: Rect, body: Rect, zoomed: bool) -> Panes {
        let grid = full.width >= GRID_MIN.0 && full.height >= GRID_MIN.1;
        if zoomed || !grid {
            if zoomed || body.height < 6 {
                return Panes::Single {
                    tabs: None,
                    pane: body,
                };
            }
            let [tabs, pane] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
            return Panes::Single {
                tabs: Some(tabs),
                pane,
            };
        }
        let [upper, lower] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        let [pods, rollouts] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(upper);
        let [alerts, logs] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(lower);
        Panes::Grid([pods, rollouts, alerts, logs])
    }

    /// Where `pane` is drawn (when it has the focus, for a single pane).
    fn area(&self, pane: Pane) -> Rect {
        match self {
            Panes::Grid(areas) => areas[pane.index()],
            Panes::Single { pane: area, .. } => *area,
        }
    }
}

fn render_body(
    frame: &mut Frame,
    area: Rect,
    (state, usage_room): (&AppState, &std::cell::Cell<bool>),
    theme: &Theme,
    keymap: &Keymap,
) {
    if area.height == 0 {
        return;
    }
    match Panes::of(frame.area(), area, state.ui.zoomed) {
        Panes::Single { tabs, pane } => {
            if let Some(tabs) = tabs {
                frame.render_widget(tab_bar(state, theme), tabs);
            }
            let pane_state = (state.ui.focus, state, usage_room);
            render_pane(frame, pane, pane_state, theme, keymap);
        }
        Panes::Grid(areas) => {
            for (pane, rect) in Pane::ALL.into_iter().zip(areas) {
                let pane = match pane {
                    Pane::Logs if state.timeline.shown => Pane::Timeline,
                    pane => pane,
                };
                render_pane(frame, rect, (pane, state, usage_room), theme, keymap);
            }
        }
    }
}

/// The height of every list on a screen of `area`, as [`render`] would draw `state`: the page
/// size of each list and how far the open text overlay scrolls. The app hands this to
/// [`AppState::set_viewports`] whenever the size or the layout may have changed.
pub fn viewports(state: &AppState, theme: &Theme, keymap: &Keymap, area: Rect) -> Viewports {
    let [_, _, body, _, _] = screen(area, state);
    let panes = Panes::of(area, body, state.ui.zoomed);
    let text = wide_inner(body);
    let (overlay, overlay_text) = match &state.ui.overlay {
        Overlay::PodDetail { target, detail, .. } => {
            let view = pod_detail::PodDetailView {
                target,
                detail: detail.as_deref(),
                scroll: 0,
                now: state.now,
                theme,
                keymap,
                rollouts: &state.rollouts,
                redact: state.present.on.then_some(&*state.present.redactor),
            };
            (usize::from(text.height), view.text_rows(text.width))
        }
        Overlay::AlertDetail { fingerprint, .. } => {
            let view = alert_detail::AlertDetailView {
                alerts: &state.alerts,
                fingerprint,
                scroll: 0,
                now: state.now,
                theme,
                keymap,
                redact: state.present.on.then_some(&*state.present.redactor),
            };
            (usize::from(text.height), view.text_rows(text.width))
        }
        Overlay::RolloutHistory(_) => (history::list_rows(body), 0),
        Overlay::Slos(_) => (crate::ui::widgets::slo::list_rows(body), 0),
        Overlay::None | Overlay::Help | Overlay::Silence(_) | Overlay::Confirm(_) => (0, 0),
    };
    Viewports {
        pods: table::list_rows(panes.area(Pane::Pods)),
        rollouts: table::list_rows(panes.area(Pane::Rollouts)),
        alerts: alerts::list_rows(&state.alerts, panes.area(Pane::Alerts)),
        logs: logs::list_rows(&state.logs, panes.area(Pane::Logs)),
        timeline: table::list_rows(panes.area(Pane::Timeline)),
        overlay,
        overlay_text,
    }
}

fn render_pane(
    frame: &mut Frame,
    area: Rect,
    (pane, state, usage_room): (Pane, &AppState, &std::cell::Cell<bool>),
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
                usage_room: Some(usage_room),
            },
            area,
        ),
        Pane::Rollouts => frame.render_widget(
            RolloutsPane {
                state,
                theme,
                focused,
                usage_room: Some(usage_room),
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
        Pane::Timeline => frame.render_widget(
            TimelinePane {
                state,
                theme,
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
        let shown = match pane {
            Pane::Logs if state.timeline.shown => Pane::Timeline,
            pane => *pane,
        };
        let role = if shown == state.ui.focus {
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
            format!(" {} {}{} ", i + 1, shown.title(), badge),
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
                scroll: text_offset(scroll),
                now,
                theme,
                keymap,
                rollouts: &state.rollouts,
                redact: state.present.on.then_some(&*state.present.redactor),
            },
            body,
        ),
        Overlay::Slos(view) => frame.render_widget(
            crate::ui::widgets::slo::SloOverlay {
                state,
                view,
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
                scroll: text_offset(scroll),
                now,
                theme,
                keymap,
                redact: state.present.on.then_some(&*state.present.redactor),
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

/// The first line of a text overlay on screen.
fn text_offset(scroll: &ListState<()>) -> u16 {
    u16::try_from(scroll.cursor()).unwrap_or(u16::MAX)
}
