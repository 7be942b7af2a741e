//! Repo images (docs/sandbox-provider.md, "Repo images"): what the provider knows of each one,
//! its record on disk (`<root>/images/<id>/image.json`, an `ImageInfo`), and the pure decisions
//! about builds. The builds themselves are in [`crate::image_build`].
//!
//! Records outlive the provider: on startup every image directory's record is loaded, and a
//! build that was running when the provider died becomes `failed`.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use oi_protocol::provider::{BuildImage, ImageInfo, ImageStatus, RUNTIME_GENERATION};
use oi_protocol::ErrorCode;

use crate::app::{lock, GitAccess};
use crate::error::HttpError;
use crate::ids::is_safe_id;
use crate::layout::{images_dir, ImagePaths};
use crate::sandbox::Process;
use crate::token::{token_hash, TokenHash};

/// The most of the build log an `ImageInfo` carries.
pub const LOG_TAIL_MAX: usize = 16 * 1024;
/// The error of a build that was running when the provider died.
pub const RESTARTED: &str = "the provider restarted during the build";
/// The error of a build stopped by the provider's shutdown.
pub const STOPPED: &str = "the provider stopped during the build";

/// One repo image: being built, ready, failed or deleted.
#[derive(Debug)]
pub struct ImageEntry {
    pub id: String,
    pub paths: ImagePaths,
    /// The host repository the build's git endpoint serves (a build of this run, local repo).
    pub local_repo: Option<PathBuf>,
    /// The build token's hash (a build of this run).
    pub token_hash: Option<TokenHash>,
    info: Mutex<ImageInfo>,
    process: Mutex<Option<Arc<Process>>>,
    /// Held (shared) while a sandbox copies the image, and (exclusively) while its build
    /// finishes, stops or the image is deleted, so a copy never sees half an image.
    pub files: tokio::sync::RwLock<()>,
}

impl ImageEntry {
    /// A build about to start.
    pub fn building(req: &BuildImage, paths: ImagePaths, local_repo: Option<PathBuf>, created_at: i64) -> Self {
        let info = ImageInfo {
            image_id: req.image_id.clone(),
            repo: req.repo.clone(),
            branch: req.branch.clone(),
            status: ImageStatus::Building,
            created_at,
            finished_at: None,
            base_sha: None,
            runtime_generation: RUNTIME_GENERATION,
            error: None,
            log_tail: None,
            size_bytes: None,
        };
        let token = Some(token_hash(&req.build_token));
        Self::with(info, paths, local_repo, token)
    }

    /// An image known from its record on disk.
    pub fn loaded(info: ImageInfo, paths: ImagePaths) -> Self {
        Self::with(info, paths, None, None)
    }

    fn with(info: ImageInfo, paths: ImagePaths, local_repo: Option<PathBuf>, token_hash: Option<TokenHash>) -> Self {
        Self {
            id: info.image_id.clone(),
            paths,
            local_repo,
            token_hash,
            info: Mutex::new(info),
            process: Mutex::default(),
            files: tokio::sync::RwLock::new(()),
        }
    }

    /// The record as kept.
    pub fn record(&self) -> ImageInfo {
        lock(&self.info).clone()
    }

    pub fn status(&self) -> ImageStatus {
        lock(&self.info).status
    }

    /// What `GET /v1/images/:id` answers: the record, with the build log's tail while building.
    pub fn info(&self) -> ImageInfo {
        let mut info = self.record();
        if info.status == ImageStatus::Building {
            info.log_tail = read_tail(&self.paths.build.log, LOG_TAIL_MAX);
        }
        info
    }

    pub fn update(&self, change: impl FnOnce(&mut ImageInfo)) -> ImageInfo {
        let mut info = lock(&self.info);
        change(&mut info);
        info.clone()
    }

    /// Writes the record to disk.
    pub fn save(&self) -> std::io::Result<()> {
        save_record(&self.paths.meta, &self.record())
    }

    pub fn process(&self) -> Option<Arc<Process>> {
        lock(&self.process).clone()
    }

    pub fn set_process(&self, process: Arc<Process>) {
        *lock(&self.process) = Some(process);
    }

    /// The build's git endpoint: open while it builds, for fetching only.
    pub fn git_access(&self) -> Option<GitAccess> {
        let (repo, token_hash) = (self.local_repo.clone()?, self.token_hash?);
        let closed =
            (self.status() != ImageStatus::Building).then(|| format!("the build of image {} is over", self.id));
        Some(GitAccess { repo, token_hash, closed, push: None })
    }

