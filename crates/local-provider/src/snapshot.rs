//! Snapshots: `workspace/` and `state/` copied (reflinks where the filesystem allows) into
//! `<root>/snapshots/<snapshot id>/`, with `snapshot.json` describing them; and their garbage
//! collection ([`collect_garbage`], deciding with [`crate::snapshot_gc::decide`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use oi_protocol::provider::SnapshotInfo;

use crate::app::lock;
use crate::ids::is_safe_id;
use crate::layout::{snapshot_dir, snapshots_dir, SandboxPaths, SNAPSHOT_META};
use crate::snapshot_gc::{decide, is_stale_leftover, GcSettings, SnapshotRecord};

/// Where a snapshot is copied before it is renamed into place.
pub fn tmp_name(snapshot_id: &str) -> String {
    format!(".tmp-{snapshot_id}")
}

/// What a directory becomes while the garbage collector deletes it.
const TRASH_PREFIX: &str = ".gc-";

/// `cp -a --reflink=auto -T src dst`: a copy keeping modes, times, links and ownership.
pub async fn copy_tree(src: &Path, dst: &Path, path_env: &str) -> std::io::Result<()> {
    let out = tokio::process::Command::new("cp")
        .env_clear()
        .env("PATH", path_env)
        .args(["-a", "--reflink=auto", "-T", "--"])
        .arg(src)
        .arg(dst)
        .kill_on_drop(true)
        .output()
        .await?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "cp {} {} failed: {}",
            src.display(),
            dst.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The total size in bytes of the regular files under `path` (symlinks not followed).
pub fn tree_size(path: &Path) -> std::io::Result<u64> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        let mut total = 0;
        for entry in std::fs::read_dir(path)? {
            total += tree_size(&entry?.path())?;
        }
        Ok(total)
    } else if meta.is_file() {
        Ok(meta.len())
    } else {
        Ok(0)
    }
}

/// Copies a sandbox's workspace and state into a new snapshot and returns its description.
/// The copy is made in a hidden directory and renamed into place, so a snapshot either exists
/// whole or not at all.
pub async fn take(
    root: &Path,
    paths: &SandboxPaths,
    mut info: SnapshotInfo,
    path_env: &str,
) -> std::io::Result<SnapshotInfo> {
    let tmp = snapshots_dir(root).join(tmp_name(&info.snapshot_id));
    let result = async {
        tokio::fs::create_dir_all(&tmp).await?;
        copy_tree(&paths.workspace, &tmp.join("workspace"), path_env).await?;
        copy_tree(&paths.state, &tmp.join("state"), path_env).await?;
        let measured = tmp.clone();
        let size = tokio::task::spawn_blocking(move || tree_size(&measured)).await.map_err(std::io::Error::other)??;
        info.size_bytes = Some(size);
        let meta = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        tokio::fs::write(tmp.join(SNAPSHOT_META), meta).await?;
        tokio::fs::rename(&tmp, snapshot_dir(root, &info.snapshot_id)).await?;
        Ok(info)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_dir_all(&tmp).await;
    }
    result
}

/// The snapshot's directory when it exists.
pub fn find(root: &Path, snapshot_id: &str) -> Option<PathBuf> {
    let dir = snapshot_dir(root, snapshot_id);
    dir.join(SNAPSHOT_META).is_file().then_some(dir)
}

/// A snapshot's description.
pub fn read_meta(dir: &Path) -> std::io::Result<SnapshotInfo> {
    let text = std::fs::read(dir.join(SNAPSHOT_META))?;
    serde_json::from_slice(&text).map_err(std::io::Error::other)
}

/// Fills a new sandbox's (not yet existing) workspace and state from a snapshot.
pub async fn restore_into(snapshot: &Path, paths: &SandboxPaths, path_env: &str) -> std::io::Result<()> {
    copy_tree(&snapshot.join("workspace"), &paths.workspace, path_env).await?;
    copy_tree(&snapshot.join("state"), &paths.state, path_env).await
}

/// The directories under `snapshots/` being read (a restore's copy) or written (a snapshot
/// being taken), by name: the garbage collector leaves them alone until they are released.
#[derive(Debug, Default)]
pub struct SnapshotUse(Mutex<HashMap<String, usize>>);

/// Marks a directory in use until dropped.
#[derive(Debug)]
pub struct InUse<'a> {
    uses: &'a SnapshotUse,
    name: String,
}

