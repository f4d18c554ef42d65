//! Golden signals (latency, traffic, errors, saturation) of a service: series from Prometheus
//! `query_range`, with unit and thresholds. Pure.

use serde::Deserialize;

use crate::model::alert::AlertParseError;

/// Which golden signal a series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalKind {
    Latency,
    Traffic,
    Errors,
    Saturation,
}

impl SignalKind {
    pub const ALL: [SignalKind; 4] = [
        SignalKind::Latency,
        SignalKind::Traffic,
        SignalKind::Errors,
        SignalKind::Saturation,
    ];

    /// Short label for the sparkline row.
    pub fn label(self) -> &'static str {
        match self {
            SignalKind::Latency => "latency",
            SignalKind::Traffic => "traffic",
            SignalKind::Errors => "errors",
            SignalKind::Saturation => "saturation",
        }
    }
}

/// How a value compares with its thresholds (higher is worse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignalLevel {
    Ok,
    Warning,
    Critical,
}

/// One signal of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSeries {
    pub kind: SignalKind,
    /// Unit printed after the value: `s`, `ms`, `req/s`, `%`, or empty.
    pub unit: String,
    /// `(unix seconds, value)`, oldest first; NaN and infinite samples dropped.
    pub points: Vec<(i64, f64)>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// Why the query failed, if it did (the series is then empty).
    pub error: Option<String>,
}

impl SignalSeries {
    /// The latest value.
    pub fn current(&self) -> Option<f64> {
        self.points.last().map(|(_, v)| *v)
    }

    /// Level of the latest value against the thresholds.
    pub fn level(&self) -> SignalLevel {
        match self.current() {
            Some(v) => level(v, self.warning, self.critical),
            None => SignalLevel::Ok,
        }
    }

    /// `0.42 s`, `1.2k req/s`, `—` when there is no value.
    pub fn current_text(&self) -> String {
        match self.current() {
            Some(v) if self.unit.is_empty() => format_value(v),
            Some(v) => format!("{} {}", format_value(v), self.unit),
            None => "—".to_string(),
        }
    }
}

/// The signals of one configured service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSignals {
    pub service: String,
    pub series: Vec<SignalSeries>,
}

/// Level of `value` for thresholds where higher is worse.
pub fn level(value: f64, warning: Option<f64>, critical: Option<f64>) -> SignalLevel {
    if critical.is_some_and(|c| value >= c) {
        SignalLevel::Critical
    } else if warning.is_some_and(|w| value >= w) {
        SignalLevel::Warning
    } else {
        SignalLevel::Ok
    }
}

/// Compact number: three significant digits, k/M/G suffixes for large values.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let sa = scaled.abs();
    let text = if sa == 0.0 || sa >= 100.0 {
        format!("{scaled:.0}")
    } else if sa >= 10.0 {
        format!("{scaled:.1}")
    } else if sa >= 0.01 {
        format!("{scaled:.2}")
    } else {
        format!("{scaled:.1e}")
    };
    format!("{text}{suffix}")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RangeEnvelope {
    status: String,
    error: Option<String>,
    data: RangeData,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RangeData {
    result_type: String,
    result: Vec<RangeSeries>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RangeSeries {
    values: Vec<(f64, String)>,
}

/// Points of a `query_range` response. Several series are summed per timestamp (a query that
/// forgot its `sum` still draws one line).
pub fn parse_query_range(body: &[u8]) -> Result<Vec<(i64, f64)>, AlertParseError> {
    let env: RangeEnvelope = super::alert::decode(body)?;
    if env.status != "success" {
        let why = env
            .error
            .unwrap_or_else(|| format!("status {:?}", env.status));
        return Err(AlertParseError::Api(why));
    }
    if env.data.result_type != "matrix" {
        return Err(AlertParseError::Api(format!(
            "expected a matrix, got {:?}",
            env.data.result_type
        )));
    }
    let mut sums: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for series in env.data.result {
        for (t, v) in series.values {
            let Ok(v) = v.parse::<f64>() else { continue };
            if v.is_finite() {
                *sums.entry(t.round() as i64).or_insert(0.0) += v;
            }
        }
    }
    Ok(sums.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_compact() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(0.4234), "0.42");
        assert_eq!(format_value(12.34), "12.3");
        assert_eq!(format_value(1234.0), "1234");
        assert_eq!(format_value(12345.0), "12.3k");
        assert_eq!(format_value(0.0012), "1.2e-3");
        assert_eq!(format_value(2.5e6), "2.50M");
    }

    #[test]
    fn thresholds_are_inclusive_and_higher_is_worse() {
        assert_eq!(level(0.2, Some(0.3), Some(1.0)), SignalLevel::Ok);
        assert_eq!(level(0.3, Some(0.3), Some(1.0)), SignalLevel::Warning);
        assert_eq!(level(1.5, Some(0.3), Some(1.0)), SignalLevel::Critical);
        assert_eq!(level(9.0, None, None), SignalLevel::Ok);
    }

    #[test]
    fn range_series_are_summed_and_nan_dropped() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[[100,"1"],[115,"2"],[130,"NaN"]]},
            {"metric":{"a":"2"},"values":[[100,"0.5"],[115,"+Inf"]]}]}}"#;
        assert_eq!(parse_query_range(body).unwrap(), [(100, 1.5), (115, 2.0)]);
        let bad = br#"{"status":"error","error":"parse error at char 3"}"#;
        assert!(parse_query_range(bad).is_err());
    }
}
