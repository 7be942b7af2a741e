//! The sandbox's life as the Durable Object drives it. Every deadline runs from the one
//! persisted alarm: it gathers the persisted facts, asks `oi_session_core::lifecycle::decide`
//! what to do, does it (provider calls, events), and sets the alarm for the next deadline.

use std::collections::BTreeMap;

use oi_protocol::events::{EventBody, Notice, NoticeLevel, PromptOutcome, SandboxStatusChanged};
use oi_protocol::provider::{BootMode, ClaimSandbox, CreateSandbox, ProviderCapabilities, RestoreSandbox};
use oi_protocol::{PromptStatus, SandboxStatus};
use oi_session_core::lifecycle::{decide, next_alarm, Action, Facts, Millis, SnapshotRef, Start, StopReason};
use worker::Result;

use super::store::Meta;
use super::SessionObject;
use crate::provider_client::{ProviderClient, ProviderError};
use crate::{config, ids};

/// How long the provider's declared capabilities are trusted before asking again.
const CAPABILITIES_TTL: Millis = 10 * 60_000;
/// At most this many decisions per alarm (each does at most one sandbox action).
const MAX_STEPS: usize = 4;

impl SessionObject {
    fn facts(&self, meta: &Meta) -> Result<Facts> {
        let row = self.store.lifecycle()?;
        let unfinished = self.store.unfinished_prompts()?;
        Ok(Facts {
            provider_configured: config::sandbox_provider(&self.env).is_some(),
            status: meta.sandbox_status,
            bridge_connected: self.bridge_socket(meta).is_some(),
            requested_at: row.requested_at,
            last_heartbeat: row.last_heartbeat,
            last_activity: row.last_activity,
            extended_until: row.extended_until,
            work_waiting: unfinished.iter().any(|p| p.status == PromptStatus::Queued),
            running_since: self.store.running_since()?,
            warm_requested_at: row.warm_requested_at,
            ran_prompt: row.ran_prompt != 0,
            clients_connected: !self.clients().is_empty(),
            snapshot: row.snapshot(),
            min_generation: config::min_runtime_generation(&self.env),
            spawn_failures: row.failures(),
            retry_at: row.retry_at,
            snapshot_due: row.snapshot_due != 0,
            blocked_reported: row.blocked_reported,
        })
    }

    /// Asks for the alarm to be reconsidered at the end of this event (a deadline may have
    /// moved earlier: work queued, a sandbox asked for or ready, a prompt started or ended).
    pub(super) fn lifecycle_changed(&self) {
        self.reschedule_wanted.set(true);
    }

    /// Sets the alarm to the next deadline (or clears it), if something changed.
    pub(super) async fn reschedule_if_wanted(&self) -> Result<()> {
        if self.reschedule_wanted.replace(false) {
            self.reschedule().await?;
        }
        Ok(())
    }

    async fn reschedule(&self) -> Result<()> {
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        let now = ids::now_ms();
        let storage = self.state.storage();
        match next_alarm(&self.facts(&meta)?, &config::lifecycle_timing(&self.env), now) {
            Some(at) => storage.set_alarm((at - now).max(0)).await,
            None => storage.delete_alarm().await,
        }
    }

    /// The alarm: act on every deadline that has passed, then look again later.
    pub(super) async fn on_alarm(&self) -> Result<()> {
        let timing = config::lifecycle_timing(&self.env);
        for _ in 0..MAX_STEPS {
            let Some(meta) = self.store.meta()? else { return Ok(()) };
            let action = decide(&self.facts(&meta)?, &timing, ids::now_ms());
            match action {
                Action::Nothing => break,
                Action::Blocked { until } => {
                    self.report_blocked(until)?;
                    break;
                }
                Action::Start(start) => self.start_sandbox(&meta, start).await?,
                Action::Stop(reason) => self.stop_sandbox(&meta, reason).await?,
                Action::Extend { until } => {
                    self.store.extend(until)?;
                    self.notice(
                        NoticeLevel::Info,
                        "the idle sandbox is kept for 5 more minutes while someone is watching",
                    )?;
                }
                Action::Snapshot => self.snapshot_sandbox(&meta).await?,
                Action::TimeOut => self.time_out(&timing)?,
            }
        }
        self.reschedule().await
    }

    pub(super) fn notice(&self, level: NoticeLevel, message: impl Into<String>) -> Result<()> {
        self.record(EventBody::Notice(Notice { level, message: message.into() })).map(drop)
    }

