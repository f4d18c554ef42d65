//! The rollouts pane: one row per Deployment, StatefulSet and DaemonSet, most recent change
//! first, with kind, revision, age, progress (updated/ready/available of desired), update
//! strategy (a StatefulSet's partition, `manual` for OnDelete), state and what the last
//! revision changed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Widget};

use crate::model::alert::Severity;
use crate::model::rollout::{RolloutRow, RolloutState, Strategy, WorkloadKind};
use crate::model::usage::{Usage, cpu_text, memory_text};
use crate::state::AppState;
use crate::state::rollouts::RolloutKey;
use crate::ui::panes::{BADGE_WIDTH, alert_badge};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::pane_frame::list_frame;
use crate::ui::widgets::table::{render_window, table_rows};
use crate::update::SourceId;

/// Cells of the progress bar.
const BAR: usize = 8;

pub struct RolloutsPane<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub focused: bool,
    /// Set when the table has room for the CPU/MEM sums: the usage poller lists only then.
    pub usage_room: Option<&'a std::cell::Cell<bool>>,
}

/// Width of the CPU and MEM columns, and what else the table keeps beside them.
const USAGE_WIDTH: u16 = 14;

/// What a workload's pods use together: a Deployment's through its ReplicaSets.
fn workload_usage(state: &AppState, r: &RolloutRow) -> Option<Usage> {
    let pods = &state.pods;
    if r.kind != WorkloadKind::Deployment {
        return pods.owner_usage(&r.namespace, r.kind.kind(), &r.name);
    }
    let revisions = state.rollouts.revisions_of(&RolloutKey::of_row(r));
    let each = revisions
        .iter()
        .filter_map(|rs| pods.owner_usage(&r.namespace, "ReplicaSet", &rs.name));
    each.reduce(|a, b| Usage {
        cpu_m: a.cpu_m + b.cpu_m,
        mem_b: a.mem_b + b.mem_b,
    })
}

/// Theme role for a rollout's state.
pub fn state_role(state: RolloutState) -> Role {
    match state {
        RolloutState::Complete => Role::Ok,
        RolloutState::Progressing => Role::Info,
        RolloutState::Stalled => Role::Critical,
        RolloutState::Paused => Role::Warning,
        RolloutState::ScaledToZero => Role::Muted,
    }
}

impl Widget for RolloutsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let what = ("Rollouts", SourceId::Rollouts, self.state.rollouts.listed);
        let Some((summary, table)) = list_frame(area, buf, what, self.state, theme, self.focused)
        else {
            return;
        };
        Paragraph::new(summary_line(self.state, theme)).render(summary, buf);
        self.render_table(table, buf);
    }
}

fn summary_line<'a>(state: &AppState, theme: &Theme) -> Line<'a> {
    let counts = state.rollouts.counts();
    let total = state.rollouts.len();
    let kinds = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
    ];
    let text = if counts.of_kind(WorkloadKind::Deployment) == total {
        format!("{total} deployments")
    } else {
        let each: Vec<String> = kinds
            .iter()
            .filter(|k| counts.of_kind(**k) > 0)
            .map(|k| format!("{} {}", counts.of_kind(*k), k.short()))
            .collect();
        format!("{total} workloads ({})", each.join(", "))
    };
    let mut spans = vec![Span::styled(text, theme.style(Role::Text))];
    for s in [
        RolloutState::Progressing,
        RolloutState::Stalled,
        RolloutState::Paused,
    ] {
        let n = counts.of(s);
        if n > 0 {
            spans.push(Span::styled(
                format!("  {n} {}", s.label().to_lowercase()),
                theme.style(state_role(s)),
            ));
        }
    }
    let rollouts = &state.rollouts;
    spans.extend(super::filter_span(
        rollouts.filter(),
        rollouts.visible_len(),
        theme,
    ));
    Line::from(spans)
}

