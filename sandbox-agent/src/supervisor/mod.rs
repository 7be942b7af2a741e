//! The supervisor's life. [`run`] picks the boot path from the provider's configuration: an
//! image build ([`image_build`]: clone and `setup.sh`, connected to nothing), a warm-pool
//! sandbox ([`warm_pool`]: boot with nobody attached, then join the session a claim names), or a
//! session's sandbox in `fresh`, `repo_image` or `snapshot_restore` mode ([`session_boot`]).
//! The paths with a session end in [`serve`], the prompt loop.
//!
//! Invariant: each boot path computes its [`Endpoints`](crate::endpoints::Endpoints) once (a
//! warm-pool sandbox once more, for the session its claim names) and hands them to the egress,
//! the bridge and git; the [`Config`] stays what the provider set.

mod image_build;
pub mod prompts;
mod serve;
mod session_boot;
mod warm_pool;

use std::time::Duration;

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{LogLine, LogSource};
use oi_protocol::provider::BootMode;
use tokio::sync::mpsc;

use crate::bridge::BridgeHandle;
use crate::config::Config;
use crate::egress::Egress;
use crate::network::Network;

/// How long the supervisor waits for its last events to be acknowledged before it exits.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(15);

/// The isolated network, if the sandbox has one, and the refusals it reports.
pub type Isolation = Option<(Network, mpsc::UnboundedReceiver<String>)>;

/// The network's refusals, until something reports them.
type Refusals = Option<mpsc::UnboundedReceiver<String>>;

/// Runs the sandbox; returns the process exit code.
pub async fn run(config: Config, isolation: Isolation) -> i32 {
    let (network, refusals) = match isolation {
        Some((network, refusals)) => (Some(network), Some(refusals)),
        None => (None, None),
    };
    if config.boot_mode == BootMode::Build {
        image_build::run(&config, network.as_ref(), refusals).await
    } else if config.pool {
        warm_pool::run(config, network.as_ref(), refusals).await
    } else {
        session_boot::run(config, network.as_ref(), refusals).await
    }
}

/// The endpoints could not be reached through the isolated network: nothing started yet.
fn network_failed(e: anyhow::Error) -> i32 {
    eprintln!("sandbox-agent: the isolated network: {e:#}");
    1
}

/// Sends the network's refusals to the session's log (after the bridge exists).
fn report_refusals(refusals: Refusals, bridge: &BridgeHandle) {
    let Some(mut refusals) = refusals else { return };
    let events = bridge.events();
    tokio::spawn(async move {
        while let Some(line) = refusals.recv().await {
            events.send(AgentEvent::Log(LogLine { source: LogSource::Supervisor, line }));
        }
    });
}

/// The loopback ports the supervisor serves for the life of the process: the egress, and the
/// isolated network's forwarders and registry proxy (OpenCode's are asked of the agent, as a
/// restart changes them). No preview reaches them.
fn own_ports(egress: &Egress, network: Option<&Network>) -> Vec<u16> {
    let mut ports = network.map(Network::local_ports).unwrap_or_default();
    ports.extend(crate::preview::port_of(egress.base_url()));
    ports
}

/// Reports a failed boot to the session and waits (a while) for it to be received.
async fn fail(bridge: &BridgeHandle, message: String) -> i32 {
    tracing::error!("boot failed: {message}");
    bridge.send(AgentEvent::BootFailed { message });
    bridge.flush(FLUSH_TIMEOUT).await;
    1
}
