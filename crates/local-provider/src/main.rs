//! `oi-local-provider`: the local sandbox provider daemon (docs/sandbox-provider.md).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use oi_local_provider::{serve, Config, Isolation};
use tracing_subscriber::EnvFilter;

/// The local sandbox provider: sandboxes are directories on this host and their supervisors
/// run under bubblewrap.
#[derive(Debug, Parser)]
#[command(name = "oi-local-provider", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8788")]
    listen: SocketAddr,
    /// The provider's directory (sandboxes/, snapshots/ and images/ are kept here; image records
    /// survive restarts).
    #[arg(long)]
    root: PathBuf,
    /// The supervisor binary (sandbox-agent), started in each sandbox with no arguments.
    #[arg(long)]
    agent_bin: PathBuf,
    /// The pinned opencode binary, passed to sandboxes as OI_OPENCODE_BIN.
    #[arg(long)]
    opencode_bin: PathBuf,
    /// The environment variable holding the key shared with the control plane.
    #[arg(long, default_value = "OI_PROVIDER_KEY")]
    key_env: String,
    /// The base URL sandboxes reach this provider at (default: http://<bound address>).
    #[arg(long)]
    public_url: Option<String>,
    /// The runtime version recorded in snapshots.
    #[arg(long, default_value = env!("CARGO_PKG_VERSION"))]
    runtime_version: String,
    /// How sandboxes are isolated. `none` is UNSAFE (no isolation at all) and for debugging only.
    #[arg(long, value_enum, default_value = "bwrap")]
    isolation: Isolation,
}

async fn wait_for_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = Args::parse();
    let key = std::env::var(&args.key_env).unwrap_or_default();
    if key.is_empty() {
        eprintln!("oi-local-provider: the environment variable {} (the provider key) is empty or unset", args.key_env);
        return ExitCode::from(2);
    }
    let mut config = Config::new(args.root, args.agent_bin, args.opencode_bin, key);
    config.listen = args.listen;
    config.public_url = args.public_url;
    config.runtime_version = args.runtime_version;
    config.isolation = args.isolation;

    let provider = match serve(config).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("oi-local-provider: {e}");
            return ExitCode::from(1);
        }
    };
    println!("local provider listening on {}", provider.url());
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    provider.shutdown().await;
    ExitCode::SUCCESS
}
