//! `build` mode: clone and `setup.sh`, connected to nothing (no control plane, no agent); the
//! output is the build log. Success writes `$OI_STATE_DIR/image.json` with the commit the image
//! holds.
//!
//! Invariant: the repository is reached as the provider named it (`OI_REPO_URL`, through a
//! loopback forwarder in an isolated network), with the build token only when the provider said so.

use super::{network_failed, Refusals};
use crate::boot::{self, StderrReport};
use crate::config::Config;
use crate::endpoints::Endpoints;
use crate::git::Checkout;
use crate::network::Network;

/// Builds the image; returns the process exit code.
pub async fn run(config: &Config, network: Option<&Network>, refusals: Refusals) -> i32 {
    let endpoints = match Endpoints::provider(config, network).await {
        Ok(endpoints) => endpoints,
        Err(e) => return network_failed(e),
    };
    if let Some(mut refusals) = refusals {
        tokio::spawn(async move {
            while let Some(line) = refusals.recv().await {
                eprintln!("{line}");
            }
        });
    }
    let repo = Checkout::new(config, &endpoints.repo);
    if let Err(message) = boot::boot(repo, &StderrReport).await {
        eprintln!("image build failed: {message}");
        return 1;
    }
    let sha = match repo.head().await {
        Ok(sha) => sha,
        Err(e) => {
            eprintln!("image build failed: {e:#}");
            return 1;
        }
    };
    let record = serde_json::json!({ "base_sha": sha });
    if let Err(e) = std::fs::write(config.state_dir.join("image.json"), record.to_string()) {
        eprintln!("image build failed: cannot write image.json: {e}");
        return 1;
    }
    eprintln!("image build finished at {sha}");
    0
}
