use std::process::ExitCode;

use clap::Parser;

use opsdeck::cli::{Cli, Cmd};
use opsdeck::error::{EXIT_FAILURE, Failure};
use opsdeck::{launch, logging};

fn main() -> ExitCode {
    opsdeck::memory::limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => return fail(&Failure::of_usage(&e)),
    };
    if let Err(e) = opsdeck::error::install_hooks() {
        return fail(&Failure::of(&e));
    }
    let log_file = cli
        .common
        .log_file
        .clone()
        .unwrap_or_else(logging::default_log_file);
    opsdeck::http::install_crypto_provider();
    let _guard = match logging::init(&log_file, &cli.common.log_level) {
        Ok(guard) => guard,
        Err(e) => {
            let message = format!("cannot open the log file {}: {e}", log_file.display());
            return fail(&Failure {
                message,
                status: EXIT_FAILURE,
            });
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "opsdeck starting");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&Failure::of(&e.into())),
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Some(Cmd::Sim(args)) => opsdeck_sim::run(args.clone()).await,
            Some(Cmd::Demo(demo)) => launch::run_demo(&cli.common, demo).await,
            None => launch::run_dashboard(&cli.common).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let Err(report) = result else {
        return ExitCode::SUCCESS;
    };
    // The terminal is restored by now. One line for the user; the whole report in the log.
    let mut failure = Failure::of(&report);
    tracing::error!("exiting: {}", opsdeck::error::full_report(&report));
    if failure.status == EXIT_FAILURE {
        failure.message = format!("{} (details in {})", failure.message, log_file.display());
    }
    fail(&failure)
}

/// Say `failure` in one line on stderr; its exit status.
fn fail(failure: &Failure) -> ExitCode {
    use std::io::Write;
    let line = failure.line(opsdeck::error::stderr_has_color());
    let _ = writeln!(std::io::stderr(), "{line}");
    ExitCode::from(failure.status)
}
