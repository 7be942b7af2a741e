//! Snapshots: `workspace/` and `state/` copied (reflinks where the filesystem allows) into
//! `<root>/snapshots/<snapshot id>/`, with `snapshot.json` describing them.

use std::path::{Path, PathBuf};

use oi_protocol::provider::SnapshotInfo;

use crate::layout::{snapshot_dir, snapshots_dir, SandboxPaths, SNAPSHOT_META};

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
    let tmp = snapshots_dir(root).join(format!(".tmp-{}", info.snapshot_id));
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
}
