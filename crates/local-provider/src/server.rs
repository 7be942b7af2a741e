//! Starting and stopping the provider: startup checks, the listener, and shutdown (which
//! terminates every sandbox).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::config::Config;
use crate::isolation::Isolation;
use crate::layout::{images_dir, sandboxes_dir, snapshots_dir};
use crate::lifecycle::terminate_all;
use crate::routes::router;

/// Why the provider could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

fn fail<T>(message: impl Into<String>) -> Result<T, StartError> {
    Err(StartError(message.into()))
}

/// A running provider.
#[derive(Debug)]
pub struct Provider {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    /// Snapshot garbage collection, every `snapshot_gc.interval`.
    gc: JoinHandle<()>,
}

impl Provider {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<bound address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL sandboxes are given for the git endpoint.
    pub fn public_url(&self) -> &str {
        &self.app.public_url
    }

    /// Stops listening (waiting up to 10 s for requests in flight), then terminates every
    /// sandbox and image build (which fails) and returns once nothing of them is left.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.gc.abort();
        if tokio::time::timeout(Duration::from_secs(10), &mut self.server).await.is_err() {
            self.server.abort();
        }
        terminate_all(&self.app).await;
        tracing::info!("provider stopped");
    }
}

/// Runs `program args…`: its stdout, or its stderr on failure.
fn run_check(program: &Path, args: &[std::ffi::OsString]) -> Result<String, String> {
    let out = Command::new(program).args(args).env_clear().output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// bubblewrap's version line, or why it cannot be run.
pub fn bwrap_version(bwrap: &Path) -> Result<String, StartError> {
    run_check(bwrap, &["--version".into()]).or_else(|e| {
        fail(format!(
            "--isolation bwrap needs bubblewrap, but `{}` cannot be run ({e}); install it \
             (apt-get install bubblewrap) or, for debugging only, pass --isolation none",
            bwrap.display()
        ))
    })
}

/// Checks that bubblewrap can make the namespaces and the view sandboxes get: it runs `true`
/// in a sandbox like theirs (without a workspace).
pub fn check_bwrap(bwrap: &Path, containment: &crate::isolation::Containment) -> Result<(), StartError> {
    let mut smoke: Vec<std::ffi::OsString> = ["--unshare-user"].map(Into::into).to_vec();
    if containment.disable_userns {
        smoke.push("--disable-userns".into());
    }
    for arg in ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"] {
        smoke.push(arg.into());
    }
    smoke.extend(["--cap-drop", "ALL"].map(Into::into));
    smoke.extend(crate::isolation::view_args(&containment.view));
    smoke.extend(["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "true"].map(Into::into));
    if let Err(e) = run_check(bwrap, &smoke) {
        return fail(format!(
            "bubblewrap cannot create the sandbox namespaces and view on this host ({e}); are user namespaces enabled?"
        ));
    }
    Ok(())
}

/// Finds a program the way a shell would: a name with a `/` as is, otherwise the first
/// executable file of that name in `path_var`'s directories.
pub fn find_program(name: &Path, path_var: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.components().count() > 1 || name.is_absolute() {
        return executable(name).then(|| name.to_path_buf());
    }
    std::env::split_paths(path_var).filter(|dir| dir.is_absolute()).map(|dir| dir.join(name)).find(|p| executable(p))
}

fn absolute(path: &Path) -> Result<PathBuf, StartError> {
    std::path::absolute(path).or_else(|e| fail(format!("{}: {e}", path.display())))
}

/// Checks the configuration and fills in what is derived from it.
fn resolve(mut config: Config) -> Result<Config, StartError> {
    if config.key.is_empty() {
        return fail("the provider key is empty; set it in the environment variable named by --key-env");
    }
    config.snapshot_gc.check().map_err(StartError)?;
    std::fs::create_dir_all(&config.root)
        .or_else(|e| fail(format!("cannot create --root {}: {e}", config.root.display())))?;
    config.root = config.root.canonicalize().or_else(|e| fail(format!("--root {}: {e}", config.root.display())))?;
    if config.root == Path::new("/") {
        return fail("--root must not be /");
    }
    for dir in [sandboxes_dir(&config.root), snapshots_dir(&config.root), images_dir(&config.root)] {
        std::fs::create_dir_all(&dir).or_else(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    }
    config.agent_bin = config
        .agent_bin
        .canonicalize()
        .or_else(|e| fail(format!("--agent-bin {}: {e}", config.agent_bin.display())))?;
    if !config.agent_bin.is_file() {
        return fail(format!("--agent-bin {} is not a file", config.agent_bin.display()));
    }
    config.opencode_bin = absolute(&config.opencode_bin)?;
    config.repo_roots = crate::containment::repo_roots(&config.repo_roots, &config.root).map_err(StartError)?;
    if config.repo_roots.is_empty() {
        tracing::info!("no --repo-root: sessions on a local repository (an absolute path) are refused");
    }
    if !config.opencode_bin.exists() {
        tracing::warn!("--opencode-bin {} does not exist", config.opencode_bin.display());
    }
    match config.isolation {
        Isolation::Bwrap => {
            let path_var = std::env::var("PATH").unwrap_or_default();
            config.bwrap_bin = find_program(&config.bwrap_bin, &path_var).ok_or_else(|| {
                StartError(format!(
                    "--isolation bwrap needs bubblewrap, but `{}` is not on PATH; install it \
                     (apt-get install bubblewrap) or, for debugging only, pass --isolation none",
                    config.bwrap_bin.display()
                ))
            })?;
            let version = bwrap_version(&config.bwrap_bin)?;
            config.containment = crate::containment::resolve(&config, &version).map_err(StartError)?;
            check_bwrap(&config.bwrap_bin, &config.containment)?
        }
        Isolation::None => tracing::warn!(
            "--isolation none: sandboxes run UNISOLATED with the provider's access to the host; for debugging only"
        ),
    }
    if find_program(Path::new("git"), &std::env::var("PATH").unwrap_or_default()).is_none() {
        tracing::warn!("git is not on PATH; the git endpoint for local repositories will fail");
    }
    Ok(config)
}

/// Starts the provider: checks the configuration, binds, and serves until
/// [`Provider::shutdown`].
pub async fn serve(config: Config) -> Result<Provider, StartError> {
    let (config, images) = tokio::task::spawn_blocking(move || {
        let config = resolve(config)?;
        let images = crate::images::load_all(&config.root, crate::auth::now_ms());
        Ok::<_, StartError>((config, images))
    })
    .await
    .map_err(|e| StartError(e.to_string()))??;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .or_else(|e| fail(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
    let public_url =
        config.public_url.clone().unwrap_or_else(|| format!("http://{addr}")).trim_end_matches('/').to_string();
    tracing::info!(count = images.len(), "repo images loaded");
    let app = Arc::new(App::new(config, public_url, images));
    let (stop, stopped) = oneshot::channel::<()>();
    let service = router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let gc = tokio::spawn(collect_snapshots(app.clone()));
    tracing::info!(%addr, root = %app.config.root.display(), isolation = ?app.config.isolation, repo_roots = ?app.config.repo_roots, "local provider started");
    Ok(Provider { addr, app, stop: Some(stop), server, gc })
}

/// Collects snapshot garbage now and then every `snapshot_gc.interval`, until aborted.
async fn collect_snapshots(app: Arc<App>) {
    let settings = app.config.snapshot_gc;
    let mut tick = tokio::time::interval(settings.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let app = app.clone();
        let run = move || {
            crate::snapshot::collect_garbage(&app.config.root, &app.snapshots_in_use, &settings, crate::auth::now_ms())
        };
        if let Err(e) = tokio::task::spawn_blocking(run).await {
            tracing::error!("snapshot gc failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_the_given_path_only() {
        assert_eq!(find_program(Path::new("sh"), "/nonexistent"), None);
        assert_eq!(find_program(Path::new("sh"), "relative:/nonexistent"), None);
        let sh = find_program(Path::new("sh"), "/nonexistent:/bin:/usr/bin").unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"));
        assert_eq!(find_program(Path::new("/bin/sh"), ""), Some(PathBuf::from("/bin/sh")));
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").unwrap();
        assert_eq!(find_program(&plain, ""), None, "not executable");
        assert_eq!(find_program(Path::new("/bin"), ""), None, "not a file");
    }
}
