//! SLOs on screen: the strip in the alerts pane (worst first), the header's verdict, the SLO
//! list (`b`, `:slo`) with the pairs and sparklines of the selected SLO, and the history it
//! asks for.

mod common;

use common::draw;
use opsdeck::action::Action;
use opsdeck::command::Command;
use opsdeck::model::slo::{Slo, SloHistory, SloSource};
use opsdeck::state::AppState;
use opsdeck::state::ui::Overlay;
use opsdeck::update::{SourceHealth, SourceId, Update};

const PROM: &str = "http://prometheus.example:9090";

/// A Sloth-like SLO with the same error ratio in every window but `hot` ones.
fn slo(id: &str, service: &str, objective: f64, base: f64, hot: &[(u64, f64)]) -> Slo {
    let mut s = Slo::new(SloSource::Sloth, id);
    s.service = service.into();
    s.name = "availability".into();
    s.objective = Some(objective);
    for w in s.windows() {
        s.ratios.insert(w, base);
    }
    for (w, r) in hot {
        s.ratios.insert(*w, *r);
    }
    s
}

fn slos() -> Vec<Slo> {
    let mut broken = Slo::new(SloSource::Declared, "ledger");
    broken.service = "ledger".into();
    broken.objective = Some(0.99);
    broken.error = Some("parse error: unexpected end of input".into());
    let mut checkout = slo(
        "checkout-availability",
        "checkout",
        0.999,
        0.0002,
        &[(300, 0.0152), (3_600, 0.0146)],
    );
    checkout.recorded_budget = Some(0.38);
    vec![
        slo("search-availability", "search", 0.99, 0.0005, &[]),
        broken,
        checkout,
        slo(
            "cart-availability",
            "cart",
            0.995,
            0.0001,
            &[(86_400, 0.02), (7_200, 0.03)],
        ),
    ]
}

fn state() -> AppState {
    let mut state = common::live_state();
    state.alerts.settings.enabled = true;
    state.alerts.slos.prometheus = Some(PROM.into());
    let scope = state.scope;
    state.apply(Update::AlertsFetched {
        scope,
        source: PROM.into(),
        alerts: vec![],
    });
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Prometheus,
        health: SourceHealth::Live,
    });
    assert!(state.apply(Update::SlosFetched {
        scope,
        slos: slos()
    }));
    state
}

fn commands(effects: &[opsdeck::state::Effect]) -> Vec<Command> {
    common::rollouts::commands(effects)
}

#[test]
fn the_strip_lists_the_worst_slos_first_and_the_header_says_users_are_affected() {
    let mut state = state();
    let ids: Vec<&str> = state
        .alerts
        .slos
        .all()
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "checkout-availability",
            "cart-availability",
            "search-availability",
            "ledger"
        ]
    );
    assert!(state.alerts.slos.users_affected());
    state.handle(Action::FocusAlerts);
    let t = draw(&state, 200, 40);
    let text = t.backend().to_string();
    let header = text.lines().next().unwrap();
    assert!(
        header
            .contains("USERS AFFECTED · checkout/availability 99.9%: 14.6x burn, budget 38% left"),
        "{header}"
    );
    assert!(
        text.contains("▲page checkout/availability 99.9%  burn 14.6x 1h"),
        "{text}"
    );
    assert!(text.contains("▲tick cart/availability"), "{text}");
    assert!(text.contains("+1 more (b)"), "{text}");
    insta::assert_snapshot!(t.backend());

    // Narrow: the verdict alone.
    let narrow = draw(&state, 110, 30).backend().to_string();
    assert!(
        narrow.lines().next().unwrap().contains("USERS AFFECTED"),
        "{narrow}"
    );
    // 80 columns: the verdict takes the place of the live sources' ✓ marks.
    let small = draw(&state, 80, 24).backend().to_string();
    let header = small.lines().next().unwrap();
    assert!(header.contains("USERS AFFECTED"), "{small}");
    assert!(header.contains("4 unhealthy"), "{header}");
    assert!(header.contains("12:00:00"), "the clock stays: {header}");
    // A stale source is never pushed off for it: the counts make room (the tab bar keeps the
    // unhealthy count).
    let scope = state.scope;
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Pods,
        health: SourceHealth::Reconnecting {
            since: common::now(),
            attempt: 1,
            reason: "connection refused".into(),
        },
    });
    let stale = draw(&state, 80, 24).backend().to_string();
    let header = stale.lines().next().unwrap();
    assert!(header.contains("stale 12:00:00"), "{header}");
    assert!(header.contains("USERS AFFECTED"), "{header}");
    assert!(!header.contains("unhealthy"), "{header}");
    assert!(stale.lines().nth(1).unwrap().contains("Pods !4"), "{stale}");
}

