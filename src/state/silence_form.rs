//! The silence form: edit the matchers, duration, comment and author of a new silence; then
//! the usual confirmation.

use std::time::Duration;

use super::input::edit;
use super::ui::{ConfirmDialog, Level, Overlay};
use super::{AppState, Effect};
use crate::action::Action;
use crate::command::{Command, Matcher, SilenceSpec, Target};
use crate::model::alert::AlertRow;
use crate::state::list::{ListState, Mode, Move};

/// The silence dialog: one line per label (on = part of the silence), then duration, comment
/// and author. Dropping labels widens the silence.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// Alertmanager that will receive the silence (where the alert came from).
    pub alertmanager: String,
    /// The alert the silence was started from (for the confirmation).
    pub target: Target,
    /// `(label, value, included)`.
    pub matchers: Vec<(String, String, bool)>,
    /// Duration text, e.g. `1h`, `30m`, `2h30m`.
    pub duration: String,
    pub comment: String,
    pub created_by: String,
    /// The lines, matchers then duration, comment, created by; the cursor is on the field
    /// being edited.
    pub fields: ListState<()>,
    /// Why Enter was refused.
    pub error: Option<String>,
}

/// Which editable field a cursor position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Matcher(usize),
    Duration,
    Comment,
    CreatedBy,
}

impl SilenceForm {
    /// A form for silencing `row`, every label included.
    pub fn for_alert(row: &AlertRow, target: Target, duration: &str, created_by: &str) -> Self {
        let mut fields = ListState::with_len(Mode::Follow, row.labels.len() + 3);
        fields.select(row.labels.len());
        SilenceForm {
            alertmanager: row.source.clone(),
            target,
            matchers: row
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), true))
                .collect(),
            duration: duration.to_string(),
            comment: String::new(),
            created_by: created_by.to_string(),
            fields,
            error: None,
        }
    }

    pub fn field(&self) -> Field {
        let n = self.matchers.len();
        match self.fields.cursor() {
            i if i < n => Field::Matcher(i),
            i if i == n => Field::Duration,
            i if i == n + 1 => Field::Comment,
            _ => Field::CreatedBy,
        }
    }

    /// Include or drop the label under the cursor.
    fn toggle(&mut self) {
        if let Field::Matcher(i) = self.field() {
            self.matchers[i].2 = !self.matchers[i].2;
        }
    }

    /// The text field under the cursor.
    fn text_mut(&mut self) -> Option<&mut String> {
        match self.field() {
            Field::Matcher(_) => None,
            Field::Duration => Some(&mut self.duration),
            Field::Comment => Some(&mut self.comment),
            Field::CreatedBy => Some(&mut self.created_by),
        }
    }

    /// The silence this form describes, or why it cannot be created.
    pub fn to_spec(&self) -> Result<SilenceSpec, String> {
        let matchers: Vec<Matcher> = self
            .matchers
            .iter()
            .filter(|(_, _, on)| *on)
            .map(|(name, value, _)| Matcher {
                name: name.clone(),
                value: value.clone(),
                is_regex: false,
                is_equal: true,
            })
            .collect();
        if matchers.is_empty() {
            return Err(
                "keep at least one label: a silence without matchers mutes everything".into(),
            );
        }
        let duration = parse_duration(&self.duration)?;
        if self.comment.trim().is_empty() {
            return Err("a comment is required (why is this silenced?)".into());
        }
        if self.created_by.trim().is_empty() {
            return Err("created by is required".into());
        }
        Ok(SilenceSpec {
            alertmanager: self.alertmanager.clone(),
            matchers,
            duration,
            created_by: self.created_by.trim().to_string(),
            comment: self.comment.trim().to_string(),
        })
    }
}

/// `1h`, `30m`, `2h30m`, `1d`: positive, at most 90 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (e.g. 30m, 1h, 2h30m, 1d)");
    let d: jiff::SignedDuration = text.trim().parse().or_else(|_| {
        // jiff's friendly format has no bare `d` unit on a duration; allow `1d` as 24h.
        text.trim()
            .strip_suffix('d')
            .and_then(|n| n.parse::<i64>().ok())
            .map(|n| jiff::SignedDuration::from_hours(n * 24))
            .ok_or_else(bad)
    })?;
    let d = Duration::try_from(d).map_err(|_| bad())?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(90 * 86_400) {
        return Err(format!("duration {text:?} must be between 1m and 90d"));
    }
    Ok(d)
}

impl AppState {
    /// An action while the silence form is open: move between fields, toggle a label, edit a
    /// text field; accept opens the confirmation of the silence, cancel drops it.
    pub(super) fn handle_silence_form(&mut self, action: Action) -> Vec<Effect> {
        let Overlay::Silence(form) = &mut self.ui.overlay else {
            return vec![];
        };
        match action {
            Action::InputCancel => {
                self.ui.overlay = Overlay::None;
                self.ui.set_status("cancelled", Level::Info, self.now);
                return vec![];
            }
            Action::InputAccept => {
                match form.to_spec() {
                    Ok(spec) => {
                        let command = Command::CreateSilence {
                            target: form.target.clone(),
                            silence: Box::new(spec),
                        };
                        let title = format!("Silence {} ?", form.target.name);
                        self.ui.overlay =
                            Overlay::Confirm(Box::new(ConfirmDialog::new(title, command)));
                    }
                    Err(e) => form.error = Some(e),
                }
                return vec![];
            }
            Action::FieldPrev => form.fields.go(Move::Up),
            Action::FieldNext => form.fields.go(Move::Down),
            Action::ToggleLabel => form.toggle(),
            action => {
                if let Some(text) = form.text_mut() {
                    edit(text, &action);
                }
            }
        }
        form.error = None;
        vec![]
    }
}
