//! Service level objectives: what Sloth's and Pyrra's recording rules say in Prometheus, or
//! what a `[[slo]]` in the config declares, reduced to error ratios per window, the objective
//! and the error budget, with the multi-window burn-rate pairs that say whether users are
//! affected (Google SRE workbook, chapter 5; Pyrra's own windows and factors for its SLOs).
//!
//! `burn(window) = error ratio over window / (1 - objective)`. A pair breaches only when both
//! its long and its short window burn faster than its factor.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Where an SLO comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SloSource {
    /// Sloth's recording rules (`slo:sli_error:ratio_rate5m`…, labels `sloth_*`).
    Sloth,
    /// Pyrra's recording rules (`…:burnrate5m`, `pyrra_objective`, label `slo`).
    Pyrra,
    /// A `[[slo]]` of the config: opsdeck computes the ratios with range-vector queries.
    Declared,
}

impl SloSource {
    pub fn label(self) -> &'static str {
        match self {
            SloSource::Sloth => "sloth",
            SloSource::Pyrra => "pyrra",
            SloSource::Declared => "config",
        }
    }
}

/// What a breaching pair means for the on-call engineer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BurnSeverity {
    /// Wake someone up: the budget goes within days.
    Page,
    /// Look at it during working hours.
    Ticket,
}

impl BurnSeverity {
    pub fn label(self) -> &'static str {
        match self {
            BurnSeverity::Page => "page",
            BurnSeverity::Ticket => "ticket",
        }
    }
}

/// One multi-window pair: `long` and `short` windows (seconds), the burn factor both must
/// exceed, and what a breach means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnPair {
    pub long: u64,
    pub short: u64,
    pub factor: f64,
    pub severity: BurnSeverity,
}

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;
/// The period the workbook's factors are written for.
const THIRTY_DAYS: u64 = 30 * DAY;

/// The SRE workbook's pairs (14.4x 1h/5m and 6x 6h/30m page, 3x 1d/2h and 1x 3d/6h ticket for
/// a 30-day period); for another period the windows stay and the factors scale with it (each
/// still spends the same share of the budget in its long window).
pub fn workbook_pairs(period: u64) -> Vec<BurnPair> {
    // (long, short, share of the budget spent in the long window, severity)
    let base = [
        (HOUR, 300, 0.02, BurnSeverity::Page),
        (6 * HOUR, 1_800, 0.05, BurnSeverity::Page),
        (DAY, 2 * HOUR, 0.10, BurnSeverity::Ticket),
        (3 * DAY, 6 * HOUR, 0.10, BurnSeverity::Ticket),
    ];
    let period = if period == 0 { THIRTY_DAYS } else { period };
    base.into_iter()
        .map(|(long, short, share, severity)| BurnPair {
            long,
            short,
            factor: round2(share * period as f64 / long as f64),
            severity,
        })
        .collect()
}

/// Pyrra's pairs: windows scaled with the period from 1h/5m, 6h/30m, 1d/2h, 4d/6h at 28 days,
/// factors 14, 7 (critical: page), 2 and 1 (warning: ticket).
pub fn pyrra_pairs(period: u64) -> Vec<BurnPair> {
    let p = if period == 0 { 28 * DAY } else { period };
    let at = |divisor: u64| (p / divisor).max(60);
    [
        (at(28 * 24), at(28 * 24 * 12), 14.0, BurnSeverity::Page),
        (at(28 * 4), at(28 * 48), 7.0, BurnSeverity::Page),
        (at(28), at(28 * 12), 2.0, BurnSeverity::Ticket),
        (at(7), at(28 * 4), 1.0, BurnSeverity::Ticket),
    ]
    .into_iter()
    .map(|(long, short, factor, severity)| BurnPair {
        long,
        short,
        factor,
        severity,
    })
    .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `5m`, `1h`, `30d`: a window as Prometheus writes it (and back).
pub fn window_text(secs: u64) -> String {
    match secs {
        s if s >= DAY && s % DAY == 0 => format!("{}d", s / DAY),
        s if s >= HOUR && s % HOUR == 0 => format!("{}h", s / HOUR),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `5m`, `1h30m`, `30d`, `4w` in seconds; `None` for anything else.
pub fn parse_window(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => HOUR,
            'd' => DAY,
            'w' => 7 * DAY,
            _ => return None,
        };
    }
    (digits.is_empty() && total > 0).then_some(total)
}

/// One SLO as last fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// Unique per source: `sloth_id`, Pyrra's `slo` label, or the declared name.
    pub id: String,
    pub service: String,
    /// The SLO's own name (`requests-availability`).
    pub name: String,
    pub source: SloSource,
    /// As a ratio (`0.999`); `None` when the source does not say.
    pub objective: Option<f64>,
    /// The SLO period in seconds (30 days unless the source says otherwise).
    pub period: u64,
    /// Error ratio by window (seconds).
    pub ratios: BTreeMap<u64, f64>,
    /// The budget left over the period as the source records it (Sloth), as a ratio of the
    /// budget (may be below zero).
    pub recorded_budget: Option<f64>,
    /// Availability over the period as the source records it (Pyrra).
    pub recorded_availability: Option<f64>,
    /// Pyrra's recording rule prefix (`http_requests` of `http_requests:burnrate5m`).
    pub metric: Option<String>,
    /// Why the SLO cannot be judged (a declared query that failed, no objective).
    pub error: Option<String>,
}

