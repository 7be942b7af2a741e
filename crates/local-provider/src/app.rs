//! The provider's shared state: its settings, the replay cache, the sandboxes it runs and the
//! repo images it knows.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use oi_protocol::provider::{ClaimSandbox, CreateSandbox, ProviderSandboxStatus, SandboxInfo};
use oi_protocol::ErrorCode;

use crate::config::Config;
use crate::error::HttpError;
use crate::gateway::SessionScope;
use crate::images::ImageEntry;
use crate::layout::SandboxPaths;
use crate::nonce_log::NonceStore;
use crate::push_rule::PushRule;
use crate::sandbox::Process;
use crate::snapshot::SnapshotUse;
use crate::token::{token_hash, TokenHash};

/// Settings resolved at startup plus the live state.
#[derive(Debug)]
pub struct App {
    /// With `root` and `agent_bin` canonical and `opencode_bin` absolute.
    pub config: Config,
    /// The base URL of the git endpoint as sandboxes see it.
    pub public_url: String,
    /// `PATH` for `git http-backend` and `cp`.
    pub host_path: String,
    /// The replay check's nonces, kept in `<root>/nonces.log` across restarts.
    pub nonces: Mutex<NonceStore>,
    /// Snapshot directories being copied from or into, which garbage collection leaves alone.
    pub snapshots_in_use: SnapshotUse,
    sandboxes: Mutex<HashMap<String, Arc<SandboxEntry>>>,
    images: Mutex<HashMap<String, Arc<ImageEntry>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One sandbox this provider created.
#[derive(Debug)]
pub struct SandboxEntry {
    pub id: String,
    pub created_at: i64,
    pub paths: SandboxPaths,
    /// The host repository its git endpoint serves, when `repo` was a local path.
    pub local_repo: Option<PathBuf>,
    /// The base branch it booted on.
    pub branch: String,
    /// The branch its session's work goes to instead of `oi/<session>` (the request's
    /// `work_branch`), which its git endpoint only lets it fast-forward.
    pub work_branch: Option<String>,
    /// Started as a warm-pool sandbox (`pool: true`), claimed or not.
    pub pool: bool,
    /// The session whose sandbox routes its network gateway admits: none for a warm-pool
    /// sandbox until its claim.
    pub gateway_session: SessionScope,
    state: Mutex<EntryState>,
    /// A warm-pool sandbox's claim channel until it is claimed: the write end of the pipe its
    /// supervisor reads the claim from ([`crate::claim`]).
    claim_channel: Mutex<Option<OwnedFd>>,
    /// Held while the sandbox starts, while it is claimed and while it is terminated, so these
    /// never interleave.
    pub lifecycle: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct EntryState {
    /// The session it serves: the pool's name until a claim.
    session_id: String,
    /// The only token its git endpoint accepts (the claim's, once claimed).
    token_hash: TokenHash,
    claimed: bool,
    process: Option<Arc<Process>>,
    failed: Option<String>,
    terminated: bool,
}

/// Who may use a git endpoint `/git/<id>`, and whether it is still open.
#[derive(Debug, Clone)]
pub struct GitAccess {
    pub repo: PathBuf,
    pub token_hash: TokenHash,
    /// Why the endpoint no longer serves (403), for a terminated sandbox or a finished build.
    pub closed: Option<String>,
    /// The one branch a push may update, and how ([`PushRule`]), or `None` when the endpoint
    /// takes no push at all (an image build, an unclaimed warm-pool sandbox).
    pub push: Option<PushRule>,
}

/// A sandbox's status from what is known about it.
pub fn status_of(failed: bool, terminated: bool, exit_code: Option<i32>) -> ProviderSandboxStatus {
    if terminated {
        ProviderSandboxStatus::Terminated
    } else if failed {
        ProviderSandboxStatus::Failed
    } else if exit_code.is_some() {
        ProviderSandboxStatus::Exited
    } else {
        ProviderSandboxStatus::Running
    }
}

impl SandboxEntry {
    /// A sandbox for `req` (already validated).
    pub fn new(req: &CreateSandbox, created_at: i64, paths: SandboxPaths, local_repo: Option<PathBuf>) -> Self {
        Self {
            id: req.sandbox_id.clone(),
            created_at,
            paths,
            local_repo,
            branch: req.branch.clone(),
            work_branch: req.work_branch.clone(),
            pool: req.pool,
            gateway_session: SessionScope::new((!req.pool).then(|| req.session_id.clone())),
            state: Mutex::new(EntryState {
                session_id: req.session_id.clone(),
                token_hash: token_hash(&req.sandbox_token),
                claimed: false,
                process: None,
                failed: None,
                terminated: false,
            }),
            claim_channel: Mutex::new(None),
            lifecycle: tokio::sync::Mutex::new(()),
        }
    }

