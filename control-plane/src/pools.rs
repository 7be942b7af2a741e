//! Warm pools: per repo and branch, a configured number of sandboxes that boot fully and wait
//! to be claimed by a new session (`WARM_POOLS`). The records are in D1 (`warm_sandboxes`).

use oi_protocol::provider::ProviderSandboxStatus;
use oi_protocol::provider::{BootMode, CreateSandbox};
use oi_protocol::rest::PoolState;
use oi_session_core::images::refill as refill_count;
use serde::Deserialize;
use worker::{Env, Result};

use crate::provider_client::ProviderClient;
use crate::{config, ids, images};

/// The session id a pool sandbox carries until it is claimed.
pub const POOL_SESSION: &str = "pool";

#[derive(Deserialize)]
struct Warming {
    sandbox_id: String,
}

async fn warming(env: &Env, repo: &str, branch: &str) -> Result<Vec<Warming>> {
    env.d1("DB")?
        .prepare("SELECT sandbox_id FROM warm_sandboxes WHERE repo = ?1 AND branch = ?2 AND status = 'warming'")
        .bind(&[repo.into(), branch.into()])?
        .all()
        .await?
        .results()
}

async fn mark(env: &Env, sandbox_id: &str, status: &str) -> Result<()> {
    env.d1("DB")?
        .prepare("UPDATE warm_sandboxes SET status = ?2 WHERE sandbox_id = ?1")
        .bind(&[sandbox_id.into(), status.into()])?
        .run()
        .await?;
    Ok(())
}

/// Tops every configured pool up to its size (dead pool sandboxes are dropped first). Pool
/// sandboxes start from the newest ready repo image when there is one.
pub async fn refill(env: &Env) -> Result<()> {
    let Some(client) = ProviderClient::from_env(env) else { return Ok(()) };
    for pool in config::warm_pools(env) {
        let mut alive = 0u32;
        for w in warming(env, &pool.repo, &pool.branch).await? {
            match client.status(&w.sandbox_id).await {
                Ok(info) if info.status == ProviderSandboxStatus::Running => alive += 1,
                Ok(_) => mark(env, &w.sandbox_id, "gone").await?,
                Err(e) if !e.transient => mark(env, &w.sandbox_id, "gone").await?,
                Err(_) => alive += 1,
            }
        }
        let image = images::ready_for(env, &pool.repo, &pool.branch).await?;
        let count = refill_count(pool.size, alive);
        let secrets = if count > 0 {
            crate::secrets::sandbox_env(env, &pool.repo).await.map(|s| s.env)
        } else {
            Ok(Default::default())
        };
        let secrets = match secrets {
            Ok(secrets) => secrets,
            Err(why) => {
                worker::console_error!("warm pool {} {}: {why}", pool.repo, pool.branch);
                continue;
            }
        };
        for _ in 0..count {
            let sandbox_id = ids::new_id("sbx");
            let request = CreateSandbox {
                session_id: POOL_SESSION.to_string(),
                sandbox_id: sandbox_id.clone(),
                repo: pool.repo.clone(),
                branch: pool.branch.clone(),
                control_plane_url: config::control_plane_url(env),
                // Used only for the provider's git endpoint until a claim replaces it.
                sandbox_token: ids::new_token(),
                agent: config::agent_config(env, &config::default_model(env)),
                env: secrets.clone(),
                boot_mode: if image.is_some() { BootMode::RepoImage } else { BootMode::Fresh },
                image_id: image.as_ref().map(|i| i.image_id.clone()),
                pool: true,
                network_allow: config::network_allow(env, &pool.repo),
                // A pool sandbox works on `oi/<session>` once claimed.
                work_branch: None,
            };
            match client.create(&request).await {
                Ok(_) => {
                    env.d1("DB")?
                        .prepare(
                            "INSERT INTO warm_sandboxes (sandbox_id, repo, branch, status, created_at, image_id)
                             VALUES (?1, ?2, ?3, 'warming', ?4, ?5)",
                        )
                        .bind(&[
                            sandbox_id.as_str().into(),
                            pool.repo.as_str().into(),
                            pool.branch.as_str().into(),
                            (ids::now_ms() as f64).into(),
                            request.image_id.as_deref().map(Into::into).unwrap_or(wasm_bindgen::JsValue::NULL),
                        ])?
                        .run()
                        .await?;
                }
                Err(e) => worker::console_log!("warm pool {} {}: {e}", pool.repo, pool.branch),
            }
        }
    }
    Ok(())
}

/// Takes the oldest warming sandbox of a pool for a session, if the pool has one.
pub async fn claim(env: &Env, repo: &str, branch: &str, session_id: &str) -> Result<Option<String>> {
    if !config::warm_pools(env).iter().any(|p| p.repo == repo && p.branch == branch) {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Claimed {
        sandbox_id: String,
    }
    let claimed: Option<Claimed> = env
        .d1("DB")?
        .prepare(
            "UPDATE warm_sandboxes SET status = 'claimed', session_id = ?3, claimed_at = ?4
             WHERE sandbox_id = (SELECT sandbox_id FROM warm_sandboxes
                                 WHERE repo = ?1 AND branch = ?2 AND status = 'warming'
                                 ORDER BY created_at LIMIT 1)
             RETURNING sandbox_id",
        )
        .bind(&[repo.into(), branch.into(), session_id.into(), (ids::now_ms() as f64).into()])?
        .first(None)
        .await?;
    Ok(claimed.map(|c| c.sandbox_id))
}

/// Every configured pool and how full it is.
pub async fn states(env: &Env) -> Result<Vec<PoolState>> {
    #[derive(Deserialize)]
    struct Count {
        status: String,
        n: i64,
    }
    let mut out = vec![];
    for pool in config::warm_pools(env) {
        let counts: Vec<Count> = env
            .d1("DB")?
            .prepare("SELECT status, COUNT(*) AS n FROM warm_sandboxes WHERE repo = ?1 AND branch = ?2 GROUP BY status")
            .bind(&[pool.repo.as_str().into(), pool.branch.as_str().into()])?
            .all()
            .await?
            .results()?;
        let get = |s: &str| counts.iter().find(|c| c.status == s).map(|c| c.n as u32).unwrap_or(0);
        out.push(PoolState {
            repo: pool.repo.clone(),
            branch: pool.branch.clone(),
            size: pool.size,
            warming: get("warming"),
            claimed: get("claimed"),
        });
    }
    Ok(out)
}
