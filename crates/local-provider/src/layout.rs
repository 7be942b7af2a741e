//! Where things live under the provider's root.
//!
//! ```text
//! <root>/sandboxes/<sandbox id>/workspace/        OI_WORKSPACE
//! <root>/sandboxes/<sandbox id>/state/            OI_STATE_DIR
//! <root>/sandboxes/<sandbox id>/state/home/       HOME
//! <root>/sandboxes/<sandbox id>/supervisor.log    the supervisor's stdout and stderr
//! <root>/snapshots/<snapshot id>/{workspace,state,snapshot.json}
//! ```

use std::path::{Path, PathBuf};

/// The directories of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPaths {
    pub dir: PathBuf,
    pub workspace: PathBuf,
    pub state: PathBuf,
    pub home: PathBuf,
    pub log: PathBuf,
}

impl SandboxPaths {
    /// The paths of sandbox `id` (an id already checked by [`crate::ids::is_safe_id`]).
    pub fn new(root: &Path, id: &str) -> Self {
        let dir = sandboxes_dir(root).join(id);
        let state = dir.join("state");
        Self { workspace: dir.join("workspace"), home: state.join("home"), log: dir.join("supervisor.log"), state, dir }
    }
}

/// Where a bubblewrap sandbox sees its workspace and state: the same paths in every sandbox,
/// so a snapshot restored into a new sandbox finds everything (OpenCode's saved sessions
/// record their directory) where it was. `/srv` is hidden behind a private tmpfs.
pub const INSIDE_ROOT: &str = "/srv";
pub const INSIDE_WORKSPACE: &str = "/srv/workspace";
pub const INSIDE_STATE: &str = "/srv/state";

impl SandboxPaths {
    /// The same sandbox as its supervisor sees it: the fixed in-sandbox paths under
    /// bubblewrap, the host paths without isolation.
    pub fn as_seen_inside(&self, isolated: bool) -> Self {
        if !isolated {
            return self.clone();
        }
        let state = PathBuf::from(INSIDE_STATE);
        Self {
            dir: self.dir.clone(),
            workspace: PathBuf::from(INSIDE_WORKSPACE),
            home: state.join("home"),
            log: self.log.clone(),
            state,
        }
    }
}

pub fn sandboxes_dir(root: &Path) -> PathBuf {
    root.join("sandboxes")
}

pub fn snapshots_dir(root: &Path) -> PathBuf {
    root.join("snapshots")
}

/// The directory of snapshot `id`.
pub fn snapshot_dir(root: &Path, id: &str) -> PathBuf {
    snapshots_dir(root).join(id)
}

/// The snapshot's metadata file.
pub const SNAPSHOT_META: &str = "snapshot.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_spec() {
        let p = SandboxPaths::new(Path::new("/r"), "sbx_1");
        assert_eq!(p.dir, Path::new("/r/sandboxes/sbx_1"));
        assert_eq!(p.workspace, Path::new("/r/sandboxes/sbx_1/workspace"));
        assert_eq!(p.state, Path::new("/r/sandboxes/sbx_1/state"));
        assert_eq!(p.home, Path::new("/r/sandboxes/sbx_1/state/home"));
        assert_eq!(p.log, Path::new("/r/sandboxes/sbx_1/supervisor.log"));
        assert_eq!(snapshot_dir(Path::new("/r"), "snap_1"), Path::new("/r/snapshots/snap_1"));
    }
}