    /// Keeps the write end of a pool sandbox's claim channel.
    pub fn set_claim_channel(&self, writer: OwnedFd) {
        *lock(&self.claim_channel) = Some(writer);
    }

    /// The claim channel's write end, once: a claim closes it.
    pub fn take_claim_channel(&self) -> Option<OwnedFd> {
        lock(&self.claim_channel).take()
    }

    pub fn session_id(&self) -> String {
        lock(&self.state).session_id.clone()
    }

    /// Its git endpoint's access, when it has a local repository.
    pub fn git_access(&self) -> Option<GitAccess> {
        let repo = self.local_repo.clone()?;
        let state = lock(&self.state);
        let closed = state.terminated.then(|| format!("sandbox {} is terminated", self.id));
        let push = PushRule::for_sandbox(&state.session_id, self.work_branch.as_deref(), self.pool, state.claimed);
        Some(GitAccess { repo, token_hash: state.token_hash, closed, push })
    }

    /// Hands a running, unclaimed pool sandbox to the claim's session: from now on it reports
    /// that session and its git endpoint takes only the claim's token. Returns how to undo it,
    /// or why it cannot be claimed.
    pub fn claim(&self, claim: &ClaimSandbox) -> Result<ClaimUndo, String> {
        let mut state = lock(&self.state);
        if !self.pool {
            return Err(format!("sandbox {} is not a warm-pool sandbox", self.id));
        }
        if state.claimed {
            return Err(format!("sandbox {} was already claimed", self.id));
        }
        let exit_code = state.process.as_ref().and_then(|p| p.exit_code());
        let status = status_of(state.failed.is_some(), state.terminated, exit_code);
        if status != ProviderSandboxStatus::Running {
            return Err(format!("sandbox {} is not running", self.id));
        }
        if claim.branch != self.branch {
            return Err(format!("sandbox {} booted branch {:?}, not {:?}", self.id, self.branch, claim.branch));
        }
        let undo = ClaimUndo { session_id: state.session_id.clone(), token_hash: state.token_hash };
        state.claimed = true;
        state.session_id = claim.session_id.clone();
        state.token_hash = token_hash(&claim.sandbox_token);
        self.gateway_session.set(Some(claim.session_id.clone()));
        Ok(undo)
    }

    /// Reverts a claim whose file could not be written.
    pub fn unclaim(&self, undo: ClaimUndo) {
        let mut state = lock(&self.state);
        state.claimed = false;
        state.session_id = undo.session_id;
        state.token_hash = undo.token_hash;
        self.gateway_session.set(None);
    }

    pub fn info(&self) -> SandboxInfo {
        let state = lock(&self.state);
        let exit_code = state.process.as_ref().and_then(|p| p.exit_code());
        let status = status_of(state.failed.is_some(), state.terminated, exit_code);
        let message = match status {
            ProviderSandboxStatus::Failed => state.failed.clone(),
            ProviderSandboxStatus::Terminated => Some("terminated on request".to_string()),
            ProviderSandboxStatus::Exited => Some("the supervisor exited".to_string()),
            ProviderSandboxStatus::Running => None,
        };
        SandboxInfo {
            sandbox_id: self.id.clone(),
            session_id: state.session_id.clone(),
            status,
            created_at: self.created_at,
            exit_code,
            message,
        }
    }

