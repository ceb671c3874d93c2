//! How the benchmark binaries run: a multi-threaded Tokio runtime until the work ends or
//! Ctrl-C, which drops the work's future — and with it every process guard it holds, so each
//! process the benchmark started is killed by PID.

use std::future::Future;
use std::time::Duration;

/// Runs `work` to its end (or Ctrl-C); on error prints `name: error` and exits with 1.
pub fn run_or_exit<T>(name: &str, work: impl Future<Output = Result<T, String>>) -> T {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => fail(name, &format!("tokio runtime: {e}")),
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = work => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        }
    });
    // Socket tasks may still hold connections; do not wait for them.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome.unwrap_or_else(|e| fail(name, &e))
}

fn fail(name: &str, message: &str) -> ! {
    eprintln!("{name}: {message}");
    std::process::exit(1)
}
