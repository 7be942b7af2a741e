//! Where things live under the provider's root.
//!
//! ```text
//! <root>/sandboxes/<sandbox id>/workspace/        OI_WORKSPACE
//! <root>/sandboxes/<sandbox id>/state/            OI_STATE_DIR
//! <root>/sandboxes/<sandbox id>/state/home/       HOME
//! <root>/sandboxes/<sandbox id>/supervisor.log    the supervisor's stdout and stderr
//! <root>/snapshots/<snapshot id>/{workspace,state,snapshot.json}
//! <root>/images/<image id>/image.json             the image's ImageInfo (its persistent record)
//! <root>/images/<image id>/build/{workspace,state,supervisor.log}   while it builds
//! <root>/images/<image id>/{workspace,state}      once ready (renamed from build/)
//! <root>/images/<image id>/build/supervisor.log   the build log, kept until the image is deleted
//! <root>/nonces.log                             signed requests' nonces within the replay window (0600)
//! <root>/sandbox-etc/{passwd,group}             the minimal accounts every sandbox sees in /etc
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
        Self::in_dir(sandboxes_dir(root).join(id))
    }

    /// The same layout under any directory (an image build's `build/`).
    pub fn in_dir(dir: PathBuf) -> Self {
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

pub fn images_dir(root: &Path) -> PathBuf {
    root.join("images")
}

/// The image's metadata file (its `ImageInfo`), in the image's directory.
pub const IMAGE_META: &str = "image.json";
/// What a successful build leaves in its state directory: `{"base_sha": "…"}`.
pub const BUILD_RESULT: &str = "image.json";

/// The files of one repo image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePaths {
    pub dir: PathBuf,
    /// The image's workspace and state once it is ready.
    pub workspace: PathBuf,
    pub state: PathBuf,
    pub meta: PathBuf,
    /// The build sandbox (its log stays after the build).
    pub build: SandboxPaths,
}

impl ImagePaths {
    /// The paths of image `id` (an id already checked by [`crate::ids::is_safe_id`]).
    pub fn new(root: &Path, id: &str) -> Self {
        let dir = images_dir(root).join(id);
        Self {
            workspace: dir.join("workspace"),
            state: dir.join("state"),
            meta: dir.join(IMAGE_META),
            build: SandboxPaths::in_dir(dir.join("build")),
            dir,
        }
    }
}

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
        let i = ImagePaths::new(Path::new("/r"), "img_1");
        assert_eq!(i.meta, Path::new("/r/images/img_1/image.json"));
        assert_eq!(
            (i.workspace.as_path(), i.state.as_path()),
            (Path::new("/r/images/img_1/workspace"), Path::new("/r/images/img_1/state"))
        );
        assert_eq!(i.build.workspace, Path::new("/r/images/img_1/build/workspace"));
        assert_eq!(i.build.state, Path::new("/r/images/img_1/build/state"));
        assert_eq!(i.build.log, Path::new("/r/images/img_1/build/supervisor.log"));
    }
}
