//! What keys mean for logs: `l` on a pod or a rollout starts a tail (focus moves to the log
//! pane), `P` asks for the previous container; on the log pane: pause/follow (scrolling and `G`
//! are list moves, see `paging.rs`), wrap, timestamps, readable JSON, search and filter.

use crate::action::{Action, Pane};
use crate::model::log::{LogRequest, LogTarget};
use crate::state::ui::{Input, Overlay};
use crate::state::{AppState, Effect};
use crate::update::{SourceHealth, SourceId};

impl AppState {
    /// Handle a logs action. `None`: not one, the other handlers apply.
    pub(crate) fn handle_logs(&mut self, action: &Action) -> Option<Vec<Effect>> {
        if self.ui.overlay != Overlay::None {
            return None;
        }
        match (self.ui.focus, action) {
            (Pane::Pods | Pane::Rollouts, Action::TailLogs) => Some(self.tail_selected(false)),
            (Pane::Pods, Action::Previous) => Some(self.tail_selected(true)),
            (Pane::Logs, _) => self.handle_log_pane(action),
            _ => None,
        }
    }

    fn handle_log_pane(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let logs = &mut self.logs;
        match action {
            Action::Pause => logs.toggle_pause(),
            Action::Wrap => logs.wrap = !logs.wrap,
            Action::Timestamps => logs.timestamps = !logs.timestamps,
            Action::ReadableJson => logs.readable_json = !logs.readable_json,
            Action::NextMatch | Action::PrevMatch => {
                if !logs.next_match(*action == Action::NextMatch) {
                    let text = match logs.search() {
                        Some(p) => format!("no more matches for /{}", p.text),
                        None => "no search: press / to search".to_string(),
                    };
                    self.ui
                        .set_status(text, crate::state::ui::Level::Info, self.now);
                }
            }
            Action::FilterLines => {
                let previous = logs.filter().map(|p| p.text.clone()).unwrap_or_default();
                self.ui.input = Input::LogFilter {
                    text: previous.clone(),
                    previous,
                };
            }
            Action::Previous => {
                let request = self.logs.request.clone()?;
                let target = request.target.clone();
                return Some(self.tail(request.namespace, target, !request.previous));
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// The tail asked for by `l`/`P` on the pods or rollouts pane.
    fn tail_selected(&mut self, previous: bool) -> Vec<Effect> {
        let (namespace, target) = match self.ui.focus {
            Pane::Pods => match self.pods.selected_row() {
                Some(row) => (
                    row.namespace.clone(),
                    LogTarget::Pod {
                        name: row.name.clone(),
                        container: None,
                    },
                ),
                None => return vec![],
            },
            _ => match self.rollouts.selected_deployment() {
                Some(d) => (
                    d.namespace.clone(),
                    LogTarget::Deployment {
                        name: d.name.clone(),
                    },
                ),
                None => return vec![],
            },
        };
        self.tail(namespace, target, previous)
    }

    fn tail(&mut self, namespace: String, target: LogTarget, previous: bool) -> Vec<Effect> {
        let id = self.next_tail;
        self.next_tail += 1;
        let request = LogRequest {
            id,
            context: self.context.clone(),
            namespace,
            target,
            previous,
        };
        self.logs.start(request.clone());
        self.sources
            .insert(SourceId::Logs, SourceHealth::Connecting);
        self.ui.focus = Pane::Logs;
        vec![Effect::TailLogs(request)]
    }
}
