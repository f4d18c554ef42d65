//! The pods pane: summary line and a virtualised table (only visible rows are formatted).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Widget};

use crate::model::alert::Severity;
use crate::model::pod::{Health, PodRow};
use crate::model::usage::{OOM_RISK_PERCENT, Usage, cell_text, cpu_text, memory_text, percent};
use crate::state::AppState;
use crate::ui::panes::{BADGE_WIDTH, alert_badge};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::pane_frame::list_frame;
use crate::ui::widgets::table::{render_window, table_rows};
use crate::update::SourceId;

pub struct PodsPane<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub focused: bool,
    /// Set when the table has room for the CPU/MEM columns (whether the cluster serves them
    /// or not yet): the usage poller lists only then.
    pub usage_room: Option<&'a std::cell::Cell<bool>>,
}

/// Theme role for a pod's health.
pub fn health_role(health: Health) -> Role {
    match health {
        Health::Ok => Role::Ok,
        Health::Completed => Role::Muted,
        Health::Pending | Health::Terminating => Role::Info,
        Health::Warning => Role::Warning,
        Health::Failed => Role::Critical,
    }
}

impl Widget for PodsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let what = ("Pods", SourceId::Pods, self.state.pods.listed);
        let Some((summary, table)) = list_frame(area, buf, what, self.state, theme, self.focused)
        else {
            return;
        };
        Paragraph::new(summary_line(self.state, theme)).render(summary, buf);
        self.render_table(table, buf);
    }
}

impl PodsPane<'_> {
    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        let pods = &self.state.pods;
        let theme = self.theme;
        let height = table_rows(area);
        if height == 0 {
            return;
        }
        if pods.visible_len() == 0 {
            let text = if pods.filter().is_empty() {
                "no pods in scope"
            } else {
                "no pods match the filter"
            };
            Paragraph::new(Line::styled(text, theme.style(Role::Muted))).render(area, buf);
            return;
        }
        let selected = pods.selected_index();
        let offset = pods.list().first_shown(height);
        let rows: Vec<&PodRow> = pods.window(offset, height).collect();
        let now = self.state.now;
        let related = &self.state.related;
        let badges: Vec<_> = rows
            .iter()
            .map(|r| related.pod_badge(&r.namespace, &r.name))
            .collect();
        let alert = badges.iter().any(Option::is_some);
        let usage: Vec<Option<UsageCells>> = rows
            .iter()
            .map(|r| usage_cells(r, pods.usage(&r.namespace, &r.name)))
            .collect();
        let mut cols = Columns::fit(
            area.width,
            &rows,
            self.state.namespace.is_none(),
            now,
            alert,
        );
        // On a call: fewer, wider columns (no NODE, no CPU/MEM).
        let presenting = self.state.present.on;
        if presenting {
            cols.node = None;
        }
        let room = !presenting && cols.fit_usage(area.width, pods.usage_served, &usage);
        if let Some(cell) = self.usage_room {
            cell.set(cell.get() || room);
        }
        let header = Row::new(cols.header());
        let body = rows
            .iter()
            .zip(&badges)
            .zip(&usage)
            .map(|((r, badge), usage)| {
                let mut cells = cols.cells(r, *badge, now, theme);
                cols.push_usage(&mut cells, usage.as_ref(), theme);
                Row::new(cells).style(theme.style(health_role(r.health)))
            });
        let table = (header, body.collect(), cols.widths());
        render_window(area, buf, table, selected - offset, self.focused, theme);
    }
}

fn summary_line<'a>(state: &AppState, theme: &Theme) -> Line<'a> {
    let c = state.pods.counts();
    let mut spans = vec![
        Span::styled(format!("{} running", c.running), theme.style(Role::Ok)),
        Span::styled(format!("  {} pending", c.pending), theme.style(Role::Info)),
        Span::styled(
            format!("  {} failing", c.failing + c.warning),
            theme.style(if c.unhealthy() > 0 {
                Role::Critical
            } else {
                Role::Muted
            }),
        ),
    ];
    if c.terminating > 0 {
        spans.push(Span::styled(
            format!("  {} terminating", c.terminating),
            theme.style(Role::Info),
        ));
    }
    if c.completed > 0 {
        spans.push(Span::styled(
            format!("  {} completed", c.completed),
            theme.style(Role::Muted),
        ));
    }
    spans.push(Span::styled(
        format!("  · {} total", c.total()),
        theme.style(Role::Muted),
    ));
    spans.extend(super::filter_span(
        state.pods.filter(),
        state.pods.visible_len(),
        theme,
    ));
    Line::from(spans)
}

/// Which columns fit, and how wide they are (from the visible rows only).
struct Columns {
    namespace: Option<u16>,
    name: u16,
    status: u16,
    restarts: Option<u16>,
    age: bool,
    node: Option<u16>,
    /// Some visible row has a firing alert: the ALERT column.
    alert: bool,
    /// Widths of CPU and MEM, when the cluster serves `metrics.k8s.io` and they fit.
    usage: Option<(u16, u16)>,
}

/// The CPU and MEM cells of a row: `120m 60%R`, `233Mi 91%L`; `risk`: memory at or above
/// [`OOM_RISK_PERCENT`] of the limit; `last`: the last figures seen (the pod is not reported
/// any more), shown muted with a `~`.
struct UsageCells {
    cpu: String,
    mem: String,
    risk: bool,
    last: bool,
}