    pub fn process(&self) -> Option<Arc<Process>> {
        lock(&self.state).process.clone()
    }

    pub fn set_process(&self, process: Arc<Process>) {
        lock(&self.state).process = Some(process);
    }

    pub fn set_failed(&self, message: String) {
        lock(&self.state).failed = Some(message);
    }

    pub fn is_terminated(&self) -> bool {
        lock(&self.state).terminated
    }

    pub fn set_terminated(&self) {
        lock(&self.state).terminated = true;
    }
}

/// What [`SandboxEntry::unclaim`] restores.
#[derive(Debug)]
pub struct ClaimUndo {
    session_id: String,
    token_hash: TokenHash,
}

impl App {
    /// The app with the images found on disk.
    pub fn new(config: Config, public_url: String, images: Vec<Arc<ImageEntry>>) -> Self {
        let nonces = Mutex::new(NonceStore::open(&config.root, crate::auth::now_ms()));
        Self {
            config,
            public_url,
            host_path: std::env::var("PATH").unwrap_or_else(|_| crate::env::DEFAULT_PATH.to_string()),
            nonces,
            snapshots_in_use: SnapshotUse::default(),
            sandboxes: Mutex::default(),
            images: Mutex::new(images.into_iter().map(|i| (i.id.clone(), i)).collect()),
        }
    }

    pub fn sandbox(&self, id: &str) -> Option<Arc<SandboxEntry>> {
        lock(&self.sandboxes).get(id).cloned()
    }

    /// Records a new sandbox; 409 when its id (or its directory) exists, or names an image
    /// (sandboxes and image builds share the git endpoint's ids).
    pub fn reserve(&self, entry: Arc<SandboxEntry>) -> Result<(), HttpError> {
        let mut map = lock(&self.sandboxes);
        if map.contains_key(&entry.id) || entry.paths.dir.exists() || self.image(&entry.id).is_some() {
            return Err(HttpError::new(ErrorCode::Conflict, format!("sandbox {} already exists", entry.id)));
        }
        map.insert(entry.id.clone(), entry);
        Ok(())
    }

    pub fn image(&self, id: &str) -> Option<Arc<ImageEntry>> {
        lock(&self.images).get(id).cloned()
    }

    /// Records a new image; 409 when its id (or its directory) exists, or names a sandbox.
    pub fn reserve_image(&self, entry: Arc<ImageEntry>) -> Result<(), HttpError> {
        let sandboxes = lock(&self.sandboxes);
        let mut images = lock(&self.images);
        if images.contains_key(&entry.id) || entry.paths.dir.exists() || sandboxes.contains_key(&entry.id) {
            return Err(HttpError::new(ErrorCode::Conflict, format!("image {} already exists", entry.id)));
        }
        images.insert(entry.id.clone(), entry);
        Ok(())
    }

    /// Forgets an image whose build could not be prepared.
    pub fn forget_image(&self, id: &str) {
        lock(&self.images).remove(id);
    }

    pub fn all_images(&self) -> Vec<Arc<ImageEntry>> {
        lock(&self.images).values().cloned().collect()
    }

    /// Who may use the git endpoint `/git/<id>`: a sandbox's, or else an image build's.
    pub fn git_access(&self, id: &str) -> Option<GitAccess> {
        match self.sandbox(id) {
            Some(sandbox) => sandbox.git_access(),
            None => self.image(id)?.git_access(),
        }
    }

    /// Forgets a sandbox whose creation failed before anything ran.
    pub fn forget(&self, id: &str) {
        lock(&self.sandboxes).remove(id);
    }