impl RolloutsPane<'_> {
    fn render_table(&self, area: Rect, buf: &mut Buffer) {
        let rollouts = &self.state.rollouts;
        let theme = self.theme;
        let height = table_rows(area);
        if height == 0 {
            return;
        }
        if rollouts.visible_len() == 0 {
            let text = if rollouts.is_empty() {
                "no deployments, statefulsets or daemonsets in scope"
            } else {
                "no workloads match the filter"
            };
            Paragraph::new(Line::styled(text, theme.style(Role::Muted))).render(area, buf);
            return;
        }
        let selected = rollouts.selected_index();
        let offset = rollouts.list().first_shown(height);
        let rows: Vec<&RolloutRow> = rollouts.window(offset, height).collect();
        let related = &self.state.related;
        let badges: Vec<_> = rows
            .iter()
            .map(|r| related.rollout_badge(&RolloutKey::of_row(r)))
            .collect();
        let counts = rollouts.counts();
        let mixed = counts.of_kind(WorkloadKind::Deployment) != rollouts.len();
        let served = self.state.pods.usage_served;
        let mut cols = Columns::fit(area.width, &rows, (self.state.namespace.is_none(), mixed));
        // On a call: fewer, wider columns (no STRATEGY, counts or CPU/MEM; CHANGE gets it).
        let presenting = self.state.present.on;
        if presenting {
            cols.change += if cols.strategy { 9 } else { 0 } + if cols.counts { 8 } else { 0 };
            cols.strategy = false;
            cols.counts = false;
        }
        if let Some(cell) = self.usage_room {
            cell.set(cell.get() || (!presenting && cols.usage_room()));
        }
        cols.usage = !presenting && served && cols.usage_room();
        cols.alert = badges.iter().any(Option::is_some);
        cols.change = cols
            .change
            .saturating_sub(if cols.alert { BADGE_WIDTH + 1 } else { 0 })
            .saturating_sub(if cols.usage { USAGE_WIDTH } else { 0 });
        let header = Row::new(cols.header());
        let body = rows.iter().zip(&badges).map(|(r, badge)| {
            let usage = cols.usage.then(|| workload_usage(self.state, r));
            Row::new(cols.cells(r, (*badge, usage), self.state.now, theme))
                .style(theme.style(state_role(r.state)))
        });
        let table = (header, body.collect(), cols.widths());
        render_window(area, buf, table, selected - offset, self.focused, theme);
    }
}

/// Rollout progress, `█████▒░░`: updated pods of desired; solid as far as pods are also
/// available (an estimate: available pods may include old ones), shaded when updated but not
/// yet available, empty when not updated yet.
fn progress_bar<'a>(r: &RolloutRow, theme: &Theme) -> Line<'a> {
    let desired = r.desired.max(0) as usize;
    let cells = |n: i32| {
        if desired == 0 {
            return 0;
        }
        (n.clamp(0, r.desired) as usize * BAR)
            .div_ceil(desired)
            .min(BAR)
    };
    let updated = cells(r.updated);
    let solid = cells(r.updated.min(r.available));
    Line::from(vec![
        Span::styled("█".repeat(solid), theme.style(Role::Ok)),
        Span::styled("▒".repeat(updated - solid), theme.style(Role::Info)),
        Span::styled("░".repeat(BAR - updated), theme.style(Role::Muted)),
    ])
}

/// The STRATEGY cell: `rolling`, `recreate`, `manual` (OnDelete), a StatefulSet's
/// `part N` (ordinals below N keep the old revision).
fn strategy_text(r: &RolloutRow) -> String {
    match r.strategy {
        Strategy::RollingUpdate if r.partition > 0 => format!("part {}", r.partition),
        Strategy::RollingUpdate => "rolling".into(),
        Strategy::Recreate => "recreate".into(),
        Strategy::OnDelete => "manual".into(),
    }
}

/// Which columns fit at a width.
struct Columns {
    namespace: Option<u16>,
    /// KIND (`deploy`, `sts`, `ds`); when it drops out, names of other kinds than Deployment
    /// carry the kind (`sts/postgres`).
    kind: bool,
    name: u16,
    strategy: bool,
    rev: bool,
    age: bool,
    bar: bool,
    counts: bool,
    state: u16,
    change: u16,
    /// Some visible row has a firing alert: the ALERT column.
    alert: bool,
    /// CPU and MEM of the workload's pods (the cluster serves metrics.k8s.io, and room).
    usage: bool,
}