fn usage_cells(r: &PodRow, usage: Option<(Usage, bool)>) -> Option<UsageCells> {
    let (u, last) = usage?;
    let res = &r.resources;
    let mark = if last { "~" } else { "" };
    let cpu = cell_text(
        cpu_text(u.cpu_m),
        u.cpu_m,
        res.cpu_request_m,
        res.cpu_limit_m,
    );
    let mem = cell_text(
        memory_text(u.mem_b),
        u.mem_b,
        res.mem_request_b,
        res.mem_limit_b,
    );
    Some(UsageCells {
        cpu: format!("{mark}{cpu}"),
        mem: format!("{mark}{mem}"),
        risk: percent(u.mem_b, res.mem_limit_b).is_some_and(|p| p >= OOM_RISK_PERCENT),
        last,
    })
}

impl Columns {
    fn fit(
        width: u16,
        rows: &[&PodRow],
        show_ns: bool,
        now: jiff::Timestamp,
        alert: bool,
    ) -> Columns {
        let w = |f: &dyn Fn(&PodRow) -> usize, min: usize, max: usize| {
            rows.iter().map(|r| f(r)).max().unwrap_or(0).clamp(min, max) as u16
        };
        let mut cols = Columns {
            namespace: show_ns.then(|| w(&|r| r.namespace.chars().count(), 9, 24)),
            name: w(&|r| r.name.chars().count(), 4, 63),
            status: w(&|r| r.status.chars().count(), 6, 32),
            restarts: Some(w(&|r| r.restarts_text(now).chars().count(), 8, 20)),
            age: true,
            node: Some(w(&|r| r.node.chars().count(), 4, 32)),
            alert,
            usage: None,
        };
        let need = |c: &Columns| {
            let opt = |o: Option<u16>| o.map(|n| n + 1).unwrap_or(0);
            c.name
                + 1
                + 6
                + c.status
                + 1
                + opt(c.namespace)
                + opt(c.restarts)
                + if c.age { 6 } else { 0 }
                + opt(c.node)
                + if c.alert { BADGE_WIDTH + 1 } else { 0 }
        };
        let drops: [fn(&mut Columns); 4] = [
            |c| c.node = None,
            |c| c.age = false,
            |c| c.restarts = None,
            |c| c.namespace = None,
        ];
        for drop in drops {
            if need(&cols) <= width {
                break;
            }
            drop(&mut cols);
        }
        cols
    }

    /// CPU and MEM after the other columns, when the cluster serves the metrics API and the
    /// pane has room for them next to what already fits.
    /// Returns whether the columns have room (at their narrowest when nothing is served yet).
    fn fit_usage(&mut self, width: u16, served: bool, cells: &[Option<UsageCells>]) -> bool {
        let w = |f: &dyn Fn(&UsageCells) -> usize| {
            cells
                .iter()
                .flatten()
                .map(f)
                .max()
                .unwrap_or(0)
                .clamp(3, 16) as u16
        };
        let (cpu, mem) = (w(&|c| c.cpu.chars().count()), w(&|c| c.mem.chars().count()));
        let used: u16 = self
            .widths()
            .iter()
            .map(|c| match c {
                Constraint::Length(n) => n + 1,
                _ => 1,
            })
            .sum();
        let room = used + cpu + mem + 2 <= width;
        if room && served {
            self.usage = Some((cpu, mem));
        }
        room
    }

    fn push_usage<'a>(&self, cells: &mut Vec<Cell<'a>>, usage: Option<&UsageCells>, theme: &Theme) {
        if self.usage.is_none() {
            return;
        }
        let Some(u) = usage else {
            cells.extend([Cell::from(""), Cell::from("")]);
            return;
        };
        let style = if u.last {
            theme.style(Role::Muted)
        } else {
            ratatui::style::Style::default()
        };
        let mem_style = if u.risk {
            theme.style(Role::Critical)
        } else {
            style
        };
        cells.push(Cell::from(u.cpu.clone()).style(style));
        cells.push(Cell::from(u.mem.clone()).style(mem_style));
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = Vec::new();
        if self.namespace.is_some() {
            h.push("NAMESPACE");
        }
        h.extend(["NAME", "READY", "STATUS"]);
        if self.alert {
            h.push("ALERT");
        }
        if self.restarts.is_some() {
            h.push("RESTARTS");
        }
        if self.age {
            h.push("AGE");
        }
        if self.node.is_some() {
            h.push("NODE");
        }
        if self.usage.is_some() {
            h.extend(["CPU", "MEM"]);
        }
        h
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut w = Vec::new();
        if let Some(ns) = self.namespace {
            w.push(Constraint::Length(ns));
        }
        w.extend([
            Constraint::Length(self.name),
            Constraint::Length(5),
            Constraint::Length(self.status),
        ]);
        if self.alert {
            w.push(Constraint::Length(BADGE_WIDTH));
        }
        if let Some(r) = self.restarts {
            w.push(Constraint::Length(r));
        }
        if self.age {
            w.push(Constraint::Length(5));
        }
        if let Some(node) = self.node {
            w.push(Constraint::Length(node));
        }
        if let Some((cpu, mem)) = self.usage {
            w.extend([Constraint::Length(cpu), Constraint::Length(mem)]);
        }
        w
    }

    fn cells<'a>(
        &self,
        r: &PodRow,
        badge: Option<&Severity>,
        now: jiff::Timestamp,
        theme: &Theme,
    ) -> Vec<Cell<'a>> {
        let mut c: Vec<Cell> = Vec::new();
        if self.namespace.is_some() {
            c.push(Cell::from(r.namespace.clone()));
        }
        c.extend([
            Cell::from(r.name.clone()),
            Cell::from(format!("{}/{}", r.ready, r.total)),
            Cell::from(r.status.clone()),
        ]);
        if self.alert {
            c.push(alert_badge(badge, theme));
        }
        if self.restarts.is_some() {
            c.push(Cell::from(r.restarts_text(now)));
        }
        if self.age {
            c.push(Cell::from(r.age_text(now)));
        }
        if self.node.is_some() {
            c.push(Cell::from(r.node.clone()));
        }
        c
    }
}
