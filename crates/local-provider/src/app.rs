//! The provider's shared state: its settings, the replay cache and the sandboxes it runs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use oi_protocol::provider::{ProviderSandboxStatus, SandboxInfo};
use oi_protocol::ErrorCode;

use crate::auth::NonceCache;
use crate::config::Config;
use crate::error::HttpError;
use crate::layout::SandboxPaths;
use crate::sandbox::Process;
use crate::token::TokenHash;

/// Settings resolved at startup plus the live state.
#[derive(Debug)]
pub struct App {
    /// With `root` and `agent_bin` canonical and `opencode_bin` absolute.
    pub config: Config,
    /// The base URL of the git endpoint as sandboxes see it.
    pub public_url: String,
    /// `PATH` for `git http-backend` and `cp`.
    pub host_path: String,
    pub nonces: Mutex<NonceCache>,
    sandboxes: Mutex<HashMap<String, Arc<SandboxEntry>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One sandbox this provider created.
#[derive(Debug)]
pub struct SandboxEntry {
    pub id: String,
    pub session_id: String,
    pub created_at: i64,
    pub paths: SandboxPaths,
    pub token_hash: TokenHash,
    /// The host repository its git endpoint serves, when `repo` was a local path.
    pub local_repo: Option<PathBuf>,
    state: Mutex<EntryState>,
    /// Held while the sandbox starts and while it is terminated, so the two never interleave.
    pub lifecycle: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct EntryState {
    process: Option<Arc<Process>>,
    failed: Option<String>,
    terminated: bool,
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
    pub fn new(
        id: String,
        session_id: String,
        created_at: i64,
        paths: SandboxPaths,
        token_hash: TokenHash,
        local_repo: Option<PathBuf>,
    ) -> Self {
        Self {
            id,
            session_id,
            created_at,
            paths,
            token_hash,
            local_repo,
            state: Mutex::default(),
            lifecycle: tokio::sync::Mutex::new(()),
        }
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
            session_id: self.session_id.clone(),
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

impl App {
    pub fn new(config: Config, public_url: String) -> Self {
        Self {
            config,
            public_url,
            host_path: std::env::var("PATH").unwrap_or_else(|_| crate::env::DEFAULT_PATH.to_string()),
            nonces: Mutex::default(),
            sandboxes: Mutex::default(),
        }
    }

    pub fn sandbox(&self, id: &str) -> Option<Arc<SandboxEntry>> {
        lock(&self.sandboxes).get(id).cloned()
    }

    /// Records a new sandbox; 409 when its id (or its directory) exists.
    pub fn reserve(&self, entry: Arc<SandboxEntry>) -> Result<(), HttpError> {
        let mut map = lock(&self.sandboxes);
        if map.contains_key(&entry.id) || entry.paths.dir.exists() {
            return Err(HttpError::new(ErrorCode::Conflict, format!("sandbox {} already exists", entry.id)));
        }
        map.insert(entry.id.clone(), entry);
        Ok(())
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

    #[test]
    fn a_new_entry_is_running_and_terminates() {
        let e = SandboxEntry::new(
            "sbx_1".into(),
            "ses_1".into(),
            7,
            SandboxPaths::new(std::path::Path::new("/r"), "sbx_1"),
            [0; 32],
            None,
        );
        let info = e.info();
        assert_eq!((info.status, info.created_at, info.exit_code), (Running, 7, None));
        e.set_failed("no bwrap".into());
        assert_eq!(e.info().message.as_deref(), Some("no bwrap"));
        e.set_terminated();
        assert!(e.is_terminated());
        assert_eq!(e.info().status, Terminated);
    }
}