    fn sandbox_event(&self, status: SandboxStatus, sandbox_id: Option<String>, message: String) -> Result<()> {
        self.record(EventBody::SandboxStatus(SandboxStatusChanged { status, sandbox_id, message: Some(message) }))
            .map(drop)
    }

    /// The provider's declared capabilities, cached for ten minutes.
    async fn capabilities(&self, client: &ProviderClient) -> ProviderCapabilities {
        let row = self.store.lifecycle().unwrap_or_default();
        let now = ids::now_ms();
        if let (Some(caps), Some(at)) = (row.capabilities(), row.capabilities_at) {
            if now - at < CAPABILITIES_TTL {
                return caps;
            }
        }
        match client.health().await {
            Ok(health) => {
                let _ = self.store.set_capabilities(&health.capabilities, now);
                health.capabilities
            }
            Err(_) => row.capabilities().unwrap_or_default(),
        }
    }

    fn create_request(
        &self,
        meta: &Meta,
        sandbox_id: &str,
        token: &str,
        boot_mode: BootMode,
        secrets: &BTreeMap<String, String>,
    ) -> CreateSandbox {
        let heartbeat = (config::lifecycle_timing(&self.env).heartbeat_stale / 3).max(1_000);
        let mut env = secrets.clone();
        env.insert("OI_HEARTBEAT_MS".to_string(), heartbeat.to_string());
        CreateSandbox {
            session_id: meta.summary.id.clone(),
            sandbox_id: sandbox_id.to_string(),
            repo: meta.summary.repo.clone(),
            branch: meta.summary.branch.clone(),
            control_plane_url: config::control_plane_url(&self.env),
            sandbox_token: token.to_string(),
            agent: config::agent_config(&self.env, &meta.summary.model),
            env,
            boot_mode,
            image_id: None,
            pool: false,
            network_allow: config::network_allow(&self.env, &meta.summary.repo),
        }
    }

