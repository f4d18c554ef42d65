//! Test harness: Debian's Prometheus and Alertmanager on 127.0.0.1 (free ports, temporary
//! config, rules and storage). Every process is killed by its PID when its guard drops, also
//! when a test fails.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PROMETHEUS: &str = "/usr/bin/prometheus";
pub const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// Alerts that fire at once at three severities, and one that stays pending (`for: 10m`).
pub const RULES: &str = r#"groups:
- name: opsdeck-test
  interval: 1s
  rules:
  - alert: CheckoutDown
    expr: vector(1)
    for: 0s
    labels: {severity: critical, namespace: checkout, service: checkout-api}
    annotations:
      summary: checkout-api has no ready endpoints
      description: "All replicas of checkout-api are failing readiness.\nUsers cannot pay."
      runbook_url: https://runbooks.example.com/checkout/CheckoutDown
  - alert: HighLatency
    expr: vector(1)
    for: 0s
    labels: {severity: warning, namespace: payments, job: ledger}
    annotations: {summary: p99 latency above 500ms}
  - alert: CertExpiresSoon
    expr: vector(1)
    for: 0s
    labels: {severity: info}
    annotations: {summary: certificate expires in 20 days}
  - alert: DiskFillingUp
    expr: vector(1)
    for: 10m
    labels: {severity: warning, namespace: platform, pod: search-0}
    annotations: {summary: disk will fill within 4h}
"#;

fn require(binary: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(binary);
    assert!(
        path.exists(),
        "{binary} is missing: install Debian's {package} package \
         (apt-get install --no-install-recommends {package})"
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// One server process; killed (by PID) on drop.
pub struct Server {
    binary: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    pub port: u16,
    pub url: String,
}

impl Server {
    fn spawn(binary: PathBuf, args: Vec<String>, log: PathBuf, port: u16) -> Server {
        let mut s = Server {
            binary,
            args,
            log,
            child: None,
            port,
            url: format!("http://127.0.0.1:{port}"),
        };
        s.start();
        s
    }

    /// Start (again) with the same arguments and port.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open log");
        let child = Command::new(&self.binary)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
    }

    /// Kill the process (by PID) and reap it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Wait until `/-/ready` answers 200.
    pub async fn wait_ready(&mut self) {
        opsdeck::http::install_crypto_provider();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}/-/ready", self.url);
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("{} exited ({status}):\n{log}", self.binary.display());
            }
            assert!(Instant::now() < deadline, "{url} not ready after 30s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Prometheus evaluating [`RULES`] every second, optionally sending to an Alertmanager.
pub struct Stack {
    // Dropped last: the servers are killed before their files go.
    pub prometheus: Server,
    pub alertmanager: Option<Server>,
    dir: tempfile::TempDir,
}

impl Stack {
    /// Start Alertmanager (if `with_alertmanager`) and Prometheus; wait until both are ready.
    pub async fn start(with_alertmanager: bool) -> Stack {
        Stack::start_with_rules(with_alertmanager, RULES).await
    }

    /// As [`Stack::start`], evaluating `rules` (a Prometheus rule file) instead of [`RULES`].
    pub async fn start_with_rules(with_alertmanager: bool, rules_yaml: &str) -> Stack {
        Stack::start_scraping(with_alertmanager, rules_yaml, &[]).await
    }

    /// As [`Stack::start_with_rules`], also scraping `targets` (`127.0.0.1:PORT`, every second).
    pub async fn start_scraping(
        with_alertmanager: bool,
        rules_yaml: &str,
        targets: &[String],
    ) -> Stack {
        let prom_bin = require(PROMETHEUS, "prometheus");
        let am_bin = require(ALERTMANAGER, "prometheus-alertmanager");
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let alertmanager = with_alertmanager.then(|| start_alertmanager(am_bin, d));
        let rules = d.join("rules.yml");
        std::fs::write(&rules, rules_yaml).expect("write rules");
        let mut config = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [{}]\n",
            rules.display()
        );
        if let Some(am) = &alertmanager {
            config.push_str(&format!(
                "alerting:\n  alertmanagers: [{{static_configs: [{{targets: [\"127.0.0.1:{}\"]}}]}}]\n",
                am.port
            ));
        }
        // Prometheus scrapes itself: real series for the golden-signal tests.
        let port = free_port();
        config.push_str(&format!(
            "scrape_configs:\n- job_name: prometheus\n  static_configs: [{{targets: [\"127.0.0.1:{port}\"]}}]\n"
        ));
        if !targets.is_empty() {
            let quoted: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
            config.push_str(&format!(
                "- job_name: app\n  static_configs: [{{targets: [{}]}}]\n",
                quoted.join(", ")
            ));
        }
        let config_file = d.join("prometheus.yml");
        std::fs::write(&config_file, config).expect("write prometheus.yml");
        let args = vec![
            format!("--config.file={}", config_file.display()),
            format!("--storage.tsdb.path={}", d.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--rules.alert.resend-delay=1s".to_string(),
        ];
        let prometheus = Server::spawn(prom_bin, args, d.join("prometheus.log"), port);
        let mut stack = Stack {
            prometheus,
            alertmanager,
            dir,
        };
        if let Some(am) = stack.alertmanager.as_mut() {
            am.wait_ready().await;
        }
        stack.prometheus.wait_ready().await;
        stack
    }

    pub fn alertmanager(&mut self) -> &mut Server {
        self.alertmanager
            .as_mut()
            .expect("started without Alertmanager")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn start_alertmanager(binary: PathBuf, d: &Path) -> Server {
    let config = d.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route: {receiver: \"null\", group_wait: 0s, group_interval: 1s, repeat_interval: 1h}\n\
         receivers: [{name: \"null\"}]\n",
    )
    .expect("write alertmanager.yml");
    let port = free_port();
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", d.join("am-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--cluster.listen-address=".to_string(),
    ];
    Server::spawn(binary, args, d.join("alertmanager.log"), port)
}
