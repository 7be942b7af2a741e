//! `sandbox-agent`: the supervisor inside a sandbox. It reads its configuration from the
//! environment a provider sets (docs/sandbox-provider.md) and logs to stderr.

use oi_sandbox_agent::config::Config;

#[tokio::main]
async fn main() {
    // The agent's tools run as the same user: make this process (which alone holds the sandbox
    // token) non-dumpable, so they cannot read its memory or `/proc/<pid>/environ`.
    // SAFETY: prctl with PR_SET_DUMPABLE takes plain integers and touches only this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    if std::env::args().any(|a| a == "--version") {
        println!("sandbox-agent {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sandbox-agent: {e:#}");
            std::process::exit(2);
        }
    };
    tracing::info!(session = %config.session_id, sandbox = %config.sandbox_id, bridge = %config.bridge_url(), repo = %config.repo_url, mode = config.boot_mode.as_str(), "starting");
    let code = oi_sandbox_agent::supervisor::run(config).await;
    std::process::exit(code);
}
