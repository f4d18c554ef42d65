//! Time formatting that matches kubectl output.
//!
//! The project uses `jiff` 1.x while `k8s-openapi` 0.29 carries its own
//! `jiff` 0.2 inside [`Time`]; [`from_k8s`] converts at that boundary so the
//! rest of the model only sees [`jiff::Timestamp`].

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Text kubectl prints for a missing (zero) timestamp.
pub const UNKNOWN: &str = "<unknown>";

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY_HOURS: i64 = 24;
const YEAR_DAYS: i64 = 365;

/// Formats a duration exactly like apimachinery's `duration.HumanDuration`
/// (used by kubectl for AGE and for the "(5m ago)" part of RESTARTS).
///
/// Rules, with `s` the whole seconds truncated toward zero:
/// `s < -1` → `<invalid>`; `s < 0` → `0s`; `< 2m` → `Ns`; `< 10m` → `NmSs`
/// (seconds omitted when 0); `< 3h` → `Nm`; `< 8h` → `NhMm` (minutes omitted
/// when 0); `< 48h` → `Nh`; `< 8d` → `NdHh` (hours omitted when 0);
/// `< 2y` → `Nd`; `< 8y` → `NyDd` (days omitted when 0); otherwise `Ny`.
/// A year is 365 days.
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 2 * MINUTE {
        return format!("{seconds}s");
    }
    let minutes = seconds / MINUTE;
    if minutes < 10 {
        let s = seconds % MINUTE;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = seconds / HOUR;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / DAY_HOURS;
    if hours < DAY_HOURS * 8 {
        let h = hours % DAY_HOURS;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < DAY_HOURS * YEAR_DAYS * 2 {
        return format!("{days}d");
    }
    let years = days / YEAR_DAYS;
    if hours < DAY_HOURS * YEAR_DAYS * 8 {
        let dy = days % YEAR_DAYS;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

/// Same as [`human_duration`] for a `std::time::Duration` (never negative).
/// Durations beyond `i64::MAX` seconds saturate.
pub fn human_std_duration(d: std::time::Duration) -> String {
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    human_duration(SignedDuration::from_secs(secs))
}

/// kubectl's `translateTimestampSince`: how long before `now` the moment
/// `then` was, as [`human_duration`] text. A future `then` up to one second
/// ahead prints `0s`; further ahead prints `<invalid>`.
pub fn since(then: Timestamp, now: Timestamp) -> String {
    human_duration(now.duration_since(then))
}

/// The AGE column for an object created at `created`, seen at `now`.
pub fn age(created: Timestamp, now: Timestamp) -> String {
    since(created, now)
}

/// Like [`age`] but for an optional timestamp: `None` prints `<unknown>`,
/// as kubectl does for a zero creation timestamp.
pub fn age_opt(created: Option<Timestamp>, now: Timestamp) -> String {
    created.map_or_else(|| UNKNOWN.to_string(), |c| age(c, now))
}

/// Converts a k8s-openapi [`Time`] (jiff 0.2 inside) to the project's
/// [`jiff::Timestamp`] (jiff 1.x). Both versions share the same valid range,
/// so this only returns `None` for values neither could represent.
pub fn from_k8s(t: &Time) -> Option<Timestamp> {
    Timestamp::new(t.0.as_second(), t.0.subsec_nanosecond()).ok()
}

/// [`from_k8s`] over an optional field.
pub fn from_k8s_opt(t: Option<&Time>) -> Option<Timestamp> {
    t.and_then(from_k8s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> String {
        human_duration(SignedDuration::from_secs(s))
    }

    const M: i64 = 60;
    const H: i64 = 3600;
    const D: i64 = 86_400;
    const Y: i64 = 365 * D;

    #[test]
    fn negative_durations() {
        assert_eq!(secs(-2), "<invalid>");
        assert_eq!(secs(-100), "<invalid>");
        assert_eq!(secs(-1), "0s");
        // -1.9s truncates to -1 like Go's int(d.Seconds()).
        assert_eq!(human_duration(SignedDuration::from_millis(-1900)), "0s");
        assert_eq!(
            human_duration(SignedDuration::from_millis(-2000)),
            "<invalid>"
        );
    }

    #[test]
    fn seconds_below_two_minutes() {
        assert_eq!(secs(0), "0s");
        assert_eq!(human_duration(SignedDuration::from_millis(999)), "0s");
        assert_eq!(secs(1), "1s");
        assert_eq!(secs(59), "59s");
        assert_eq!(secs(60), "60s");
        assert_eq!(secs(119), "119s");
    }

    #[test]
    fn minutes_and_seconds_below_ten_minutes() {
        assert_eq!(secs(2 * M), "2m");
        assert_eq!(secs(2 * M + 1), "2m1s");
        assert_eq!(secs(2 * M + 30), "2m30s");
        assert_eq!(secs(5 * M), "5m");
        assert_eq!(secs(10 * M - 1), "9m59s");
    }

    #[test]
    fn minutes_below_three_hours() {
        assert_eq!(secs(10 * M), "10m");
        assert_eq!(secs(10 * M + 59), "10m");
        assert_eq!(secs(2 * H), "120m");
        assert_eq!(secs(3 * H - 1), "179m");
    }

    #[test]
    fn hours_and_minutes_below_eight_hours() {
        assert_eq!(secs(3 * H), "3h");
        assert_eq!(secs(3 * H + 59), "3h");
        assert_eq!(secs(3 * H + M), "3h1m");
        assert_eq!(secs(7 * H + 59 * M + 59), "7h59m");
    }

    #[test]
    fn hours_below_two_days() {
        assert_eq!(secs(8 * H), "8h");
        assert_eq!(secs(8 * H + 30 * M), "8h");
        assert_eq!(secs(47 * H + 59 * M), "47h");
    }

    #[test]
    fn days_and_hours_below_eight_days() {
        assert_eq!(secs(2 * D), "2d");
        assert_eq!(secs(2 * D + 59 * M), "2d");
        assert_eq!(secs(2 * D + H), "2d1h");
        assert_eq!(secs(8 * D - 1), "7d23h");
    }

    #[test]
    fn days_below_two_years() {
        assert_eq!(secs(8 * D), "8d");
        assert_eq!(secs(8 * D + 23 * H), "8d");
        assert_eq!(secs(2 * Y - 1), "729d");
    }

    #[test]
    fn years_and_days_below_eight_years() {
        assert_eq!(secs(2 * Y), "2y");
        assert_eq!(secs(2 * Y + 23 * H), "2y");
        assert_eq!(secs(2 * Y + D), "2y1d");
        assert_eq!(secs(8 * Y - 1), "7y364d");
    }

    #[test]
    fn years_from_eight() {
        assert_eq!(secs(8 * Y), "8y");
        assert_eq!(secs(8 * Y + 100 * D), "8y");
        assert_eq!(secs(20 * Y + 5 * D), "20y");
    }

    #[test]
    fn std_duration_matches_signed() {
        assert_eq!(
            human_std_duration(std::time::Duration::from_secs(150)),
            "2m30s"
        );
        assert_eq!(human_std_duration(std::time::Duration::MAX), secs(i64::MAX));
    }

    #[test]
    fn age_and_since_use_now_minus_then() {
        let now: Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
        let created: Timestamp = "2025-06-01T11:57:30Z".parse().unwrap();
        assert_eq!(age(created, now), "2m30s");
        assert_eq!(age_opt(Some(created), now), "2m30s");
        assert_eq!(age_opt(None, now), "<unknown>");
        // Clock skew: one second in the future is tolerated, more is not.
        let ahead1: Timestamp = "2025-06-01T12:00:01Z".parse().unwrap();
        let ahead5: Timestamp = "2025-06-01T12:00:05Z".parse().unwrap();
        assert_eq!(since(ahead1, now), "0s");
        assert_eq!(since(ahead5, now), "<invalid>");
    }

    #[test]
    fn converts_k8s_time() {
        let t: Time = serde_json::from_str("\"2025-06-01T11:57:30Z\"").unwrap();
        let want: Timestamp = "2025-06-01T11:57:30Z".parse().unwrap();
        assert_eq!(from_k8s(&t), Some(want));
        assert_eq!(from_k8s_opt(None), None);
    }
}
