//! A warm-pool sandbox: boot and start OpenCode with nobody attached, wait for a claim, then
//! join the claiming session (its branch, its token, its bridge, its model proxy target) and
//! serve it.
//!
//! Invariant: before the claim the sandbox reaches the repository as the provider named it and
//! connects to no session; after it, the egress targets the claiming session and git goes
//! through the egress, as in [`session_boot`](super::session_boot). The claim (with the
//! session's token) comes over the provider's channel when there is one (`OI_CLAIM_FD`), which
//! nothing else in the sandbox holds.

use std::time::Duration;

use oi_protocol::events::LogSource;
use oi_protocol::provider::ClaimSandbox;
use tokio::sync::mpsc;

use super::serve::{serve, Booted};
use super::{fail, network_failed, own_ports, report_refusals, Refusals};
use crate::agent::Agent;
use crate::boot::{self, log, StderrReport};
use crate::boot_plan::GitSync;
use crate::bridge;
use crate::config::Config;
use crate::egress::{Egress, ProxyTarget};
use crate::endpoints::Endpoints;
use crate::git::Checkout;
use crate::network::Network;

/// Boots, waits for a claim and serves the claiming session; returns the process exit code.
pub async fn run(config: Config, network: Option<&Network>, refusals: Refusals) -> i32 {
    let warm = match Endpoints::provider(&config, network).await {
        Ok(endpoints) => endpoints,
        Err(e) => return network_failed(e),
    };
    // The sandbox's egress (models and git), for the life of this process (across OpenCode
    // restarts and the claim).
    let egress = match Egress::start(ProxyTarget::new(&config, &warm.control_plane)).await {
        Ok(egress) => egress,
        Err(e) => {
            eprintln!("pool boot failed: the sandbox's egress did not start: {e:#}");
            return 1;
        }
    };
    let warm_since = std::time::Instant::now();
    if let Err(message) = boot::boot(Checkout::new(&config, &warm.repo), &StderrReport).await {
        eprintln!("pool boot failed: {message}");
        return 1;
    }
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let mut agent = match Agent::start(&config, frames_tx, egress.base_url()).await {
        Ok(agent) => agent,
        Err(e) => {
            eprintln!("pool boot failed: OpenCode did not start: {e:#}");
            return 1;
        }
    };
    let claim = match &config.claim_channel {
        Some(channel) => {
            eprintln!("warm; waiting for a claim on the provider's channel");
            match read_claim(channel.clone()).await {
                Ok(claim) => claim,
                Err(e) => {
                    eprintln!("no claim: {e:#}");
                    return 1;
                }
            }
        }
        None => {
            eprintln!("warm; waiting for a claim at {}", config.claim_file().display());
            wait_for_claim(&config.claim_file()).await
        }
    };
    let warm_for = warm_since.elapsed();
    let (claimed, control_plane) = match accept(&config, &claim, network).await {
        Ok(accepted) => accepted,
        Err(e) => {
            eprintln!("refusing the claim: {e:#}");
            return 1;
        }
    };
    // From now on model and git requests go to the claiming session, with its token.
    egress.set_target(ProxyTarget::new(&claimed, &control_plane));
    let endpoints = Endpoints::session(control_plane, egress.base_url());
    let bridge = bridge::start(&claimed, &endpoints.control_plane);
    report_refusals(refusals, &bridge);
    log(&bridge, LogSource::Supervisor, format!("claimed from the warm pool (booted {} s before)", warm_for.as_secs()));
    match Checkout::new(&claimed, &endpoints.repo).sync(GitSync::FetchAndReset).await {
        Ok(line) => log(&bridge, LogSource::Git, line),
        Err(e) => return fail(&bridge, format!("git sync after the claim failed: {e:#}")).await,
    }
    // OpenCode's configuration names the model; restart it if the session's differs.
    if claimed.agent != config.agent {
        if let Err(e) = agent.restart(&claimed).await {
            return fail(&bridge, format!("OpenCode did not restart with the session's model: {e:#}")).await;
        }
    }
    let push_requests = egress.push_requests();
    let egress_url = egress.base_url().to_string();
    let own_ports = own_ports(&egress, network);
    serve(Booted { config: claimed, endpoints, bridge, agent, frames, push_requests, egress_url, own_ports }).await
}

/// The session a claim names, and its control plane as this sandbox reaches it (the claim
/// names it as seen from outside: in an isolated network, through a tunnel too).
async fn accept(config: &Config, claim: &ClaimSandbox, network: Option<&Network>) -> anyhow::Result<(Config, String)> {
    let claimed = config.claimed(claim)?;
    let control_plane = Endpoints::control_plane(&claimed.control_plane_url, network).await?;
    Ok((claimed, control_plane))
}

/// Reads the claim from the provider's channel: the whole JSON, then the end of the file. Only
/// this process holds the channel (close-on-exec, and it is not dumpable), so nothing else in
/// the sandbox can read the claim or forge one.
async fn read_claim(channel: std::sync::Arc<std::fs::File>) -> anyhow::Result<ClaimSandbox> {
    use anyhow::Context;
    let text = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut text = String::new();
        (&*channel).read_to_string(&mut text).map(|_| text)
    })
    .await?
    .context("read the claim channel")?;
    if text.is_empty() {
        anyhow::bail!("the provider closed the claim channel without a claim");
    }
    serde_json::from_str(&text).context("the claim is not a ClaimSandbox")
}

/// Waits for the provider to write the claim file (atomically, so a readable file is
/// complete): the Modal provider's way. A symlink is not followed.
async fn wait_for_claim(path: &std::path::Path) -> ClaimSandbox {
    let read = |path: &std::path::Path| -> std::io::Result<String> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let mut text = String::new();
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)?
            .read_to_string(&mut text)?;
        Ok(text)
    };
    loop {
        if let Ok(text) = read(path) {
            match serde_json::from_str(&text) {
                Ok(claim) => {
                    // It holds the session's sandbox token: gone before the agent runs again.
                    let _ = std::fs::remove_file(path);
                    return claim;
                }
                Err(e) => eprintln!("unreadable claim ({e}); waiting for another"),
            }
            let _ = std::fs::remove_file(path);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
