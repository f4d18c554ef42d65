//! What keys mean for logs: `l` on a pod or a rollout starts a tail (focus moves to the log
//! pane), `P` asks for the previous container; on the log pane: pause/follow (scrolling and `G`
//! are list moves, see `paging.rs`), wrap, timestamps, readable JSON, search and filter.

use crate::action::{Action, KeyContext, Pane};
use crate::model::log::{LogRequest, LogTarget};
use crate::state::ui::{Input, KeyHint, Level};
use crate::state::{AppState, Effect};
use crate::update::{SourceHealth, SourceId};

impl AppState {
    /// An action for the log pane (global ones never get here).
    pub(super) fn handle_logs(&mut self, action: Action) -> Vec<Effect> {
        let logs = &mut self.logs;
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Pause => logs.toggle_pause(),
            Action::Wrap => logs.wrap = !logs.wrap,
            Action::Timestamps => logs.timestamps = !logs.timestamps,
            Action::ReadableJson => logs.readable_json = !logs.readable_json,
            Action::NextMatch | Action::PrevMatch => self.next_match(action == Action::NextMatch),
            Action::Search => {
                let previous = logs.search().map(|p| p.text.clone()).unwrap_or_default();
                self.ui.input = Input::Search {
                    text: previous.clone(),
                    previous,
                };
            }
            Action::FilterLines => {
                let previous = logs.filter().map(|p| p.text.clone()).unwrap_or_default();
                self.ui.input = Input::LogFilter {
                    text: previous.clone(),
                    previous,
                };
            }
            Action::Back if logs.search().is_some() => logs.set_search(""),
            Action::Back => logs.set_filter(""),
            Action::Previous => {
                let Some(request) = self.logs.request.clone() else {
                    return vec![];
                };
                return self.tail(request.namespace, request.target, !request.previous);
            }
            _ => {}
        }
        vec![]
    }

    /// `n`/`N`: the next (older) or previous match of the search, or why there is none.
    fn next_match(&mut self, older: bool) {
        if self.logs.next_match(older) {
            return;
        }
        match self.logs.search() {
            Some(p) => {
                let text = format!("no more matches for /{}", p.text);
                self.ui.set_status(text, Level::Info, self.now);
            }
            None => {
                let hint = KeyHint {
                    context: KeyContext::Pane(Pane::Logs),
                    action: Action::Search,
                    what: "search",
                };
                self.ui.set_status_hint("no search", hint, self.now);
            }
        }
    }

    /// The tail asked for by `l`/`P` on the pods or rollouts pane.
    pub(super) fn tail_selected(&mut self, previous: bool) -> Vec<Effect> {
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
                    LogTarget::Workload {
                        kind: d.kind,
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