impl SnapshotUse {
    /// Marks `name` in use. Look the directory up only once this is held: the collector may
    /// have deleted it just before.
    pub fn hold(&self, name: &str) -> InUse<'_> {
        *lock(&self.0).entry(name.to_string()).or_default() += 1;
        InUse { uses: self, name: name.to_string() }
    }

    /// Runs `f` unless `name` is in use, with no one able to start using it meanwhile.
    fn unless_in_use<T>(&self, name: &str, f: impl FnOnce() -> T) -> Option<T> {
        let map = lock(&self.0);
        (!map.contains_key(name)).then(f)
    }
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        let mut map = lock(&self.uses.0);
        if let Some(n) = map.get_mut(&self.name) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.name);
            }
        }
    }
}

/// Deletes a directory under `snapshots/`: first renamed out of the way (unless it is in use,
/// when `Ok(false)`), so no restore can find it half-deleted.
fn delete(dir: &Path, name: &str, uses: &SnapshotUse) -> std::io::Result<bool> {
    if name.starts_with(TRASH_PREFIX) {
        return std::fs::remove_dir_all(dir.join(name)).map(|_| true);
    }
    let trash = dir.join(format!("{TRASH_PREFIX}{name}"));
    match uses.unless_in_use(name, || std::fs::rename(dir.join(name), &trash)) {
        None => Ok(false),
        Some(renamed) => {
            renamed?;
            std::fs::remove_dir_all(&trash).map(|_| true)
        }
    }
}