    pub fn all(&self) -> Vec<Arc<SandboxEntry>> {
        lock(&self.sandboxes).values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderSandboxStatus::*;

    #[test]
    fn status_precedence() {
        assert_eq!(status_of(false, false, None), Running);
        assert_eq!(status_of(false, false, Some(0)), Exited);
        assert_eq!(status_of(true, false, None), Failed);
        assert_eq!(status_of(false, true, Some(143)), Terminated);
        assert_eq!(status_of(true, true, None), Terminated);
    }

    fn request(pool: bool) -> CreateSandbox {
        serde_json::from_value(serde_json::json!({
            "session_id": "ses_1", "sandbox_id": "sbx_1", "repo": "/srv/r.git", "branch": "main",
            "control_plane_url": "http://c", "sandbox_token": "pool-token", "pool": pool,
            "agent": {"model": "m/x", "providers": []},
        }))
        .unwrap()
    }

    fn entry(pool: bool) -> SandboxEntry {
        let paths = SandboxPaths::new(std::path::Path::new("/r"), "sbx_1");
        SandboxEntry::new(&request(pool), 7, paths, Some("/srv/r.git".into()))
    }

    fn claim(branch: &str) -> ClaimSandbox {
        serde_json::from_value(serde_json::json!({
            "session_id": "ses_2", "sandbox_token": "new-token", "control_plane_url": "http://c",
            "branch": branch, "agent": {"model": "m/x", "providers": []},
        }))
        .unwrap()
    }

    #[test]
    fn who_may_push_what() {
        assert_eq!(entry(false).git_access().unwrap().push, Some(PushRule::SessionBranch("oi/ses_1".into())));
        let req = CreateSandbox { work_branch: Some("feature/x".into()), ..request(false) };
        let paths = SandboxPaths::new(std::path::Path::new("/r"), "sbx_1");
        let on_head = SandboxEntry::new(&req, 7, paths, Some("/srv/r.git".into()));
        assert_eq!(on_head.git_access().unwrap().push, Some(PushRule::FastForwardOnly("feature/x".into())));
    }

    #[test]
    fn a_claim_switches_the_session_and_the_token_once() {
        let e = entry(true);
        assert_eq!(e.git_access().unwrap().token_hash, token_hash("pool-token"));
        assert_eq!(e.git_access().unwrap().push, None, "an unclaimed pool sandbox pushes nothing");
        assert!(e.claim(&claim("dev")).unwrap_err().contains("branch"));
        assert_eq!(e.gateway_session.get(), None, "a pool sandbox's gateway admits no session before its claim");
        let undo = e.claim(&claim("main")).unwrap();
        assert_eq!((e.session_id(), e.info().session_id), ("ses_2".to_string(), "ses_2".to_string()));
        assert_eq!(e.gateway_session.get().as_deref(), Some("ses_2"));
        assert_eq!(e.git_access().unwrap().token_hash, token_hash("new-token"));
        assert_eq!(e.git_access().unwrap().push, Some(PushRule::SessionBranch("oi/ses_2".into())));
        assert!(e.claim(&claim("main")).unwrap_err().contains("already claimed"));
        e.unclaim(undo);
        assert_eq!(e.session_id(), "ses_1");
        assert_eq!(e.gateway_session.get(), None);
        assert_eq!(e.git_access().unwrap().token_hash, token_hash("pool-token"));
        e.set_terminated();
        assert!(e.claim(&claim("main")).unwrap_err().contains("not running"));
        assert!(e.git_access().unwrap().closed.is_some());
        assert!(entry(false).claim(&claim("main")).unwrap_err().contains("not a warm-pool"));
    }

    #[test]
    fn a_new_entry_is_running_and_terminates() {
        let e = entry(false);
        assert_eq!(e.gateway_session.get().as_deref(), Some("ses_1"));
        let info = e.info();
        assert_eq!((info.status, info.created_at, info.exit_code), (Running, 7, None));
        e.set_failed("no bwrap".into());
        assert_eq!(e.info().message.as_deref(), Some("no bwrap"));
        e.set_terminated();
        assert!(e.is_terminated());
        assert_eq!(e.info().status, Terminated);
    }
}
