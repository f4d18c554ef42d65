//! `o` ("open related"): from an alert to the rollout row of its workload (or its pod); from
//! a rollout or pod to the alerts pane narrowed to its alerts. Esc goes back to where `o` was
//! pressed.

use crate::action::{Action, Pane};
use crate::state::related::{Related, RowRef};
use crate::state::rollouts::RolloutKey;
use crate::state::ui::{Level, Overlay};
use crate::state::{AppState, Effect};

impl AppState {
    /// `o` on the focused pane (or the alert detail).
    pub(super) fn open_related(&mut self) -> Vec<Effect> {
        let from = self.ui.focus;
        match from {
            Pane::Alerts => self.open_alert_row(),
            Pane::Pods | Pane::Rollouts => {
                let row = match from {
                    Pane::Pods => self
                        .pods
                        .selected_row()
                        .map(|r| RowRef::Pod((r.namespace.clone(), r.name.clone()))),
                    _ => self
                        .rollouts
                        .selected_row()
                        .map(|r| RowRef::Rollout(RolloutKey::of_row(r))),
                };
                if let Some(row) = row {
                    self.open_alerts_of(row);
                }
            }
            Pane::Logs | Pane::Timeline => {}
        }
        vec![]
    }

    fn open_alert_row(&mut self) {
        let fingerprint = match &self.ui.overlay {
            Overlay::AlertDetail { fingerprint, .. } => Some(fingerprint.clone()),
            _ => self.alerts.selected().map(|v| v.row.fingerprint.clone()),
        };
        let Some(fingerprint) = fingerprint else {
            return;
        };
        let found = self.related.row_of(&fingerprint).filter(|row| match row {
            RowRef::Rollout(key) => self.rollouts.select_key(key),
            RowRef::Pod(key) => self.pods.select_key(key),
        });
        let Some(row) = found else {
            let about = self
                .alerts
                .find(&fingerprint)
                .and_then(|v| v.row.target.as_ref().map(ToString::to_string));
            let text = match about {
                Some(what) => format!("{what} is not on screen (outside the scope or gone)"),
                None => "this alert names no workload or pod".to_string(),
            };
            self.ui.set_status(text, Level::Info, self.now);
            return;
        };
        self.ui.overlay = Overlay::None;
        self.ui.jump_back = Some(Pane::Alerts);
        self.ui.focus = match row {
            RowRef::Rollout(_) => Pane::Rollouts,
            RowRef::Pod(_) => Pane::Pods,
        };
    }

    fn open_alerts_of(&mut self, row: RowRef) {
        let alerts = self.related.alerts_of(&row);
        if alerts.is_empty() {
            let text = format!("no firing alerts about {}", row.describe());
            self.ui.set_status(text, Level::Info, self.now);
            return;
        }
        self.alerts
            .set_only(Some((row.describe(), alerts)), self.now);
        self.alerts.select(0);
        self.ui.jump_back = Some(self.ui.focus);
        self.ui.alerts_of = Some(row);
        self.ui.focus = Pane::Alerts;
    }

    /// Esc after `o`: back to the pane `o` was pressed in, the alerts list whole again.
    pub(super) fn jump_back(&mut self) -> Vec<Effect> {
        if let Some(pane) = self.ui.jump_back.take() {
            self.ui.focus = pane;
        }
        self.ui.alerts_of = None;
        self.alerts.set_only(None, self.now);
        vec![]
    }

    /// Rebuild the correlation after alerts, pods or rollouts changed; a narrowed alerts list
    /// follows it (a new alert about the row joins it).
    pub(super) fn refresh_related(&mut self) {
        self.related = Related::build(
            self.alerts.firing(),
            &self.pods,
            &self.rollouts,
            self.namespace.as_deref(),
        );
        if let Some(row) = &self.ui.alerts_of {
            let only = (row.describe(), self.related.alerts_of(row));
            self.alerts.set_only(Some(only), self.now);
        }
    }

    /// Whether `action` is Esc after an `o` jump (it goes back instead of its usual meaning).
    pub(super) fn is_jump_back(&self, action: &Action) -> bool {
        matches!(action, Action::Back) && self.ui.jump_back.is_some()
    }
}
