//! TEMPORARY STUB (not committed): replaced by the real simulator on merge.
#![allow(missing_docs, dead_code)]
use std::net::SocketAddr;
use std::path::Path;
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Scenario {
    #[default]
    Steady,
    Crashloop,
    BadRollout,
    Incident,
}
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub pods: usize,
}
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    #[arg(long)]
    pub pods: Option<usize>,
}
pub async fn run(_args: SimArgs) -> color_eyre::Result<()> {
    Ok(())
}
pub struct Simulator;
impl Simulator {
    pub async fn start(_l: SocketAddr, _c: SimConfig) -> std::io::Result<Simulator> {
        Ok(Simulator)
    }
    pub fn write_kubeconfig(&self, _p: &Path) -> std::io::Result<()> {
        Ok(())
    }
}
impl Drop for Simulator {
    fn drop(&mut self) {}
}