    async fn start_sandbox(&self, meta: &Meta, start: Start) -> Result<()> {
        let Some(client) = ProviderClient::from_env(&self.env) else {
            return Ok(());
        };
        let caps = self.capabilities(&client).await;
        let restore = match start {
            Start::Restore(s) if caps.restore => Some(s),
            Start::Restore(_) | Start::Fresh => None,
            Start::RefuseSnapshot { snapshot, floor } => {
                self.notice(
                    NoticeLevel::Warning,
                    format!(
                        "snapshot {} was taken with runtime generation {} and the floor is {floor}: it is not \
                         restored; a fresh sandbox starts from the pushed session branch",
                        snapshot.snapshot_id, snapshot.generation
                    ),
                )?;
                self.store.set_snapshot(None)?;
                None
            }
        };
        let sandbox_id = ids::new_id("sbx");
        let token = ids::new_token();
        let now = ids::now_ms();
        self.store.set_sandbox(&sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
        self.store.sandbox_requested(now)?;
        let message = match &restore {
            Some(s) => format!("restoring snapshot {}", s.snapshot_id),
            None => "starting a sandbox".to_string(),
        };
        self.sandbox_event(SandboxStatus::Spawning, Some(sandbox_id.clone()), message)?;
        // The repository's secrets, as environment variables (never logged).
        let secrets = match crate::secrets::sandbox_env(&self.env, &meta.summary.repo).await {
            Ok(secrets) => secrets,
            Err(why) => {
                let error = ProviderError { message: format!("the sandbox's secrets: {why}"), transient: false };
                self.spawn_failed(&sandbox_id, error)?;
                return Ok(());
            }
        };
        let result = match &restore {
            Some(s) => {
                let sandbox = self.create_request(meta, &sandbox_id, &token, BootMode::SnapshotRestore, &secrets);
                client.restore(&RestoreSandbox { snapshot_id: s.snapshot_id.clone(), sandbox }).await
            }
            None => {
                // From the newest repo image when there is one (setup.sh already ran in it).
                let image = if caps.images {
                    crate::images::ready_for(&self.env, &meta.summary.repo, &meta.summary.branch).await.ok().flatten()
                } else {
                    None
                };
                let fresh = self.create_request(meta, &sandbox_id, &token, BootMode::Fresh, &secrets);
                match image {
                    Some(image) => {
                        let from_image = CreateSandbox {
                            boot_mode: BootMode::RepoImage,
                            image_id: Some(image.image_id.clone()),
                            ..fresh.clone()
                        };
                        match client.create(&from_image).await {
                            // The image vanished or is unusable: start without it.
                            Err(e) if !e.transient => {
                                self.notice(
                                    NoticeLevel::Warning,
                                    format!("repo image {} unusable ({e}); starting fresh", image.image_id),
                                )?;
                                client.create(&fresh).await
                            }
                            other => other,
                        }
                    }
                    None => client.create(&fresh).await,
                }
            }
        };
        if let Err(error) = result {
            self.spawn_failed(&sandbox_id, error)?;
        }
        Ok(())
    }

    /// Takes over a warm-pool sandbox the Worker claimed for this session: the provider hands
    /// it the session's token, branch and model, and it connects like any other.
    pub(super) async fn adopt_sandbox(&self, sandbox_id: &str) -> Result<()> {
        let (Some(meta), Some(client)) = (self.store.meta()?, ProviderClient::from_env(&self.env)) else {
            return Ok(());
        };
        let token = ids::new_token();
        self.store.set_sandbox(sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
        self.store.sandbox_requested(ids::now_ms())?;
        self.lifecycle_changed();
        self.sandbox_event(SandboxStatus::Spawning, Some(sandbox_id.to_string()), "claimed a warm sandbox".into())?;
        let claim = ClaimSandbox {
            session_id: meta.summary.id.clone(),
            sandbox_token: token,
            control_plane_url: config::control_plane_url(&self.env),
            branch: meta.summary.branch.clone(),
            agent: config::agent_config(&self.env, &meta.summary.model),
        };
        if let Err(e) = client.claim(sandbox_id, &claim).await {
            // Back to no sandbox: the first prompt starts one the usual way.
            self.set_sandbox_status(
                &meta,
                SandboxStatus::None,
                Some(format!("the warm sandbox could not be claimed: {e}")),
            )?;
        }
        Ok(())
    }

    /// A spawn failed: retry a transient failure later; fail the waiting prompts and count a
    /// permanent one toward the circuit breaker.
    fn spawn_failed(&self, sandbox_id: &str, error: ProviderError) -> Result<()> {
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        if meta.sandbox_id.as_deref() != Some(sandbox_id) {
            return Ok(()); // A newer sandbox was asked for meanwhile.
        }
        let now = ids::now_ms();
        if error.transient {
            self.store.retry_at(Some(now + config::lifecycle_timing(&self.env).transient_retry))?;
            self.set_sandbox_status(&meta, SandboxStatus::Failed, Some(format!("{error}; retrying shortly")))?;
            return Ok(());
        }
        self.store.spawn_failed(now)?;
        self.set_sandbox_status(&meta, SandboxStatus::Failed, Some(error.message.clone()))?;
        self.notice(NoticeLevel::Error, format!("could not start a sandbox: {error}"))?;
        self.fail_all_waiting(&format!("could not start a sandbox: {error}"))
    }

    fn fail_all_waiting(&self, why: &str) -> Result<()> {
        for p in self.store.unfinished_prompts()? {
            if p.status == PromptStatus::Queued {
                self.fail_waiting(&p.message_id, why)?;
            }
        }
        Ok(())
    }

    fn report_blocked(&self, until: Millis) -> Result<()> {
        if self.store.lifecycle()?.blocked_reported == Some(until) {
            return Ok(());
        }
        self.store.blocked_reported(until)?;
        let timing = config::lifecycle_timing(&self.env);
        let wait_s = ((until - ids::now_ms()).max(0) + 999) / 1000;
        self.notice(
            NoticeLevel::Error,
            format!(
                "sandbox starts are paused after {} failures within {}; waiting prompts start in {wait_s} s",
                timing.breaker_failures,
                human(timing.breaker_window)
            ),
        )
    }

    async fn snapshot_sandbox(&self, meta: &Meta) -> Result<()> {
        self.store.set_snapshot_due(false)?;
        let (Some(client), Some(sandbox_id)) = (ProviderClient::from_env(&self.env), meta.sandbox_id.clone()) else {
            return Ok(());
        };
        if !self.capabilities(&client).await.snapshot {
            return Ok(());
        }
        match client.snapshot(&sandbox_id).await {
            Ok(info) => self.saved(info),
            Err(e) => self.notice(NoticeLevel::Warning, format!("snapshot failed (the previous one is kept): {e}")),
        }
    }

    fn saved(&self, info: oi_protocol::provider::SnapshotInfo) -> Result<()> {
        let size = info.size_bytes.map(|b| format!(", {} KiB", b / 1024)).unwrap_or_default();
        self.notice(NoticeLevel::Info, format!("saved snapshot {}{size}", info.snapshot_id))?;
        self.store
            .set_snapshot(Some(&SnapshotRef { snapshot_id: info.snapshot_id, generation: info.runtime_generation }))
    }

    async fn stop_sandbox(&self, meta: &Meta, reason: StopReason) -> Result<()> {
        let Some(sandbox_id) = meta.sandbox_id.clone() else {
            return Ok(());
        };
        let client = ProviderClient::from_env(&self.env);
        let timing = config::lifecycle_timing(&self.env);
        self.set_sandbox_status(meta, SandboxStatus::Stopping, None)?;
        let ran_prompt = self.store.lifecycle()?.ran_prompt != 0;
        // Snapshot what is there first (after a prompt ran): an idle sandbox, or a silent one
        // whose files are still on disk.
        if matches!(reason, StopReason::Inactive | StopReason::HeartbeatStale) && ran_prompt {
            if let Some(client) = &client {
                if self.capabilities(client).await.snapshot {
                    match client.snapshot(&sandbox_id).await {
                        Ok(info) => self.saved(info)?,
                        Err(e) => self.notice(NoticeLevel::Warning, format!("snapshot before stopping failed: {e}"))?,
                    }
                }
            }
        }
        if let Some(client) = &client {
            if let Err(e) = client.terminate(&sandbox_id).await {
                worker::console_log!("terminate {sandbox_id}: {e}");
            }
        }
        for ws in self.state.get_websockets_with_tag(super::sockets::BRIDGE_TAG) {
            let _ = ws.close(Some(super::bridge::CLOSE_REPLACED), Some("sandbox stopped"));
        }
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        if meta.sandbox_id.as_deref() != Some(sandbox_id.as_str()) {
            return Ok(());
        }
        self.store.revoke_sandbox_token()?;
        let (status, message) = match reason {
            StopReason::Inactive => {
                (SandboxStatus::Stopped, format!("stopped after {} without activity", human(timing.inactivity)))
            }
            StopReason::WarmUnused => {
                (SandboxStatus::Stopped, "released: it was started early but no prompt came".to_string())
            }
            StopReason::HeartbeatStale => (
                SandboxStatus::Stopped,
                format!(
                    "stopped responding for {}; a new sandbox restores the last snapshot",
                    human(timing.heartbeat_stale)
                ),
            ),
            StopReason::ConnectTimeout => {
                (SandboxStatus::Failed, format!("did not become ready within {}", human(timing.connect_watchdog)))
            }
        };
        self.set_sandbox_status(&meta, status, Some(message.clone()))?;
        match reason {
            StopReason::HeartbeatStale => {
                // The prompt it held cannot finish there.
                for p in self.store.unfinished_prompts()? {
                    if oi_session_core::queue::is_active(p.status) {
                        self.finish(&p.message_id, PromptOutcome::Failed, Some(format!("the sandbox {message}")))?;
                    }
                }
            }
            StopReason::ConnectTimeout => {
                self.store.spawn_failed(ids::now_ms())?;
                self.fail_all_waiting(&format!("the sandbox {message}"))?;
            }
            StopReason::Inactive | StopReason::WarmUnused => {}
        }
        Ok(())
    }

    /// The running prompt has run too long: stop it.
    fn time_out(&self, timing: &oi_session_core::lifecycle::Timing) -> Result<()> {
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        for p in self.store.unfinished_prompts()? {
            if oi_session_core::queue::is_active(p.status) {
                if let Some(bridge) = self.bridge_socket(&meta) {
                    let _ = self
                        .send(&bridge, &oi_protocol::bridge::BridgeCommand::Stop { message_id: p.message_id.clone() });
                }
                let limit = human(timing.execution_timeout);
                self.finish(&p.message_id, PromptOutcome::Failed, Some(format!("the prompt ran longer than {limit}")))?;
            }
        }
        Ok(())
    }

    /// Asks the provider to terminate a sandbox, in the background; errors are logged.
    pub(super) fn terminate_sandbox(&self, sandbox_id: String) {
        let Some(client) = ProviderClient::from_env(&self.env) else {
            return;
        };
        self.state.wait_until(async move {
            if let Err(e) = client.terminate(&sandbox_id).await {
                worker::console_log!("terminate {sandbox_id}: {e}");
            }
        });
    }
}

/// A duration for people: `90 s`, `10 min`.
fn human(ms: Millis) -> String {
    if ms < 120_000 {
        format!("{} s", (ms + 999) / 1000)
    } else {
        format!("{} min", ms / 60_000)
    }
}