impl Columns {
    /// `show_ns`: all namespaces are in scope; `mixed`: not only Deployments are (KIND).
    /// STRATEGY shows only when a visible row is not a plain rolling update.
    fn fit(width: u16, rows: &[&RolloutRow], (show_ns, mixed): (bool, bool)) -> Columns {
        let w = |f: &dyn Fn(&RolloutRow) -> usize, min: usize, max: usize| {
            rows.iter().map(|r| f(r)).max().unwrap_or(0).clamp(min, max) as u16
        };
        let mut cols = Columns {
            namespace: show_ns.then(|| w(&|r| r.namespace.chars().count(), 9, 20)),
            kind: mixed,
            name: w(&|r| r.name.chars().count(), 4, 40),
            strategy: rows
                .iter()
                .any(|r| r.strategy != Strategy::RollingUpdate || r.partition > 0),
            rev: true,
            age: true,
            bar: true,
            counts: true,
            state: w(&|r| r.state.label().len(), 5, 12),
            change: 0,
            alert: false,
            usage: false,
        };
        let need = |c: &Columns| {
            c.namespace.map(|n| n + 1).unwrap_or(0)
                + if c.kind { 7 } else { 0 }
                + c.name
                + 1
                + if c.rev { 4 } else { 0 }
                + if c.age { 6 } else { 0 }
                + if c.bar { BAR as u16 + 1 } else { 0 }
                + 6
                + if c.counts { 8 } else { 0 }
                + if c.strategy { 9 } else { 0 }
                + c.state
                + 1
        };
        let drops: [fn(&mut Columns); 7] = [
            |c| c.strategy = false,
            |c| c.counts = false,
            |c| c.bar = false,
            |c| c.namespace = None,
            |c| c.age = false,
            |c| {
                // The kind moves into the name: `sts/postgres`.
                if c.kind {
                    c.kind = false;
                    c.name += 4;
                }
            },
            |c| c.rev = false,
        ];
        for drop in drops {
            if need(&cols) + 20 <= width {
                break;
            }
            drop(&mut cols);
        }
        cols.change = width.saturating_sub(need(&cols));
        cols
    }

    /// Whether CPU and MEM fit beside the columns kept, the change keeping 20 cells.
    fn usage_room(&self) -> bool {
        self.change >= USAGE_WIDTH + 20
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = Vec::new();
        if self.namespace.is_some() {
            h.push("NAMESPACE");
        }
        if self.kind {
            h.push("KIND");
        }
        h.push("NAME");
        if self.rev {
            h.push("REV");
        }
        if self.age {
            h.push("AGE");
        }
        if self.bar {
            h.push("PROGRESS");
        }
        h.push("READY");
        if self.counts {
            h.extend(["UPD", "AVL"]);
        }
        if self.usage {
            h.extend(["CPU", "MEM"]);
        }
        if self.strategy {
            h.push("STRATEGY");
        }
        h.push("STATE");
        if self.alert {
            h.push("ALERT");
        }
        h.push("CHANGE");
        h
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut w = Vec::new();
        if let Some(ns) = self.namespace {
            w.push(Constraint::Length(ns));
        }
        if self.kind {
            w.push(Constraint::Length(6));
        }
        w.push(Constraint::Length(self.name));
        if self.rev {
            w.push(Constraint::Length(3));
        }
        if self.age {
            w.push(Constraint::Length(5));
        }
        if self.bar {
            w.push(Constraint::Length(BAR as u16));
        }
        w.push(Constraint::Length(5));
        if self.counts {
            w.extend([Constraint::Length(3), Constraint::Length(3)]);
        }
        if self.usage {
            w.extend([Constraint::Length(6), Constraint::Length(6)]);
        }
        if self.strategy {
            w.push(Constraint::Length(8));
        }
        w.push(Constraint::Length(self.state));
        if self.alert {
            w.push(Constraint::Length(BADGE_WIDTH));
        }
        w.push(Constraint::Length(self.change));
        w
    }

    fn cells<'a>(
        &self,
        r: &RolloutRow,
        (badge, usage): (Option<&Severity>, Option<Option<Usage>>),
        now: jiff::Timestamp,
        theme: &Theme,
    ) -> Vec<Cell<'a>> {
        let mut c: Vec<Cell> = Vec::new();
        if self.namespace.is_some() {
            c.push(Cell::from(r.namespace.clone()));
        }
        if self.kind {
            c.push(Cell::from(r.kind.short()));
            c.push(Cell::from(r.name.clone()));
        } else if r.kind == WorkloadKind::Deployment {
            c.push(Cell::from(r.name.clone()));
        } else {
            c.push(Cell::from(format!("{}/{}", r.kind.short(), r.name)));
        }
        if self.rev {
            c.push(Cell::from(r.revision.to_string()));
        }
        if self.age {
            c.push(Cell::from(r.age_text(now)));
        }
        if self.bar {
            c.push(Cell::from(progress_bar(r, theme)));
        }
        c.push(Cell::from(format!("{}/{}", r.ready, r.desired)));
        if self.counts {
            c.push(Cell::from(r.updated.to_string()));
            c.push(Cell::from(r.available.to_string()));
        }
        if let Some(u) = usage {
            let (cpu, mem) = match u {
                Some(u) => (cpu_text(u.cpu_m), memory_text(u.mem_b)),
                None => (String::new(), String::new()),
            };
            c.extend([Cell::from(cpu), Cell::from(mem)]);
        }
        if self.strategy {
            c.push(Cell::from(strategy_text(r)));
        }
        c.push(Cell::from(r.state.label()));
        if self.alert {
            c.push(alert_badge(badge, theme));
        }
        c.push(Cell::from(r.summary.clone()));
        c
    }
}