    /// `Ok` when a sandbox can start from it; 409 otherwise.
    pub fn check_ready(&self) -> Result<(), HttpError> {
        match self.status() {
            ImageStatus::Ready => Ok(()),
            other => Err(HttpError::new(
                ErrorCode::Conflict,
                format!("image {} is {}, not ready", self.id, status_name(other)),
            )),
        }
    }
}

pub fn status_name(status: ImageStatus) -> &'static str {
    match status {
        ImageStatus::Building => "building",
        ImageStatus::Ready => "ready",
        ImageStatus::Failed => "failed",
        ImageStatus::Deleted => "deleted",
    }
}

/// Writes `info` to `path` atomically (a temporary file renamed over it).
pub fn save_record(path: &Path, info: &ImageInfo) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(info).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, path)
}

/// The end of `bytes` as text: at most `max` bytes, starting at a character boundary.
pub fn tail_text(bytes: &[u8], max: usize) -> String {
    let mut start = bytes.len().saturating_sub(max);
    // Skip the continuation bytes of a character cut in half.
    while start < bytes.len() && start > 0 && bytes[start] & 0xC0 == 0x80 {
        start += 1;
    }
    let mut text = String::from_utf8_lossy(&bytes[start..]).into_owned();
    // Invalid bytes become U+FFFD (3 bytes each); drop from the front until it fits again.
    while text.len() > max {
        text.remove(0);
    }
    text
}

/// The last `max` bytes of a file as text; `None` when it cannot be read.
pub fn read_tail(path: &Path, max: usize) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let from = len.saturating_sub(max as u64);
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut bytes = Vec::with_capacity(max);
    file.take(max as u64).read_to_end(&mut bytes).ok()?;
    Some(tail_text(&bytes, max))
}

