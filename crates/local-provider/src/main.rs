//! `oi-local-provider`: the local sandbox provider daemon (docs/sandbox-provider.md).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use oi_local_provider::snapshot_gc::GcSettings;
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
    /// The sandboxes' network: `isolated` (a private network that reaches only the control
    /// plane, this provider and the request's registries) or `host` (the host's network).
    #[arg(long, default_value = "isolated", value_parser = ["isolated", "host"])]
    network: String,
    /// Snapshots older than this many hours are deleted.
    #[arg(long, default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..))]
    snapshot_max_age_hours: u64,
    /// How many snapshots of each session are kept (the newest); older ones are deleted.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    snapshots_per_session: u64,
    /// A directory whose git repositories sessions may name as their `repo` (an absolute path
    /// under it); repeat for more, or list them in OI_PROVIDER_REPO_ROOTS separated by `:`.
    /// Without one, no local repository is served. Never inside --root.
    #[arg(long = "repo-root", env = "OI_PROVIDER_REPO_ROOTS", value_delimiter = ':')]
    repo_roots: Vec<PathBuf>,
    /// A host path every sandbox sees read-only besides the system's (/usr and a minimal /etc),
    /// such as a toolchain outside /usr; repeat for more, or list them in OI_PROVIDER_EXPOSE
    /// separated by `:`. Not /, /etc, /home, /root, /run, /tmp or anything holding them.
    #[arg(long = "expose", env = "OI_PROVIDER_EXPOSE", value_delimiter = ':')]
    expose: Vec<PathBuf>,
    /// How often, in seconds, snapshot garbage collection runs (it also runs at start).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    snapshot_gc_interval_secs: u64,
}

/// Listens for SIGTERM from before the provider starts, so a SIGTERM sent as soon as it
/// announces its address shuts it down cleanly instead of killing it.
fn listen_for_sigterm() -> Option<tokio::signal::unix::Signal> {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            None
        }
    }
}

async fn wait_for_signal(term: Option<tokio::signal::unix::Signal>) {
    let Some(mut term) = term else {
        let _ = tokio::signal::ctrl_c().await;
        return;
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
    let term = listen_for_sigterm();
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
    config.network_isolated = args.network == "isolated";
    config.repo_roots = args.repo_roots.into_iter().filter(|p| !p.as_os_str().is_empty()).collect();
    config.expose = args.expose.into_iter().filter(|p| !p.as_os_str().is_empty()).collect();
    config.snapshot_gc = GcSettings {
        max_age: Duration::from_secs(args.snapshot_max_age_hours.saturating_mul(3600)),
        per_session: usize::try_from(args.snapshots_per_session).unwrap_or(usize::MAX),
        interval: Duration::from_secs(args.snapshot_gc_interval_secs),
    };

    let provider = match serve(config).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("oi-local-provider: {e}");
            return ExitCode::from(1);
        }
    };
    println!("local provider listening on {}", provider.url());
    let _ = std::io::stdout().flush();
    wait_for_signal(term).await;
    provider.shutdown().await;
    ExitCode::SUCCESS
}
