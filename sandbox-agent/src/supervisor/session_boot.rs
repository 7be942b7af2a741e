//! A session's sandbox, in `fresh`, `repo_image` or `snapshot_restore` mode: connect the bridge
//! (so the session sees the boot), start the egress, bring the checkout up to date, run the
//! repo's scripts and start OpenCode, then serve prompts.
//!
//! Invariant: git goes through the egress from the first command, so no git credential is in the
//! workspace or in git's environment; OpenCode waits for the git sync only when there is no
//! checkout before it (`boot_plan::BootPlan::agent_waits_for_git`), and a prompt waits for the
//! whole boot.

use tokio::sync::mpsc;

use super::serve::{serve, Booted};
use super::{fail, network_failed, own_ports, report_refusals, Refusals};
use crate::agent::Agent;
use crate::boot;
use crate::bridge;
use crate::config::Config;
use crate::egress::{Egress, ProxyTarget};
use crate::endpoints::Endpoints;
use crate::git::Checkout;
use crate::network::Network;

/// Boots and serves the session; returns the process exit code.
pub async fn run(config: Config, network: Option<&Network>, refusals: Refusals) -> i32 {
    let control_plane = match Endpoints::control_plane(&config.control_plane_url, network).await {
        Ok(url) => url,
        Err(e) => return network_failed(e),
    };
    // The sandbox's egress (models and git), for the life of this process (across OpenCode
    // restarts).
    let egress = Egress::start(ProxyTarget::new(&config, &control_plane)).await;
    let bridge = bridge::start(&config, &control_plane);
    report_refusals(refusals, &bridge);
    let egress = match egress {
        Ok(egress) => egress,
        Err(e) => return fail(&bridge, format!("the sandbox's egress did not start: {e:#}")).await,
    };
    // Git goes through the egress too: the session's git endpoint on the control plane.
    let endpoints = Endpoints::session(control_plane, egress.base_url());
    let repo = Checkout::new(&config, &endpoints.repo);
    let waits_for_git = crate::boot_plan::plan(config.boot_mode).agent_waits_for_git;
    if waits_for_git {
        if let Err(message) = boot::checkout(repo, &bridge).await {
            return fail(&bridge, message).await;
        }
    }
    // OpenCode starts while the rest of the boot runs; a prompt waits for both.
    let rest = async {
        if !waits_for_git {
            boot::checkout(repo, &bridge).await?;
        }
        boot::scripts(&config, &bridge).await
    };
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let (booted, agent) = tokio::join!(rest, Agent::start(&config, frames_tx, egress.base_url()));
    let agent = match (booted, agent) {
        (Ok(()), Ok(agent)) => agent,
        (Err(message), agent) => {
            if let Ok(mut agent) = agent {
                agent.stop().await;
            }
            return fail(&bridge, message).await;
        }
        (Ok(()), Err(e)) => return fail(&bridge, format!("OpenCode did not start: {e:#}")).await,
    };
    let push_requests = egress.push_requests();
    let egress_url = egress.base_url().to_string();
    let own_ports = own_ports(&egress, network);
    serve(Booted { config, endpoints, bridge, agent, frames, push_requests, egress_url, own_ports }).await
}