fn mtime_ms(meta: &std::fs::Metadata) -> Option<i64> {
    let since = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

/// One garbage collection of `<root>/snapshots/`: deletes the snapshots [`decide`] picks, the
/// directories without a readable `snapshot.json` (failed copies) older than an hour, and
/// deletions a previous run left unfinished; skips what is in use. Returns the names deleted.
pub fn collect_garbage(root: &Path, uses: &SnapshotUse, settings: &GcSettings, now_ms: i64) -> Vec<String> {
    let dir = snapshots_dir(root);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!("snapshot gc: cannot read {}: {e}", dir.display());
            return vec![];
        }
    };
    let mut snapshots = Vec::new();
    let mut doomed: Vec<(String, &str)> = Vec::new();
    for entry in entries.flatten() {
        let (Ok(name), Ok(meta)) = (entry.file_name().into_string(), entry.path().symlink_metadata()) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        if name.starts_with(TRASH_PREFIX) {
            doomed.push((name, "an unfinished deletion"));
            continue;
        }
        match is_safe_id(&name).then(|| read_meta(&entry.path()).ok()).flatten() {
            Some(info) => snapshots.push(SnapshotRecord {
                snapshot_id: name,
                session_id: info.session_id,
                created_at: info.created_at,
            }),
            None if mtime_ms(&meta).is_some_and(|m| is_stale_leftover(m, now_ms)) => {
                doomed.push((name, "no readable snapshot.json (a failed copy)"))
            }
            None => {}
        }
    }
    let sessions: HashMap<String, String> =
        snapshots.iter().map(|s| (s.snapshot_id.clone(), s.session_id.clone())).collect();
    doomed.extend(decide(&snapshots, now_ms, settings).into_iter().map(|(id, reason)| (id, reason.as_str())));
    let mut deleted = Vec::new();
    for (name, reason) in doomed {
        let session = sessions.get(&name).map(String::as_str).unwrap_or("-");
        match delete(&dir, &name, uses) {
            Ok(true) => {
                tracing::info!(snapshot = %name, session, reason, "snapshot gc: deleted");
                deleted.push(name);
            }
            Ok(false) => tracing::info!(snapshot = %name, reason, "snapshot gc: in use, left for the next run"),
            Err(e) => tracing::warn!(snapshot = %name, reason, "snapshot gc: cannot delete: {e}"),
        }
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = crate::env::DEFAULT_PATH;

    #[tokio::test]
    async fn take_and_restore_round_trip() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let paths = SandboxPaths::new(root, "sbx_1");
        std::fs::create_dir_all(paths.workspace.join("src")).unwrap();
        std::fs::create_dir_all(&paths.home).unwrap();
        std::fs::write(paths.workspace.join("src/a.txt"), "hello").unwrap();
        std::fs::write(paths.state.join("b.txt"), "123").unwrap();
        std::os::unix::fs::symlink("src/a.txt", paths.workspace.join("link")).unwrap();

        let info = SnapshotInfo {
            snapshot_id: "snap_1".into(),
            sandbox_id: "sbx_1".into(),
            session_id: "ses_1".into(),
            created_at: 5,
            runtime_version: "9.9.9".into(),
            runtime_generation: 1,
            size_bytes: None,
        };
        let taken = take(root, &paths, info.clone(), PATH).await.unwrap();
        assert_eq!(taken.size_bytes, Some(8));
        let dir = find(root, "snap_1").unwrap();
        assert_eq!(read_meta(&dir).unwrap(), taken);
        assert_eq!(find(root, "snap_2"), None);
        assert!(!snapshots_dir(root).join(".tmp-snap_1").exists());

        let restored = SandboxPaths::new(root, "sbx_2");
        std::fs::create_dir_all(&restored.dir).unwrap();
        restore_into(&dir, &restored, PATH).await.unwrap();
        assert_eq!(std::fs::read_to_string(restored.workspace.join("src/a.txt")).unwrap(), "hello");
        assert_eq!(std::fs::read_to_string(restored.state.join("b.txt")).unwrap(), "123");
        assert!(restored.home.is_dir());
        assert_eq!(std::fs::read_link(restored.workspace.join("link")).unwrap(), Path::new("src/a.txt"));
    }

    #[tokio::test]
    async fn a_failed_copy_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let paths = SandboxPaths::new(root.path(), "missing");
        let info = SnapshotInfo {
            snapshot_id: "snap_x".into(),
            sandbox_id: "missing".into(),
            session_id: "s".into(),
            created_at: 0,
            runtime_version: "v".into(),
            runtime_generation: 1,
            size_bytes: None,
        };
        assert!(take(root.path(), &paths, info, PATH).await.is_err());
        assert!(find(root.path(), "snap_x").is_none());
        assert!(!snapshots_dir(root.path()).join(".tmp-snap_x").exists());
    }

    fn write_snapshot(root: &Path, id: &str, session: &str, created_at: i64) {
        let dir = snapshot_dir(root, id);
        std::fs::create_dir_all(dir.join("workspace/sub")).unwrap();
        let info = SnapshotInfo {
            snapshot_id: id.into(),
            sandbox_id: "sbx".into(),
            session_id: session.into(),
            created_at,
            runtime_version: "v".into(),
            runtime_generation: 1,
            size_bytes: None,
        };
        std::fs::write(dir.join(SNAPSHOT_META), serde_json::to_vec(&info).unwrap()).unwrap();
    }

    fn age(path: &Path, hours: u64) {
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
        std::fs::File::open(path).unwrap().set_modified(when).unwrap();
    }

    #[test]
    fn garbage_collection_deletes_what_is_due_and_spares_what_is_in_use() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let now = crate::auth::now_ms();
        let hour = 3600 * 1000;
        write_snapshot(root, "snap_old", "s1", now - 2 * hour);
        write_snapshot(root, "snap_new", "s1", now - hour);
        write_snapshot(root, "snap_held", "s1", now - 3 * hour);
        write_snapshot(root, "snap_ancient", "s2", now - 200 * hour);
        let dir = snapshots_dir(root);
        for name in [".tmp-fresh", ".tmp-stale", "snap_nometa", ".gc-snap_gone"] {
            std::fs::create_dir_all(dir.join(name).join("workspace")).unwrap();
        }
        age(&dir.join(".tmp-stale"), 2);
        age(&dir.join("snap_nometa"), 2);
        std::fs::write(dir.join("stray.txt"), "").unwrap();

        let uses = SnapshotUse::default();
        let settings = GcSettings { per_session: 1, ..GcSettings::default() };
        let held = uses.hold("snap_held");
        let copying = uses.hold(".tmp-stale");
        let mut deleted = collect_garbage(root, &uses, &settings, now);
        deleted.sort();
        assert_eq!(deleted, [".gc-snap_gone", "snap_ancient", "snap_nometa", "snap_old"]);
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [".tmp-fresh", ".tmp-stale", "snap_held", "snap_new", "stray.txt"]);
        assert!(find(root, "snap_new").is_some());

        drop((held, copying));
        let mut deleted = collect_garbage(root, &uses, &settings, now);
        deleted.sort();
        assert_eq!(deleted, [".tmp-stale", "snap_held"]);
        assert!(uses.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_use_is_counted() {
        let uses = SnapshotUse::default();
        let a = uses.hold("snap_1");
        let b = uses.hold("snap_1");
        drop(a);
        assert_eq!(uses.unless_in_use("snap_1", || ()), None);
        drop(b);
        assert_eq!(uses.unless_in_use("snap_1", || ()), Some(()));
    }
}