/// A pair as judged now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairStatus {
    pub pair: BurnPair,
    pub long_burn: Option<f64>,
    pub short_burn: Option<f64>,
    pub breaching: bool,
}

impl Slo {
    pub fn new(source: SloSource, id: &str) -> Slo {
        Slo {
            id: id.to_string(),
            service: String::new(),
            name: String::new(),
            source,
            objective: None,
            period: THIRTY_DAYS,
            ratios: BTreeMap::new(),
            recorded_budget: None,
            recorded_availability: None,
            metric: None,
            error: None,
        }
    }

    /// `checkout`, or `checkout/latency` when the SLO's name says more than its service.
    pub fn title(&self) -> String {
        if self.name.is_empty() || self.name == self.service {
            self.service.clone()
        } else {
            format!("{}/{}", self.service, self.name)
        }
    }

    /// The burn-rate pairs for this SLO's source and period.
    pub fn pairs(&self) -> Vec<BurnPair> {
        match self.source {
            SloSource::Pyrra => pyrra_pairs(self.period),
            SloSource::Sloth | SloSource::Declared => workbook_pairs(self.period),
        }
    }

    /// Every window the pairs and the period need, shortest first.
    pub fn windows(&self) -> Vec<u64> {
        let mut w: Vec<u64> = self
            .pairs()
            .iter()
            .flat_map(|p| [p.long, p.short])
            .chain([self.period])
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// The error budget as a ratio of requests (`1 - objective`).
    pub fn budget(&self) -> Option<f64> {
        self.objective.map(|o| 1.0 - o).filter(|b| *b > 0.0)
    }

    /// How fast the budget burns over `window` (1 = exactly spent by the end of the period).
    pub fn burn(&self, window: u64) -> Option<f64> {
        Some(self.ratios.get(&window)? / self.budget()?)
    }

    /// Availability over the period.
    pub fn availability(&self) -> Option<f64> {
        self.recorded_availability
            .or_else(|| self.ratios.get(&self.period).map(|r| 1.0 - r))
    }

    /// The share of the budget left over the period (below zero when overspent).
    pub fn budget_left(&self) -> Option<f64> {
        self.recorded_budget
            .or_else(|| Some(1.0 - (1.0 - self.availability()?) / self.budget()?))
    }

    /// Each pair, breaching when both windows burn faster than its factor.
    pub fn pair_status(&self) -> Vec<PairStatus> {
        self.pairs()
            .into_iter()
            .map(|pair| {
                let (long_burn, short_burn) = (self.burn(pair.long), self.burn(pair.short));
                let over = |b: Option<f64>| b.is_some_and(|b| b > pair.factor);
                PairStatus {
                    pair,
                    long_burn,
                    short_burn,
                    breaching: over(long_burn) && over(short_burn),
                }
            })
            .collect()
    }

    /// The most severe breach, if any.
    pub fn breach(&self) -> Option<BurnSeverity> {
        self.pair_status()
            .iter()
            .filter(|p| p.breaching)
            .map(|p| p.pair.severity)
            .min()
    }

    /// The burn to name: the long window of the first breaching pair, else of the fastest
    /// pair (1h).
    pub fn headline_burn(&self) -> Option<(u64, f64)> {
        let status = self.pair_status();
        let pick = status.iter().find(|p| p.breaching).or(status.first())?;
        Some((pick.pair.long, pick.long_burn?))
    }

    /// Sort key, worst first: page, ticket, then least budget left; broken ones last.
    pub fn rank(&self) -> (u8, i64, String) {
        let breach = match (self.error.is_some(), self.breach()) {
            (true, _) => 3,
            (false, Some(BurnSeverity::Page)) => 0,
            (false, Some(BurnSeverity::Ticket)) => 1,
            (false, None) => 2,
        };
        let budget = self.budget_left().map_or(i64::MAX, |b| (b * 1e6) as i64);
        (breach, budget, self.title())
    }

    /// `99.9%`.
    pub fn objective_text(&self) -> String {
        self.objective
            .map_or("?".into(), |o| format!("{}%", trim_float(o * 100.0)))
    }

    /// The header's line: `checkout 99.9%: 14.6x burn, budget 38% left`.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{}: {e}", self.title());
        }
        let burn = self
            .headline_burn()
            .map(|(_, b)| format!("{b:.1}x burn"))
            .unwrap_or_else(|| "no burn rate".into());
        let budget = self
            .budget_left()
            .map(|b| format!(", budget {}% left", (b * 100.0).round()))
            .unwrap_or_default();
        format!("{} {}: {burn}{budget}", self.title(), self.objective_text())
    }
}