#[test]
fn b_opens_the_slo_list_movement_loads_each_history_and_it_is_drawn() {
    let mut state = state();
    state.handle(Action::FocusAlerts);
    let effects = state.handle(Action::Slos);
    assert!(matches!(state.ui.overlay, Overlay::Slos(_)));
    let loads = commands(&effects);
    let [
        Command::LoadSloHistory {
            target,
            prometheus,
            queries,
        },
    ] = loads.as_slice()
    else {
        panic!("{loads:?}")
    };
    assert_eq!(
        (target.name.as_str(), prometheus.as_str()),
        ("checkout-availability", PROM)
    );
    assert_eq!(
        queries,
        &(
            "slo:sli_error:ratio_rate5m{sloth_id=\"checkout-availability\"}".to_string(),
            "slo:period_error_budget_remaining:ratio{sloth_id=\"checkout-availability\"}"
                .to_string()
        )
    );
    let history = SloHistory {
        ratio: (0..60)
            .map(|i| (i * 180, if i < 40 { 0.0002 } else { 0.015 }))
            .collect(),
        budget: (0..60)
            .map(|i| (i * 180, 0.5 - f64::from(i as u8) * 0.002))
            .collect(),
        error: None,
    };
    state.apply(Update::SloHistoryLoaded {
        id: "checkout-availability".into(),
        history: Box::new(history),
    });
    let t = draw(&state, 160, 40);
    let text = t.backend().to_string();
    assert!(text.contains("BREACHING → page"), "{text}");
    assert!(text.contains("error ratio, 6 h"), "{text}");
    insta::assert_snapshot!(t.backend());

    // Down: the next SLO, and its history is asked for.
    let effects = state.handle(Action::Down);
    let loads = commands(&effects);
    assert!(
        matches!(loads.as_slice(), [Command::LoadSloHistory { target, .. }] if target.name == "cart-availability"),
        "{loads:?}"
    );
    assert_eq!(state.selected_slo().unwrap().id, "cart-availability");
    // A new poll re-sorts; the cursor stays on its SLO.
    let scope = state.scope;
    let mut next = slos();
    next[3].ratios.insert(3_600, 0.5);
    next[3].ratios.insert(300, 0.5);
    state.apply(Update::SlosFetched { scope, slos: next });
    assert_eq!(state.selected_slo().unwrap().id, "cart-availability");
    // The broken one says why; Esc closes.
    state.handle(Action::Bottom);
    let text = draw(&state, 160, 40).backend().to_string();
    assert!(
        text.contains("⚠ parse error: unexpected end of input"),
        "{text}"
    );
    state.handle(Action::Back);
    assert!(matches!(state.ui.overlay, Overlay::None));
    assert_eq!(Action::from_command_line("slo"), Ok(Action::Slos));
}

#[test]
fn without_slos_the_strip_says_where_to_declare_them() {
    let mut state = state();
    let scope = state.scope;
    state.apply(Update::SlosFetched {
        scope,
        slos: vec![],
    });
    state.handle(Action::FocusAlerts);
    let text = draw(&state, 120, 30).backend().to_string();
    assert!(
        text.contains("no SLOs found (declare them in [[slo]])"),
        "{text}"
    );
    assert!(!text.lines().next().unwrap().contains("USERS AFFECTED"));
}
