//! Repo images: prebuilt workspaces (clone and `setup.sh`) that new sandboxes start from. The
//! records are in D1 (`repo_images`); the provider builds and stores them. Kept fresh by the
//! cron trigger for repos in recent use, and visible through `/api/images`.

use oi_protocol::provider::{BuildImage, ImageInfo, ImageStatus};
use oi_session_core::images::{should_build, to_prune, Newest};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{Env, Result};

use crate::provider_client::ProviderClient;
use crate::{config, ids};

#[derive(Deserialize)]
struct Row {
    image_id: String,
    repo: String,
    branch: String,
    status: String,
    created_at: i64,
    finished_at: Option<i64>,
    base_sha: Option<String>,
    runtime_generation: Option<i64>,
    error: Option<String>,
    log_tail: Option<String>,
    size_bytes: Option<i64>,
}

fn status(s: &str) -> ImageStatus {
    serde_json::from_value(serde_json::Value::String(s.into())).unwrap_or(ImageStatus::Failed)
}

fn status_str(s: ImageStatus) -> &'static str {
    match s {
        ImageStatus::Building => "building",
        ImageStatus::Ready => "ready",
        ImageStatus::Failed => "failed",
        ImageStatus::Deleted => "deleted",
    }
}

impl Row {
    fn info(self) -> ImageInfo {
        ImageInfo {
            status: status(&self.status),
            image_id: self.image_id,
            repo: self.repo,
            branch: self.branch,
            created_at: self.created_at,
            finished_at: self.finished_at,
            base_sha: self.base_sha,
            runtime_generation: self.runtime_generation.unwrap_or(0) as u32,
            error: self.error,
            log_tail: self.log_tail,
            size_bytes: self.size_bytes.map(|b| b as u64),
        }
    }
}

fn opt_str(v: &Option<String>) -> JsValue {
    v.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL)
}

fn opt_num(v: Option<i64>) -> JsValue {
    v.map(|n| JsValue::from(n as f64)).unwrap_or(JsValue::NULL)
}

const COLUMNS: &str =
    "image_id, repo, branch, status, created_at, finished_at, base_sha, runtime_generation, error, log_tail, size_bytes";

/// Images of a repo (and branch), newest first, optionally only those with `only` status.
pub async fn list(
    env: &Env,
    repo: Option<&str>,
    branch: Option<&str>,
    only: Option<ImageStatus>,
) -> Result<Vec<ImageInfo>> {
    let mut sql = format!("SELECT {COLUMNS} FROM repo_images WHERE 1 = 1");
    let mut args: Vec<JsValue> = vec![];
    for (column, value) in [("repo", repo), ("branch", branch), ("status", only.map(status_str))] {
        if let Some(value) = value {
            args.push(value.into());
            sql.push_str(&format!(" AND {column} = ?{}", args.len()));
        }
    }
    sql.push_str(" ORDER BY created_at DESC LIMIT 100");
    let rows: Vec<Row> = env.d1("DB")?.prepare(sql).bind(&args)?.all().await?.results()?;
    Ok(rows.into_iter().map(Row::info).collect())
}

/// The newest ready image for a repo and branch that meets the runtime floor.
pub async fn ready_for(env: &Env, repo: &str, branch: &str) -> Result<Option<ImageInfo>> {
    let floor = config::min_runtime_generation(env);
    Ok(list(env, Some(repo), Some(branch), Some(ImageStatus::Ready))
        .await?
        .into_iter()
        .find(|i| i.runtime_generation >= floor))
}

async fn save(env: &Env, i: &ImageInfo, reason: &str) -> Result<()> {
    env.d1("DB")?
        .prepare(format!(
            "INSERT INTO repo_images ({COLUMNS}, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(image_id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
               base_sha = excluded.base_sha, runtime_generation = excluded.runtime_generation,
               error = excluded.error, log_tail = excluded.log_tail, size_bytes = excluded.size_bytes"
        ))
        .bind(&[
            i.image_id.as_str().into(),
            i.repo.as_str().into(),
            i.branch.as_str().into(),
            status_str(i.status).into(),
            (i.created_at as f64).into(),
            opt_num(i.finished_at),
            opt_str(&i.base_sha),
            (i.runtime_generation as f64).into(),
            opt_str(&i.error),
            opt_str(&i.log_tail),
            opt_num(i.size_bytes.map(|b| b as i64)),
            reason.into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Asks the provider to build an image of `repo` at `branch`, and records it.
pub async fn build(env: &Env, repo: &str, branch: &str, reason: &str) -> std::result::Result<ImageInfo, String> {
    let client = ProviderClient::from_env(env).ok_or("no sandbox provider is configured")?;
    // setup.sh runs in the build, with the repository's secrets.
    let secrets = crate::secrets::sandbox_env(env, repo).await?.env;
    let request = BuildImage {
        image_id: ids::new_id("img"),
        repo: repo.to_string(),
        branch: branch.to_string(),
        build_token: ids::new_token(),
        env: secrets,
        network_allow: config::network_allow(env, repo),
    };
    let info = client.build_image(&request).await.map_err(|e| e.message)?;
    save(env, &info, reason).await.map_err(|e| e.to_string())?;
    Ok(info)
}

/// Asks the provider about every build still running, and records what it says.
pub async fn refresh_building(env: &Env) -> Result<()> {
    let Some(client) = ProviderClient::from_env(env) else { return Ok(()) };
    for image in list(env, None, None, Some(ImageStatus::Building)).await? {
        match client.image(&image.image_id).await {
            Ok(info) => save(env, &info, "schedule").await?,
            Err(e) if !e.transient => {
                let failed = ImageInfo {
                    status: ImageStatus::Failed,
                    error: Some(e.message),
                    finished_at: Some(ids::now_ms()),
                    ..image
                };
                save(env, &failed, "schedule").await?
            }
            Err(_) => {}
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct RecentRepo {
    repo: String,
    branch: String,
    last_used: i64,
}

/// The cron's part: refresh running builds, start builds for repos in recent use whose image is
/// old or missing, and delete all but the newest ready images.
pub async fn maintain(env: &Env) -> Result<()> {
    let Some(client) = ProviderClient::from_env(env) else { return Ok(()) };
    refresh_building(env).await?;
    let policy = config::image_policy(env);
    let now = ids::now_ms();
    let recent: Vec<RecentRepo> = env
        .d1("DB")?
        .prepare(
            "SELECT repo, branch, MAX(updated_at) AS last_used FROM sessions
             WHERE updated_at > ?1 GROUP BY repo, branch",
        )
        .bind(&[((now - policy.recent_use) as f64).into()])?
        .all()
        .await?
        .results()?;
    for r in recent {
        let images = list(env, Some(&r.repo), Some(&r.branch), None).await?;
        let newest = images.first().map(|i| Newest { status: i.status, created_at: i.created_at });
        if should_build(newest, Some(r.last_used), &policy, now) {
            if let Err(e) = build(env, &r.repo, &r.branch, "schedule").await {
                worker::console_log!("image build for {} {}: {e}", r.repo, r.branch);
            }
        }
        let ready: Vec<(String, i64)> = images
            .iter()
            .filter(|i| i.status == ImageStatus::Ready)
            .map(|i| (i.image_id.clone(), i.created_at))
            .collect();
        for id in to_prune(ready, policy.keep_ready) {
            if let Some(image) = images.iter().find(|i| i.image_id == id) {
                let _ = client.delete_image(&id).await;
                save(env, &ImageInfo { status: ImageStatus::Deleted, ..image.clone() }, "schedule").await?;
            }
        }
    }
    Ok(())
}