/// `99.9`, `99.95`, `99` (no trailing zeros, at most three decimals).
fn trim_float(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One sample of an instant vector: its labels (with `__name__`) and value.
pub type Sample = (BTreeMap<String, String>, f64);

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<VectorData>,
}

#[derive(Deserialize)]
struct VectorData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<VectorSample>,
}

#[derive(Deserialize)]
struct VectorSample {
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

/// The samples of a Prometheus instant query answer (`resultType: vector`); NaN and infinite
/// values are dropped.
pub fn parse_vector(body: &[u8]) -> Result<Vec<Sample>, String> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if env.status != "success" {
        return Err(env
            .error
            .unwrap_or_else(|| format!("status {}", env.status)));
    }
    let data = env.data.ok_or("no data")?;
    if data.result_type != "vector" {
        return Err(format!("expected a vector, got {}", data.result_type));
    }
    Ok(data
        .result
        .into_iter()
        .filter_map(|s| {
            let v: f64 = s.value.1.parse().ok()?;
            v.is_finite().then_some((s.metric, v))
        })
        .collect())
}

/// Sloth's series, one batched query for every SLO.
pub const SLOTH_QUERY: &str = "{__name__=~\"slo:sli_error:ratio_rate.+|slo:objective:ratio|slo:period_error_budget_remaining:ratio|slo:time_period:days|sloth_slo_info\", sloth_id!=\"\"}";

/// Pyrra's series, one batched query for every SLO.
pub const PYRRA_QUERY: &str =
    "{__name__=~\".+:burnrate.+|pyrra_objective|pyrra_window|pyrra_availability\", slo!=\"\"}";

/// Sloth's SLOs from the samples of [`SLOTH_QUERY`], by `sloth_id`.
pub fn sloth_slos(samples: &[Sample]) -> Vec<Slo> {
    let mut by_id: BTreeMap<String, Slo> = BTreeMap::new();
    for (labels, value) in samples {
        let Some(id) = labels.get("sloth_id") else {
            continue;
        };
        let slo = by_id
            .entry(id.clone())
            .or_insert_with(|| Slo::new(SloSource::Sloth, id));
        if let Some(s) = labels.get("sloth_service") {
            slo.service = s.clone();
        }
        if let Some(s) = labels.get("sloth_slo") {
            slo.name = s.clone();
        }
        let name = labels.get("__name__").map(String::as_str).unwrap_or("");
        match name {
            "slo:objective:ratio" => slo.objective = Some(*value),
            "slo:period_error_budget_remaining:ratio" => slo.recorded_budget = Some(*value),
            "slo:time_period:days" if *value > 0.0 => slo.period = (*value * DAY as f64) as u64,
            _ => {
                let window = name.strip_prefix("slo:sli_error:ratio_rate");
                if let Some(w) = window.and_then(parse_window) {
                    slo.ratios.insert(w, *value);
                }
            }
        }
    }
    by_id.into_values().map(finish).collect()
}

