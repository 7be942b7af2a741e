//! `sandbox-agent`: the supervisor inside a sandbox. It reads its configuration from the
//! environment a provider sets (docs/sandbox-provider.md) and logs to stderr.
//! `sandbox-agent mcp-tools` is the agent's tool server instead (OpenCode starts it; see
//! `oi_sandbox_agent::mcp`).

use oi_sandbox_agent::config::Config;
use oi_sandbox_agent::network::{proxy_environment, Network};

fn main() {
    // The agent's tools run as the same user: make this process (which alone holds the sandbox
    // token) non-dumpable, so they cannot read its memory or `/proc/<pid>/environ`.
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        eprintln!("sandbox-agent: warning: cannot make this process non-dumpable: {e}");
    }
    if std::env::args().nth(1).as_deref() == Some(oi_sandbox_agent::mcp::SUBCOMMAND) {
        // Speaks MCP on stdout: nothing else may be written there.
        std::process::exit(oi_sandbox_agent::mcp::serve::main());
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    if std::env::args().any(|a| a == "--version") {
        println!("sandbox-agent {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    // Secrets' values never reach the session's log.
    oi_sandbox_agent::redact::install(oi_sandbox_agent::redact::Redactor::from_env(&std::env::vars().collect()));
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sandbox-agent: {e:#}");
            std::process::exit(2);
        }
    };
    // In an isolated network, the registry proxy's port goes into the environment every child
    // inherits, set here while this process is still single-threaded.
    let network = match std::env::var_os(oi_protocol::supervisor_env::NETWORK_GATEWAY) {
        None => None,
        Some(gateway) => match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| Ok((l.local_addr()?.port(), l)))
        {
            Ok((port, listener)) => {
                for (name, value) in proxy_environment(port) {
                    std::env::set_var(name, value);
                }
                Some((gateway.into(), listener))
            }
            Err(e) => {
                eprintln!("sandbox-agent: cannot open the registry proxy: {e}");
                std::process::exit(2);
            }
        },
    };
    tracing::info!(session = %config.session_id, sandbox = %config.sandbox_id, control_plane = %config.control_plane_url, repo = %config.repo_url, mode = config.boot_mode.as_str(), isolated = network.is_some(), "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let code = runtime.block_on(async move {
        let network = match network {
            None => None,
            Some((gateway, listener)) => {
                let (network, refusals) = Network::new(gateway);
                if let Err(e) = network.serve_proxy(listener) {
                    eprintln!("sandbox-agent: the registry proxy did not start: {e:#}");
                    return 2;
                }
                Some((network, refusals))
            }
        };
        oi_sandbox_agent::supervisor::run(config, network).await
    });
    std::process::exit(code);
}