/// What a finished build made: the image's `base_sha`, or why it failed. `result` is the
/// build's `$OI_STATE_DIR/image.json`.
pub fn build_outcome(exit_code: i32, result: std::io::Result<Vec<u8>>) -> Result<String, String> {
    if exit_code != 0 {
        return Err(format!("the build exited with status {exit_code}"));
    }
    let bytes = result.map_err(|e| format!("the build exited with status 0 but left no image.json: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("the build's image.json is not JSON: {e}"))?;
    match value.get("base_sha").and_then(|v| v.as_str()).map(str::trim) {
        Some(sha) if !sha.is_empty() && !sha.contains(char::is_control) => Ok(sha.to_string()),
        _ => Err("the build's image.json has no base_sha".to_string()),
    }
}

/// A record found on startup: a build that was running when the provider died is failed.
pub fn recover(mut info: ImageInfo, now: i64, log_tail: Option<String>) -> ImageInfo {
    if info.status == ImageStatus::Building {
        info.status = ImageStatus::Failed;
        info.error = Some(RESTARTED.to_string());
        info.finished_at = Some(now);
        info.log_tail = log_tail;
    }
    info
}

/// Removes a build's workspace and state (its log stays).
pub fn remove_build_dirs(paths: &ImagePaths) {
    for dir in [&paths.build.workspace, &paths.build.state] {
        if let Err(e) = std::fs::remove_dir_all(dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("cannot remove {}: {e}", dir.display());
            }
        }
    }
}

fn load_one(root: &Path, id: &str, now: i64) -> Result<ImageEntry, String> {
    let paths = ImagePaths::new(root, id);
    let text = std::fs::read(&paths.meta).map_err(|e| format!("{}: {e}", paths.meta.display()))?;
    let info: ImageInfo = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", paths.meta.display()))?;
    if info.image_id != id {
        return Err(format!("{} names image {}", paths.meta.display(), info.image_id));
    }
    if info.status == ImageStatus::Building {
        let info = recover(info, now, read_tail(&paths.build.log, LOG_TAIL_MAX));
        remove_build_dirs(&paths);
        save_record(&paths.meta, &info).map_err(|e| format!("{}: {e}", paths.meta.display()))?;
        tracing::warn!(image = id, "the build was interrupted by a restart; now failed");
        return Ok(ImageEntry::loaded(info, paths));
    }
    Ok(ImageEntry::loaded(info, paths))
}

/// Every image recorded under `<root>/images/`.
pub fn load_all(root: &Path, now: i64) -> Vec<Arc<ImageEntry>> {
    let Ok(dir) = std::fs::read_dir(images_dir(root)) else {
        return Vec::new();
    };
    let mut images = Vec::new();
    for entry in dir.flatten() {
        let Some(id) = entry.file_name().to_str().map(str::to_string) else { continue };
        if !is_safe_id(&id) || !entry.path().is_dir() {
            continue;
        }
        match load_one(root, &id, now) {
            Ok(image) => images.push(Arc::new(image)),
            Err(e) => tracing::warn!("skipping image {id}: {e}"),
        }
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_bounded_and_starts_at_a_character() {
        assert_eq!(tail_text(b"hello", 16), "hello");
        assert_eq!(tail_text(b"hello world", 5), "world");
        let text = "ééé"; // 2 bytes each
        assert_eq!(tail_text(text.as_bytes(), 3), "é", "the cut é is skipped");
        let bad = [b'a', 0xff, 0xff, b'b'];
        let t = tail_text(&bad, 4);
        assert!(t.len() <= 4 && t.ends_with('b'), "{t:?}");
    }

    #[test]
    fn outcomes() {
        assert_eq!(build_outcome(0, Ok(br#"{"base_sha": "abc123"}"#.to_vec())), Ok("abc123".to_string()));
        assert!(build_outcome(3, Ok(br#"{"base_sha": "abc"}"#.to_vec())).unwrap_err().contains("status 3"));
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(build_outcome(0, Err(missing)).unwrap_err().contains("no image.json"));
        assert!(build_outcome(0, Ok(b"{".to_vec())).unwrap_err().contains("not JSON"));
        assert!(build_outcome(0, Ok(br#"{"base_sha": ""}"#.to_vec())).unwrap_err().contains("no base_sha"));
        assert!(build_outcome(0, Ok(br#"{"sha": "x"}"#.to_vec())).unwrap_err().contains("no base_sha"));
    }

    fn request() -> BuildImage {
        BuildImage {
            image_id: "img_1".into(),
            repo: "/srv/r.git".into(),
            branch: "main".into(),
            build_token: "bt".into(),
            env: Default::default(),
            network_allow: vec![],
        }
    }

    #[test]
    fn records_survive_and_interrupted_builds_fail() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let building = ImageEntry::building(&request(), ImagePaths::new(root, "img_1"), None, 5);
        std::fs::create_dir_all(&building.paths.build.state).unwrap();
        std::fs::write(&building.paths.build.log, "cloning\n").unwrap();
        building.save().unwrap();
        let ready = ImageEntry::building(
            &BuildImage { image_id: "img_2".into(), ..request() },
            ImagePaths::new(root, "img_2"),
            None,
            6,
        );
        std::fs::create_dir_all(&ready.paths.dir).unwrap();
        ready.update(|i| {
            i.status = ImageStatus::Ready;
            i.base_sha = Some("abc".into());
        });
        ready.save().unwrap();
        std::fs::create_dir_all(images_dir(root).join("img_junk")).unwrap();

        let mut loaded = load_all(root, 99);
        loaded.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(loaded.len(), 2);
        let failed = loaded[0].record();
        assert_eq!((failed.status, failed.error.as_deref()), (ImageStatus::Failed, Some(RESTARTED)));
        assert_eq!((failed.finished_at, failed.log_tail.as_deref()), (Some(99), Some("cloning\n")));
        assert!(!building.paths.build.state.exists(), "the interrupted build's files are gone");
        assert_eq!(loaded[1].record(), ready.record());
        let again: Vec<ImageInfo> = load_all(root, 100).iter().map(|i| i.record()).collect();
        assert!(again.contains(&failed), "the failure was saved: {again:?}");
    }

    #[test]
    fn only_a_building_image_opens_its_git_endpoint() {
        let e =
            ImageEntry::building(&request(), ImagePaths::new(Path::new("/r"), "img_1"), Some("/srv/r.git".into()), 1);
        assert!(e.git_access().unwrap().closed.is_none());
        assert_eq!(e.git_access().unwrap().push, None, "an image build pushes nothing");
        assert_eq!(e.check_ready().unwrap_err().0.code, ErrorCode::Conflict);
        e.update(|i| i.status = ImageStatus::Ready);
        assert!(e.git_access().unwrap().closed.is_some());
        assert!(e.check_ready().is_ok());
        assert!(ImageEntry::loaded(e.record(), e.paths.clone()).git_access().is_none());
    }
}