/// Pyrra's SLOs from the samples of [`PYRRA_QUERY`], by `slo`.
pub fn pyrra_slos(samples: &[Sample]) -> Vec<Slo> {
    let mut by_id: BTreeMap<String, Slo> = BTreeMap::new();
    for (labels, value) in samples {
        let Some(id) = labels.get("slo") else {
            continue;
        };
        let slo = by_id.entry(id.clone()).or_insert_with(|| {
            let mut s = Slo::new(SloSource::Pyrra, id);
            s.period = 28 * DAY;
            s.name = id.clone();
            s
        });
        let name = labels.get("__name__").map(String::as_str).unwrap_or("");
        match name {
            "pyrra_objective" => slo.objective = Some(*value),
            "pyrra_window" if *value > 0.0 => slo.period = *value as u64,
            "pyrra_availability" => slo.recorded_availability = Some(*value),
            _ => {
                let Some((metric, window)) = name.split_once(":burnrate") else {
                    continue;
                };
                let Some(w) = parse_window(window) else {
                    continue;
                };
                slo.ratios.insert(w, *value);
                slo.metric = Some(metric.to_string());
                let service = ["service", "job", "namespace"]
                    .iter()
                    .find_map(|k| labels.get(*k));
                if let (true, Some(s)) = (slo.service.is_empty(), service) {
                    slo.service = s.clone();
                }
            }
        }
    }
    by_id
        .into_values()
        .map(|mut slo| {
            if slo.objective.is_none() {
                slo.error = Some(
                    "objective unknown: pyrra_objective is not recorded (Pyrra's generic rules)"
                        .into(),
                );
            }
            finish(slo)
        })
        .collect()
}

fn finish(mut slo: Slo) -> Slo {
    if slo.service.is_empty() {
        slo.service = slo.id.clone();
    }
    if let Some(rest) = slo.name.strip_prefix(&format!("{}-", slo.service)) {
        slo.name = rest.to_string();
    }
    if slo.name == slo.service {
        slo.name.clear();
    }
    slo
}

/// The sparklines of one SLO over the last hours.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SloHistory {
    /// `(unix seconds, error ratio)` of the shortest window.
    pub ratio: Vec<(i64, f64)>,
    /// `(unix seconds, budget left)` over the period.
    pub budget: Vec<(i64, f64)>,
    /// Why a series could not be read.
    pub error: Option<String>,
}

/// Objective and period of Pyrra SLOs from Pyrra's own alerting rules, for a Prometheus
/// without Pyrra's generic rules: `…:burnrate5m{slo="x"} > (14 * (1-0.99)) and …`, with the
/// `slo` and `long` labels (the factor-14 pair's long window is the period / 672).
pub fn pyrra_objectives(
    rules: &[crate::model::alert::PrometheusRule],
) -> BTreeMap<String, (f64, Option<u64>)> {
    static OBJECTIVE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r":burnrate\w+\{[^}]*\}\s*>\s*\(\s*([0-9.]+)\s*\*\s*\(\s*1\s*-\s*([0-9.]+)\s*\)\s*\)",
        )
        .expect("valid regex")
    });
    let mut out: BTreeMap<String, (f64, Option<u64>)> = BTreeMap::new();
    for rule in rules {
        let (Some(slo), Some(c)) = (rule.labels.get("slo"), OBJECTIVE.captures(&rule.expr)) else {
            continue;
        };
        let Ok(objective) = c[2].parse::<f64>() else {
            continue;
        };
        let factor: f64 = c[1].parse().unwrap_or(0.0);
        let period = rule
            .labels
            .get("long")
            .and_then(|l| parse_window(l))
            .filter(|_| factor == 14.0)
            .map(|long| long * 28 * 24);
        let entry = out.entry(slo.clone()).or_insert((objective, None));
        entry.1 = entry.1.or(period);
    }
    out
}

/// Fill in the objective (and period) of Pyrra SLOs that lack `pyrra_objective`.
pub fn complete_pyrra(slos: &mut [Slo], found: &BTreeMap<String, (f64, Option<u64>)>) {
    for slo in slos
        .iter_mut()
        .filter(|s| s.source == SloSource::Pyrra && s.objective.is_none())
    {
        if let Some((objective, period)) = found.get(&slo.id) {
            slo.objective = Some(*objective);
            if let Some(p) = period {
                slo.period = *p;
            }
            slo.error = None;
        }
    }
}

/// A PromQL label value, quoted.
pub fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The label that carries the window in a declared SLO's batched query.
pub const WINDOW_LABEL: &str = "opsdeck_window";

