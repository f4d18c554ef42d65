//! What keys mean on the pods pane: the pod detail, restart (delete the pod, confirmed), `l`/`P`
//! to tail its logs, `/` to filter; movement is a list move (`paging.rs`).

use crate::action::Action;
use crate::command::{Command, Target};
use crate::state::list::{ListState, Mode};
use crate::state::ui::{ConfirmDialog, Level, Overlay};
use crate::state::{AppState, Effect};

impl AppState {
    /// An action for the pods pane (global ones never get here).
    pub(super) fn handle_pods(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Open => return self.open(),
            Action::Restart => return self.restart(),
            Action::TailLogs => return self.tail_selected(false),
            Action::Previous => return self.tail_selected(true),
            Action::Filter => self.open_filter(),
            Action::Back if !self.pods.filter().is_empty() => self.pods.set_filter(""),
            _ => {}
        }
        vec![]
    }

    fn selected_pod_target(&self) -> Option<Target> {
        self.pods.selected_row().map(|row| Target {
            context: self.context.clone(),
            namespace: row.namespace.clone(),
            name: row.name.clone(),
        })
    }

    fn open(&mut self) -> Vec<Effect> {
        let Some(target) = self.selected_pod_target() else {
            return vec![];
        };
        self.ui.overlay = Overlay::PodDetail {
            target: target.clone(),
            detail: None,
            scroll: ListState::new(Mode::Text),
        };
        vec![self.run(Command::LoadPodDetail { target })]
    }

    /// `r` on the pods pane or in a pod's detail: delete the selected pod, once confirmed.
    pub(super) fn restart(&mut self) -> Vec<Effect> {
        let Some(target) = self.selected_pod_target() else {
            return vec![];
        };
        if let Some(refusal) = self.pod_refusal() {
            self.ui.set_status(refusal, Level::Error, self.now);
            return vec![];
        }
        let title = format!("Restart pod {} ?", target.name);
        self.open_confirm(ConfirmDialog::new(title, Command::DeletePod { target }));
        vec![]
    }
}
