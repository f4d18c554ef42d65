//! Enter on a rollout: its revisions like `kubectl rollout history`, and the diff of the
//! selected revision's template against the current one (what `u` would change).

use jiff::Timestamp;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use crate::action::{Action, Pane};
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::rollout::{DiffKind, DiffLine, short_image, template_diff};
use crate::state::rollouts::RolloutsState;
use crate::state::ui::HistoryView;
use crate::ui::theme::{Role, Theme};

pub struct HistoryOverlay<'a> {
    pub rollouts: &'a RolloutsState,
    pub view: &'a HistoryView,
    pub now: Timestamp,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// Theme role of a diff line.
pub fn diff_role(d: &DiffLine) -> Role {
    match d.kind() {
        DiffKind::Added => Role::Ok,
        DiffKind::Removed => Role::Critical,
        DiffKind::Changed => Role::Warning,
    }
}

impl Widget for HistoryOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = super::wide(area);
        let v = self.view;
        let key = |action| self.keymap.hint(KeyContext::Pane(Pane::Rollouts), &action);
        let title = format!(
            " History {} ({} undo to selected · {} closes) ",
            v.key.describe(),
            key(Action::UndoRollout),
            key(Action::Back)
        );
        let block = super::overlay_block(rect, buf, title, Role::BorderFocused, t);
        let rows = list_rows(area);
        Paragraph::new(self.lines(rows))
            .block(block)
            .render(rect, buf);
    }
}

/// Revision rows of the history drawn over `area` (border and header excluded): its
/// viewport height.
pub fn list_rows(area: Rect) -> usize {
    usize::from(super::wide_inner(area).height.saturating_sub(1))
}

impl HistoryOverlay<'_> {
    /// The header, the revisions that fit in `rows` and the diff of the selected one.
    fn lines(&self, rows: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let v = self.view;
        let Some(d) = self.rollouts.workload(&v.key) else {
            let gone = format!("{} is gone", v.key.kind.noun());
            return vec![Line::styled(gone, t.style(Role::Muted))];
        };
        let revisions = self.rollouts.history(&v.key);
        let mut out = vec![Line::styled(
            format!(
                " {:<10}{:<6}{:<6}{:<30}CHANGE-CAUSE",
                "REVISION", "AGE", "PODS", "IMAGES"
            ),
            t.style(Role::Title),
        )];
        let selected = v.selected();
        let first = v.list.first_shown(rows);
        for r in revisions.iter().skip(first).take(rows) {
            let here = Some(r.revision) == selected;
            let marker = if here { "▶" } else { " " };
            let current = if r.current { "*" } else { " " };
            let images: Vec<&str> = r.images.iter().map(|i| short_image(i)).collect();
            // ControllerRevisions have no pods of their own to count.
            let pods = if r.replicas < 0 {
                "-".to_string()
            } else {
                format!("{}/{}", r.ready, r.replicas)
            };
            let text = format!(
                "{marker}{:<10}{:<6}{:<6}{:<30}{}",
                format!("{}{current}", r.revision),
                r.age_text(self.now),
                pods,
                images.join(","),
                r.change_cause.as_deref().unwrap_or("<none>"),
            );
            let role = if here { Role::Selection } else { Role::Text };
            out.push(Line::styled(text, t.style(role)));
        }
        out.push(Line::default());
        let Some(chosen) = revisions.iter().find(|r| Some(r.revision) == selected) else {
            out.push(Line::styled(" no revisions", t.style(Role::Muted)));
            return out;
        };
        let head = format!(
            " revision {} ({}) against the current template (revision {}):",
            chosen.revision,
            chosen.replica_set,
            revisions
                .iter()
                .find(|r| r.current)
                .map_or(0, |r| r.revision)
        );
        out.push(Line::styled(head, t.style(Role::Title)));
        let diff = self
            .rollouts
            .revision(d, chosen.revision)
            .map(|rs| template_diff(&d.template, &rs.template))
            .unwrap_or_default();
        if diff.is_empty() {
            out.push(Line::styled(
                "   same template as the current one",
                t.style(Role::Muted),
            ));
        }
        for line in &diff {
            out.push(Line::styled(
                format!("   {}", line.text()),
                t.style(diff_role(line)),
            ));
        }
        out
    }
}
