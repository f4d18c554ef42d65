//! The work of one SLO poll against the number of SLOs: Prometheus's answers to the two
//! batched discovery queries (Sloth's and Pyrra's, every series of every SLO in one vector
//! each) parsed, grouped, judged and sorted worst first, then the alerts pane's strip and the
//! header line formatted — for 20, 200 and 2,000 SLOs. The issue asks for bounded work at 200
//! SLOs: the cost must grow linearly and stay far below the 15 s poll interval.
//!
//! `cargo bench --bench slo_scale` (release profile).

use std::time::{Duration, Instant};

use opsdeck::config::keymap::Keymap;
use opsdeck::model::slo::{parse_vector, pyrra_slos, sloth_slos};
use opsdeck::state::slo::SloState;
use opsdeck::ui::theme::Theme;
use opsdeck::ui::widgets::slo::{header_text, strip_lines};
use serde_json::{Value, json};

const ROUNDS: usize = 50;

fn sample(labels: Value, value: f64) -> Value {
    json!({"metric": labels, "value": [1_700_000_000.0, value.to_string()]})
}

/// Sloth's answer for `n` SLOs: eight windows, objective, budget, period, info.
fn sloth_answer(n: usize) -> Vec<u8> {
    let mut result = Vec::new();
    for i in 0..n {
        let id = format!("svc-{i:04}-availability");
        let labels = |name: &str| {
            json!({"__name__": name, "sloth_id": id, "sloth_service": format!("svc-{i:04}"),
                   "sloth_slo": "availability"})
        };
        let burn = if i % 17 == 0 { 20.0 } else { 0.3 };
        for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
            result.push(sample(
                labels(&format!("slo:sli_error:ratio_rate{w}")),
                0.001 * burn,
            ));
        }
        result.push(sample(labels("slo:objective:ratio"), 0.999));
        result.push(sample(
            labels("slo:period_error_budget_remaining:ratio"),
            0.7,
        ));
        result.push(sample(labels("slo:time_period:days"), 30.0));
        result.push(sample(labels("sloth_slo_info"), 1.0));
    }
    serde_json::to_vec(
        &json!({"status": "success", "data": {"resultType": "vector", "result": result}}),
    )
    .unwrap()
}

/// Pyrra's answer for `n` SLOs: seven windows, objective, window, availability.
fn pyrra_answer(n: usize) -> Vec<u8> {
    let mut result = Vec::new();
    for i in 0..n {
        let slo = format!("svc-{i:04}-latency");
        for w in ["5m", "30m", "1h", "2h", "6h", "1d", "4d"] {
            let labels = json!({"__name__": format!("http_requests:burnrate{w}"), "slo": slo,
                                "job": format!("svc-{i:04}")});
            result.push(sample(labels, 0.002));
        }
        for (name, v) in [
            ("pyrra_objective", 0.99),
            ("pyrra_window", 2_419_200.0),
            ("pyrra_availability", 0.998),
        ] {
            result.push(sample(json!({"__name__": name, "slo": slo}), v));
        }
    }
    serde_json::to_vec(
        &json!({"status": "success", "data": {"resultType": "vector", "result": result}}),
    )
    .unwrap()
}

fn main() {
    let keymap = Keymap::default();
    let theme = Theme::default_theme();
    println!("SLOs per source  samples  per poll (parse, judge, sort, strip, header)");
    let mut per_slo = Vec::new();
    for n in [20usize, 200, 2_000] {
        let (sloth, pyrra) = (sloth_answer(n), pyrra_answer(n));
        let samples = n * 12 + n * 10;
        let mut best = Duration::MAX;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let mut slos = sloth_slos(&parse_vector(&sloth).unwrap());
            slos.extend(pyrra_slos(&parse_vector(&pyrra).unwrap()));
            let mut state = SloState::default();
            state.apply(slos);
            let lines = strip_lines(&state, 3, &keymap, &theme);
            let header = header_text(&state);
            std::hint::black_box((lines, header));
            best = best.min(start.elapsed());
        }
        per_slo.push(best.as_secs_f64() / (2 * n) as f64);
        println!(
            "{n:>15}  {samples:>7}  {:>8.2} ms ({:.1} µs per SLO)",
            best.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e6 / (2 * n) as f64
        );
    }
    println!(
        "cost per SLO at 2,000 against 20: {:.2}x (linear: about 1x)",
        per_slo[2] / per_slo[0]
    );
}
