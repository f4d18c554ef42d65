//! What keys mean on the alerts pane: the detail, `/` filter, and `s` (silence the alert, or
//! expire its silence); movement is a list move (`paging.rs`).

use super::list::{ListState, Mode};
use super::silence_form::SilenceForm;
use super::ui::{ConfirmDialog, Level, Overlay};
use crate::action::Action;
use crate::command::{Command, Target};
use crate::model::alert::{AlertRow, AlertState};
use crate::state::{AppState, Effect};

impl AppState {
    /// An action for the alerts pane (global ones never get here).
    pub(super) fn handle_alerts(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Open => self.open_alert(),
            Action::Silence => return self.silence(),
            Action::Filter => self.open_filter(),
            Action::Back => self.alerts.set_filter("", self.now),
            _ => {}
        }
        vec![]
    }

    fn open_alert(&mut self) {
        if let Some(v) = self.alerts.selected() {
            self.ui.overlay = Overlay::AlertDetail {
                fingerprint: v.row.fingerprint.clone(),
                scroll: ListState::new(Mode::Text),
            };
        }
    }

    /// The alert `s` acts on: the one in the detail view, else the selected one.
    fn silence_subject(&self) -> Option<AlertRow> {
        if let Overlay::AlertDetail { fingerprint, .. } = &self.ui.overlay {
            return self.alerts.find(fingerprint).map(|v| v.row.clone());
        }
        self.alerts.selected().map(|v| v.row.clone())
    }

    /// `s`: silence the alert, or, when it is silenced already, offer to expire the silence.
    pub(super) fn silence(&mut self) -> Vec<Effect> {
        let Some(row) = self.silence_subject() else {
            return vec![];
        };
        if !self.alerts.can_silence(&row.source) {
            let text =
                "silences need an Alertmanager (--alertmanager-url or [alerts] alertmanager_urls)";
            self.ui.set_status(text, Level::Error, self.now);
            return vec![];
        }
        let target = Target {
            context: self.context.clone(),
            namespace: row.namespace().unwrap_or("").to_string(),
            name: row.name.clone(),
        };
        if let (AlertState::Silenced, Some(id)) = (row.state, row.silenced_by.first()) {
            let command = Command::ExpireSilence {
                target,
                alertmanager: row.source.clone(),
                silence_id: id.clone(),
            };
            self.ui.overlay = Overlay::Confirm(Box::new(ConfirmDialog::new(
                format!("Expire the silence of {} ?", row.name),
                command,
            )));
            return vec![];
        }
        let duration = format!("{:#}", self.alerts.settings.silence_duration);
        let created_by = self.alerts.settings.created_by.clone();
        let form = SilenceForm::for_alert(&row, target, &duration, &created_by);
        self.ui.overlay = Overlay::Silence(Box::new(form));
        vec![]
    }
}
