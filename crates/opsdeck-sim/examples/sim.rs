//! Runs the simulator standalone: `cargo run --example sim -- --pods 200`.

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: opsdeck_sim::SimArgs,
}

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    opsdeck_sim::run(Cli::parse().sim).await
}
