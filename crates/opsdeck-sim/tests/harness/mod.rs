//! The test harness for the real kubectl against the simulator, shared by the `sim_kubectl*`
//! tests. kubectl must be on PATH: a missing kubectl fails these tests, it never skips them.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use opsdeck_sim::{SimConfig, Simulator};

/// Polling deadline for things that happen in the background.
pub const PATIENCE: Duration = Duration::from_secs(45);

pub struct Harness {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    kubectl: PathBuf,
    _rt: tokio::runtime::Runtime,
}

fn find_kubectl() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("kubectl not found on PATH: these tests need the real kubectl (e.g. /usr/bin/kubectl)"))
}

impl Harness {
    /// A simulator with the default configuration.
    pub fn new() -> Harness {
        Harness::with(SimConfig::default())
    }

    /// A simulator with `cfg`.
    pub fn with(cfg: SimConfig) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), cfg))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        sim.write_kubeconfig(&kubeconfig).unwrap();
        Harness {
            sim,
            dir,
            kubeconfig,
            kubectl: find_kubectl(),
            _rt: rt,
        }
    }

    fn command(&self, args: &[&str], out: &Path) -> Command {
        let mut c = Command::new(&self.kubectl);
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        c.stdin(Stdio::null())
            .stdout(File::create(out).unwrap())
            .stderr(File::create(out.with_extension("err")).unwrap());
        c
    }

    /// Runs kubectl to completion (killed after `timeout`); returns status, stdout, stderr.
    pub fn run_for(&self, args: &[&str], timeout: Duration) -> (ExitStatus, String, String) {
        let out = self.dir.path().join(format!("out-{}", rand_suffix()));
        let mut child = Spawned(self.command(args, &out).spawn().unwrap());
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(s) = child.0.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "kubectl {args:?} timed out; stdout: {}",
                read(&out)
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (status, read(&out), read(&out.with_extension("err")))
    }

    /// Runs kubectl and asserts it succeeded; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (status, out, err) = self.run_for(args, PATIENCE);
        assert!(status.success(), "kubectl {args:?} failed: {err}\n{out}");
        out
    }

    /// Starts a long-running kubectl whose output is written to the returned file.
    pub fn spawn(&self, args: &[&str]) -> (Spawned, PathBuf) {
        let out = self.dir.path().join(format!("stream-{}", rand_suffix()));
        (Spawned(self.command(args, &out).spawn().unwrap()), out)
    }

    pub fn first_pod(&self, ns: &str, app: &str) -> String {
        let out = self.ok(&[
            "get",
            "pods",
            "-n",
            ns,
            "-l",
            &format!("app={app}"),
            "-o",
            "name",
        ]);
        let name = out
            .lines()
            .next()
            .expect("no pods")
            .trim_start_matches("pod/")
            .to_string();
        assert!(!name.is_empty());
        name
    }
}

/// A child process killed (and reaped) on drop.
pub struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
