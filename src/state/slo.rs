//! SLOs as last fetched, worst first, with the sparklines of the ones looked at; the SLO list
//! (`b` on the alerts pane, `:slo`): movement chooses an SLO and loads its history.

use std::collections::HashMap;

use crate::action::Action;
use crate::command::{Command, Target};
use crate::config::slo::DeclaredSlo;
use crate::model::slo::{BurnSeverity, Slo, SloHistory, history_queries};
use crate::state::list::{ListState, Mode, Sorted};
use crate::state::ui::Overlay;
use crate::state::{AppState, Effect};

/// Every SLO of the Prometheus in use.
#[derive(Debug, Default)]
pub struct SloState {
    /// Worst first (page, ticket, least budget left; broken ones last).
    slos: Vec<Slo>,
    /// True once a poll answered.
    pub fetched: bool,
    /// Where the SLOs come from (for the sparklines).
    pub prometheus: Option<String>,
    /// `[[slo]]` of the config (their error ratio PromQL, for the sparklines).
    pub declared: Vec<DeclaredSlo>,
    /// Sparklines by SLO id, as last loaded.
    history: HashMap<String, SloHistory>,
}

impl SloState {
    /// A poll's answer. Returns whether anything changed.
    pub fn apply(&mut self, mut slos: Vec<Slo>) -> bool {
        // The rank judges every pair: once per SLO, not once per comparison.
        slos.sort_by_cached_key(Slo::rank);
        let changed = !self.fetched || slos != self.slos;
        self.slos = slos;
        self.fetched = true;
        changed
    }

    pub fn all(&self) -> &[Slo] {
        &self.slos
    }

    /// The worst SLO (what the header names).
    pub fn worst(&self) -> Option<&Slo> {
        self.slos.first().filter(|s| s.error.is_none())
    }

    /// Whether any SLO has a page-level pair breaching: users are affected.
    pub fn users_affected(&self) -> bool {
        self.slos
            .iter()
            .any(|s| s.breach() == Some(BurnSeverity::Page))
    }

    pub fn history(&self, id: &str) -> Option<&SloHistory> {
        self.history.get(id)
    }

    pub fn set_history(&mut self, id: String, history: SloHistory) -> bool {
        self.history.insert(id, history);
        true
    }

    /// The two range queries behind an SLO's sparklines.
    fn history_queries(&self, slo: &Slo) -> Option<(String, String)> {
        let declared = self
            .declared
            .iter()
            .find(|d| d.name == slo.id)
            .and_then(DeclaredSlo::ratio_query);
        history_queries(slo, declared.as_deref())
    }
}

/// The SLO list overlay: its cursor (rows: rank, then id — the cursor follows its SLO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloView {
    pub list: ListState<Sorted<usize, String>>,
}

impl SloView {
    /// The rows for `slos` (worst first).
    pub fn set_slos(&mut self, slos: &[Slo]) {
        let rows = slos.iter().enumerate().map(|(by, s)| Sorted {
            by,
            id: s.id.clone(),
        });
        self.list.set_rows(rows);
    }
}

impl AppState {
    /// Open the SLO list on the worst SLO and load its sparklines.
    pub(super) fn open_slos(&mut self) -> Vec<Effect> {
        let mut view = SloView {
            list: ListState::new(Mode::Pinned),
        };
        view.set_slos(self.alerts.slos.all());
        self.ui.overlay = Overlay::Slos(view);
        self.load_slo_history()
    }

    /// Keys in the SLO list: movement, Enter (reload the sparklines), Esc.
    pub(super) fn handle_slos(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                self.move_cursor(&action);
                self.load_slo_history()
            }
            Action::PageUp | Action::PageDown => {
                self.move_cursor(&action);
                self.load_slo_history()
            }
            Action::Open => self.load_slo_history(),
            Action::Back | Action::Slos => {
                self.ui.overlay = Overlay::None;
                vec![]
            }
            _ => vec![],
        }
    }

    /// The SLO under the list's cursor.
    pub fn selected_slo(&self) -> Option<&Slo> {
        let Overlay::Slos(view) = &self.ui.overlay else {
            return None;
        };
        let id = &view.list.selected()?.id;
        self.alerts.slos.all().iter().find(|s| &s.id == id)
    }

    fn load_slo_history(&mut self) -> Vec<Effect> {
        let slos = &self.alerts.slos;
        let (Some(slo), Some(prometheus)) = (self.selected_slo(), slos.prometheus.clone()) else {
            return vec![];
        };
        let Some(queries) = slos.history_queries(slo) else {
            return vec![];
        };
        let target = Target {
            context: self.context.clone(),
            namespace: String::new(),
            name: slo.id.clone(),
        };
        vec![self.run(Command::LoadSloHistory {
            target,
            prometheus,
            queries,
        })]
    }
}