/// One query for every window of a declared SLO: each window's error ratio tagged with
/// [`WINDOW_LABEL`], joined with `or`. `ratio` is the error ratio with `$window`.
pub fn batched_ratio_query(ratio: &str, windows: &[u64]) -> String {
    windows
        .iter()
        .map(|w| {
            let text = window_text(*w);
            format!(
                "label_replace(({}), {}, {}, \"\", \"\")",
                ratio.replace("$window", &text),
                quote(WINDOW_LABEL),
                quote(&text)
            )
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The ratio by window of a declared SLO's batched answer (the worst series of a window when
/// the expression yields several).
pub fn declared_ratios(samples: &[Sample]) -> BTreeMap<u64, f64> {
    let mut ratios: BTreeMap<u64, f64> = BTreeMap::new();
    for (labels, value) in samples {
        let Some(w) = labels.get(WINDOW_LABEL).and_then(|w| parse_window(w)) else {
            continue;
        };
        let slot = ratios.entry(w).or_insert(*value);
        *slot = slot.max(*value);
    }
    ratios
}

/// The two expressions behind an SLO's sparklines: its shortest-window error ratio and the
/// budget left over the period. `declared` is the declared error ratio (with `$window`).
pub fn history_queries(slo: &Slo, declared: Option<&str>) -> Option<(String, String)> {
    let id = quote(&slo.id);
    match slo.source {
        SloSource::Sloth => Some((
            format!("slo:sli_error:ratio_rate5m{{sloth_id={id}}}"),
            format!("slo:period_error_budget_remaining:ratio{{sloth_id={id}}}"),
        )),
        SloSource::Pyrra => {
            let short = *slo.ratios.keys().next()?;
            let metric = slo.metric.as_ref()?;
            Some((
                format!(
                    "{{__name__={}, slo={id}}}",
                    quote(&format!("{metric}:burnrate{}", window_text(short)))
                ),
                format!(
                    "1 - (1 - pyrra_availability{{slo={id}}}) / (1 - pyrra_objective{{slo={id}}})"
                ),
            ))
        }
        SloSource::Declared => {
            let ratio = declared?;
            let budget = slo.budget()?;
            let short = slo.windows().first().copied().unwrap_or(300);
            Some((
                ratio.replace("$window", &window_text(short)),
                format!(
                    "1 - ({}) / {budget}",
                    ratio.replace("$window", &window_text(slo.period))
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workbook_pairs_for_thirty_days_and_scaled_for_other_periods() {
        let p = workbook_pairs(30 * DAY);
        let f: Vec<(String, String, f64)> = p
            .iter()
            .map(|p| (window_text(p.long), window_text(p.short), p.factor))
            .collect();
        assert_eq!(
            f,
            [
                ("1h".into(), "5m".into(), 14.4),
                ("6h".into(), "30m".into(), 6.0),
                ("1d".into(), "2h".into(), 3.0),
                ("3d".into(), "6h".into(), 1.0),
            ]
        );
        let week: Vec<f64> = workbook_pairs(7 * DAY).iter().map(|p| p.factor).collect();
        assert_eq!(week, [3.36, 1.4, 0.7, 0.23]);
    }

    #[test]
    fn pyrra_pairs_scale_their_windows() {
        let p: Vec<(String, String, f64)> = pyrra_pairs(28 * DAY)
            .iter()
            .map(|p| (window_text(p.long), window_text(p.short), p.factor))
            .collect();
        assert_eq!(
            p,
            [
                ("1h".into(), "5m".into(), 14.0),
                ("6h".into(), "30m".into(), 7.0),
                ("1d".into(), "2h".into(), 2.0),
                ("4d".into(), "6h".into(), 1.0),
            ]
        );
    }

    #[test]
    fn windows_parse_and_print() {
        for (text, secs) in [
            ("5m", 300),
            ("1h", 3600),
            ("30d", 2_592_000),
            ("1h30m", 5400),
        ] {
            assert_eq!(parse_window(text), Some(secs), "{text}");
        }
        assert_eq!(parse_window("5x"), None);
        assert_eq!(parse_window(""), None);
        assert_eq!(window_text(5400), "90m");
    }

    #[test]
    fn a_pair_breaches_only_when_both_windows_burn_too_fast() {
        let mut s = Slo::new(SloSource::Declared, "x");
        s.objective = Some(0.999);
        s.ratios.insert(HOUR, 0.0150); // 15x
        s.ratios.insert(300, 0.0100); // 10x: the short window has cooled down
        assert_eq!(s.breach(), None);
        s.ratios.insert(300, 0.0200);
        assert_eq!(s.breach(), Some(BurnSeverity::Page));
        let (w, b) = s.headline_burn().unwrap();
        assert_eq!((w, (b * 10.0).round() / 10.0), (HOUR, 15.0));
    }
}
