//! Building, deleting and stopping repo images (docs/sandbox-provider.md, "Repo images").
//!
//! A build is a sandbox in `build` mode in `<root>/images/<id>/build/`: the same supervisor
//! under the same bubblewrap, connected to no control plane, its local repository served by the
//! git endpoint `/git/<image id>` for the build token while it runs. A background task waits
//! for it: exit 0 with `$OI_STATE_DIR/image.json` holding a `base_sha` makes its workspace and
//! state the image (renamed, not copied); anything else fails the build. Every change of
//! status is saved to the image's record before it is reported.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;

use oi_protocol::provider::{BuildImage, ImageInfo, ImageStatus};
use oi_protocol::{ApiError, ErrorCode};

use crate::app::App;
use crate::auth::now_ms;
use crate::env::build_env;
use crate::error::{HttpError, HttpResult};
use crate::ids::check_id;
use crate::images::{build_outcome, read_tail, remove_build_dirs, ImageEntry, LOG_TAIL_MAX, STOPPED};
use crate::layout::{ImagePaths, BUILD_RESULT};
use crate::repo::{check_local_repo, is_local, repo_url_for};
use crate::sandbox::{launch, LaunchSpec};
use crate::snapshot::tree_size;

/// Checks a build request's fields before anything is created.
pub fn validate(req: &BuildImage) -> Result<(), ApiError> {
    check_id("image_id", &req.image_id)?;
    for (field, value) in [("repo", &req.repo), ("branch", &req.branch), ("build_token", &req.build_token)] {
        if value.trim().is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{field} must not be empty")));
        }
    }
    Ok(())
}

fn prepare(entry: &ImageEntry) -> std::io::Result<()> {
    let mut private = std::fs::DirBuilder::new();
    private.mode(0o700);
    let build = &entry.paths.build;
    for dir in [&entry.paths.dir, &build.dir, &build.workspace, &build.state, &build.home] {
        private.create(dir)?;
    }
    entry.save()
}

/// `POST /v1/images`: records the image as `building` and starts its build.
pub async fn start(app: &Arc<App>, req: BuildImage) -> HttpResult<ImageInfo> {
    validate(&req)?;
    let local_repo = if is_local(&req.repo) {
        Some(check_local_repo(&req.repo, &app.config.repo_roots, &app.config.root)?)
    } else {
        None
    };
    let config = &app.config;
    let paths = ImagePaths::new(&config.root, &req.image_id);
    let repo_url = repo_url_for(&req.repo, &req.image_id, &app.public_url);
    let inside = paths.build.as_seen_inside(config.isolation == crate::isolation::Isolation::Bwrap);
    let mut env = build_env(&req, &inside, &repo_url, &config.opencode_bin)?;
    crate::env::with_host_settings(&mut env, |name| std::env::var(name).ok());

    let entry = Arc::new(ImageEntry::building(&req, paths.clone(), local_repo, now_ms()));
    // Held until the build runs, so a delete that arrives meanwhile waits for it.
    let starting = entry.files.write().await;
    app.reserve_image(entry.clone())?;
    if let Err(e) = prepare(&entry) {
        app.forget_image(&entry.id);
        let _ = std::fs::remove_dir_all(&paths.dir);
        return Err(HttpError::internal("cannot prepare the image build", e));
    }
    // No session: the build reaches its git endpoint on this provider and the registries.
    let network = crate::gateway::Allowlist::new(
        "",
        &app.public_url,
        &req.image_id,
        crate::gateway::SessionScope::default(),
        &req.network_allow,
    );
    match launch(LaunchSpec::new(config, &req.image_id, &paths.build, env, network)).await {
        Ok(process) => {
            tracing::info!(image = %entry.id, pid = process.pid(), "image build started");
            entry.set_process(process.clone());
            let (app, entry) = (app.clone(), entry.clone());
            tokio::spawn(async move {
                let code = process.wait().await;
                finish(&app, &entry, code).await;
            });
        }
        Err(e) => {
            tracing::error!(image = %entry.id, "cannot start the build: {e}");
            fail(&entry, format!("cannot start the supervisor: {e}"));
        }
    }
    drop(starting);
    Ok(entry.info())
}

/// Marks a build failed (its workspace and state removed, its log's tail kept) and saves it.
fn fail(entry: &ImageEntry, error: String) {
    remove_build_dirs(&entry.paths);
    let log_tail = read_tail(&entry.paths.build.log, LOG_TAIL_MAX);
    entry.update(|i| {
        i.status = ImageStatus::Failed;
        i.error = Some(error);
        i.finished_at = Some(now_ms());
        i.log_tail = log_tail;
    });
    save(entry);
}

