//! `[[slo]]` in the config: parsed as written, and every mistake named with its file, line
//! and key.

use std::path::Path;

use opsdeck::config::Config;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/etc/opsdeck.toml")).map_err(|e| e.to_string())
}

#[test]
fn declared_slos_parse_with_their_queries() {
    let config = parse(
        r#"
[[slo]]
name = "checkout-availability"
service = "checkout"
objective = 99.9
error_ratio = 'sum(rate(e[$window])) / sum(rate(t[$window]))'

[[slo]]
name = "search-latency"
objective = 99
period = "28d"
good = 'sum(rate(g[$window]))'
total = 'sum(rate(t[$window]))'
"#,
    )
    .unwrap();
    assert_eq!(config.slo.len(), 2);
    let checkout = config.slo[0].slo();
    assert_eq!(checkout.service, "checkout");
    assert!((checkout.objective.unwrap() - 0.999).abs() < 1e-12);
    assert_eq!(checkout.objective_text(), "99.9%");
    assert_eq!(checkout.period, 30 * 86_400);
    let search = &config.slo[1];
    assert_eq!(search.slo().period, 28 * 86_400);
    assert_eq!(
        search.ratio_query().unwrap(),
        "1 - ((sum(rate(g[$window]))) / (sum(rate(t[$window]))))"
    );
}

#[test]
fn mistakes_name_the_file_line_and_key() {
    let both = "[[slo]]\nname = \"a\"\nobjective = 99\nerror_ratio = 'x[$window]'\n\n[[slo]]\nname = \"b\"\nobjective = 99\nerror_ratio = 'x[$window]'\ngood = 'g[$window]'\ntotal = 't[$window]'\n";
    assert_eq!(
        parse(both).unwrap_err(),
        "/etc/opsdeck.toml:9: slo[1].error_ratio: give either error_ratio or good and total, not both"
    );
    let objective = "[[slo]]\nname = \"a\"\nobjective = 100\nerror_ratio = 'x[$window]'\n";
    assert_eq!(
        parse(objective).unwrap_err(),
        "/etc/opsdeck.toml:3: slo[0].objective: must be a percentage between 0 and 100, not 100"
    );
    let window = "[[slo]]\nname = \"a\"\nobjective = 99\nerror_ratio = 'rate(x[5m])'\n";
    assert_eq!(
        parse(window).unwrap_err(),
        "/etc/opsdeck.toml:4: slo[0].error_ratio: must use $window (e.g. rate(x[$window]))"
    );
    let period =
        "[[slo]]\nname = \"a\"\nobjective = 99\nperiod = \"a month\"\nerror_ratio = 'x[$window]'\n";
    assert_eq!(
        parse(period).unwrap_err(),
        "/etc/opsdeck.toml:4: slo[0].period: \"a month\" is not a duration like 30d or 4w"
    );
    let unknown = "[[slo]]\nname = \"a\"\nobjective = 99\nratio = 'x'\n";
    let e = parse(unknown).unwrap_err();
    assert!(e.starts_with("/etc/opsdeck.toml:4: slo[0]"), "{e}");
    assert!(e.contains("unknown field `ratio`"), "{e}");
}