fn save(entry: &ImageEntry) {
    if let Err(e) = entry.save() {
        tracing::error!(image = %entry.id, "cannot save the image's record: {e}");
    }
}

/// Makes the build's workspace and state the image's; its size in bytes.
async fn promote(paths: &ImagePaths) -> std::io::Result<u64> {
    tokio::fs::rename(&paths.build.workspace, &paths.workspace).await?;
    tokio::fs::rename(&paths.build.state, &paths.state).await?;
    let (workspace, state) = (paths.workspace.clone(), paths.state.clone());
    tokio::task::spawn_blocking(move || Ok(tree_size(&workspace)? + tree_size(&state)?))
        .await
        .map_err(std::io::Error::other)?
}

/// What happens when the build's supervisor exits with `code`.
async fn finish(app: &App, entry: &ImageEntry, code: i32) {
    let _finishing = entry.files.write().await;
    if entry.status() != ImageStatus::Building {
        return; // deleted or stopped meanwhile
    }
    let paths = &entry.paths;
    let result = tokio::fs::read(paths.build.state.join(BUILD_RESULT)).await;
    let base_sha = match build_outcome(code, result) {
        Ok(sha) => sha,
        Err(error) => {
            tracing::warn!(image = %entry.id, code, "image build failed: {error}");
            return fail(entry, error);
        }
    };
    let size = match promote(paths).await {
        Ok(size) => size,
        Err(e) => {
            for dir in [&paths.workspace, &paths.state] {
                let _ = tokio::fs::remove_dir_all(dir).await;
            }
            return fail(entry, format!("cannot keep the build as the image: {e}"));
        }
    };
    let log_tail = read_tail(&paths.build.log, LOG_TAIL_MAX);
    entry.update(|i| {
        i.status = ImageStatus::Ready;
        i.base_sha = Some(base_sha);
        i.size_bytes = Some(size);
        i.finished_at = Some(now_ms());
        i.log_tail = log_tail;
    });
    save(entry);
    tracing::info!(image = %entry.id, bytes = size, root = %app.config.root.display(), "image ready");
}

/// `DELETE /v1/images/:id` (idempotent): kills a running build, removes the image's files
/// (its record stays, `deleted`).
pub async fn delete(app: &App, entry: &ImageEntry) -> HttpResult<ImageInfo> {
    let _deleting = entry.files.write().await;
    let was = entry.status();
    entry.update(|i| {
        i.status = ImageStatus::Deleted;
        i.finished_at.get_or_insert_with(now_ms);
    });
    if was == ImageStatus::Building {
        if let Some(process) = entry.process() {
            process.terminate(app.config.terminate_grace).await;
        }
    }
    let paths = entry.paths.clone();
    let removed = tokio::task::spawn_blocking(move || {
        for dir in [&paths.workspace, &paths.state, &paths.build.dir] {
            match std::fs::remove_dir_all(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r);
    entry.save().map_err(|e| HttpError::internal("cannot save the image's record", e))?;
    removed.map_err(|e| HttpError::internal("cannot remove the image's files", e))?;
    if was != ImageStatus::Deleted {
        tracing::info!(image = %entry.id, was = crate::images::status_name(was), "image deleted");
    }
    Ok(entry.info())
}

/// Stops a running build as the provider shuts down: it fails.
pub async fn stop(app: &App, entry: &ImageEntry) {
    let _stopping = entry.files.write().await;
    if entry.status() != ImageStatus::Building {
        return;
    }
    if let Some(process) = entry.process() {
        process.terminate(app.config.terminate_grace).await;
    }
    fail(entry, STOPPED.to_string());
    tracing::info!(image = %entry.id, "image build stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let ok = BuildImage {
            image_id: "img_1".into(),
            repo: "/srv/r.git".into(),
            branch: "main".into(),
            build_token: "t".into(),
            env: Default::default(),
            network_allow: vec![],
        };
        assert!(validate(&ok).is_ok());
        for (req, field) in [
            (BuildImage { image_id: "../x".into(), ..ok.clone() }, "image_id"),
            (BuildImage { repo: " ".into(), ..ok.clone() }, "repo"),
            (BuildImage { branch: "".into(), ..ok.clone() }, "branch"),
            (BuildImage { build_token: "".into(), ..ok.clone() }, "build_token"),
        ] {
            let e = validate(&req).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.message.starts_with(field), "{}", e.message);
        }
    }
}
