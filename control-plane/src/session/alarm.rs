//! The alarm and the provider calls of the sandbox's life: gather the facts (the provider's
//! capabilities, cached; the repo image, when a start may be due), ask
//! `oi_session_core::lifecycle::decide`, call the provider, and record what happened through
//! the `lifecycle` part. Then set the alarm to `next_alarm`.

use std::collections::BTreeMap;

use oi_protocol::events::NoticeLevel;
use oi_protocol::provider::{BootMode, ClaimSandbox, CreateSandbox, ProviderCapabilities, RestoreSandbox};
use oi_session_core::lifecycle::{
    decide, may_start, next_alarm, Action, Facts, Millis, StartFrom, StartPlan, StopPlan,
};
use worker::Result;

use super::store::Meta;
use super::{lifecycle, SessionObject};
use crate::http::Outcome;
use crate::provider_client::{ProviderClient, ProviderError};
use crate::{config, ids};

/// How long the provider's declared capabilities are trusted before asking again.
const CAPABILITIES_TTL: Millis = 10 * 60_000;
/// At most this many decisions per alarm (each does at most one sandbox action).
const MAX_STEPS: usize = 4;
/// When the queue did not take a notice, the alarm tries again this much later.
const NOTICE_RETRY_MS: Millis = 30_000;

impl SessionObject {
    fn settings(&self) -> lifecycle::Settings {
        lifecycle::Settings {
            provider_configured: config::sandbox_provider(&self.env).is_some(),
            min_generation: config::min_runtime_generation(&self.env),
        }
    }

    /// The facts as stored (the provider's capabilities as last cached; no repo image).
    fn stored_facts(&self) -> Result<Option<Facts>> {
        let clients = {
            self.load_sockets();
            self.sockets.borrow().any_client()
        };
        lifecycle::facts(&self.store, self.settings(), self.bridge_connected(), clients)
    }

    /// The facts to decide on: fresh capabilities, and the repo image when a start may be due.
    async fn facts_to_decide(&self, client: Option<&ProviderClient>) -> Result<Option<Facts>> {
        if let Some(client) = client {
            self.refresh_capabilities(client).await;
        }
        let Some(mut facts) = self.stored_facts()? else { return Ok(None) };
        let now = ids::now_ms();
        if facts.capabilities.images && may_start(&facts, &config::lifecycle_timing(&self.env), now) {
            let (repo, branch) =
                self.meta().map(|m| (m.summary.repo, m.summary.branch)).map_err(super::worker_error)?;
            facts.image = crate::images::ready_for(&self.env, &repo, &branch).await.ok().flatten().map(|i| i.image_id);
        }
        Ok(Some(facts))
    }

    /// Asks for the alarm to be reconsidered at the end of this event.
    pub(super) async fn reschedule_if_wanted(&self) -> Result<()> {
        if self.reschedule_wanted.replace(false) {
            self.reschedule().await?;
        }
        Ok(())
    }

    /// Sets the alarm to the next deadline (or clears it).
    async fn reschedule(&self) -> Result<()> {
        let Some(facts) = self.stored_facts()? else { return Ok(()) };
        let now = ids::now_ms();
        let storage = self.state.storage();
        // Notices the queue did not take are tried again (the alarm is shared).
        let notices = self.notices_waiting().then_some(now + NOTICE_RETRY_MS);
        let lifecycle = next_alarm(&facts, &config::lifecycle_timing(&self.env), now);
        match lifecycle.into_iter().chain(notices).min() {
            Some(at) => storage.set_alarm((at - now).max(0)).await,
            None => storage.delete_alarm().await,
        }
    }

    /// The alarm: act on every deadline that has passed, then look again later.
    pub(super) async fn on_alarm(&self) -> Result<()> {
        if self.notices_waiting() {
            self.send_notices();
        }
        let timing = config::lifecycle_timing(&self.env);
        let client = ProviderClient::from_env(&self.env);
        for _ in 0..MAX_STEPS {
            let Some(facts) = self.facts_to_decide(client.as_ref()).await? else { return Ok(()) };
            match decide(&facts, &timing, ids::now_ms()) {
                Action::Nothing => break,
                Action::Blocked { until } => {
                    self.step(|turn| lifecycle::report_blocked(turn, until, &timing))?;
                    break;
                }
                Action::Start(plan) => self.start_sandbox(client.as_ref(), plan).await?,
                Action::Stop(plan) => self.stop_sandbox(client.as_ref(), plan).await?,
                Action::Extend { until } => self.step(|turn| lifecycle::extend(turn, until))?,
                Action::Snapshot => self.snapshot_sandbox(client.as_ref()).await?,
                Action::TimeOut => self.step(|turn| lifecycle::time_out(turn, &timing))?,
            }
        }
        self.reschedule().await
    }

    /// The provider's declared capabilities, asked again when ten minutes old.
    async fn refresh_capabilities(&self, client: &ProviderClient) {
        let row = self.store.lifecycle().unwrap_or_default();
        let now = ids::now_ms();
        if row.capabilities.is_some() && row.capabilities_at.is_some_and(|at| now - at < CAPABILITIES_TTL) {
            return;
        }
        if let Ok(health) = client.health().await {
            let _ = self.store.set_capabilities(&health.capabilities, now);
        }
    }

    fn capabilities(&self) -> ProviderCapabilities {
        self.store.lifecycle().ok().and_then(|r| r.capabilities).unwrap_or_default()
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
            work_branch: meta.summary.work_branch.clone(),
        }
    }

    async fn start_sandbox(&self, client: Option<&ProviderClient>, plan: StartPlan) -> Result<()> {
        let Some(client) = client else { return Ok(()) };
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        let timing = config::lifecycle_timing(&self.env);
        let (sandbox_id, token) = self.step(|turn| lifecycle::begin_start(turn, &plan))?;
        let failed =
            |error: ProviderError| self.step(|turn| lifecycle::spawn_failed(turn, &sandbox_id, &error, &timing));
        // The repository's secrets, as environment variables (never logged).
        let secrets = match crate::secrets::sandbox_env(&self.env, &meta.summary.repo).await {
            Ok(secrets) => {
                let told =
                    oi_session_core::secrets::provenance::notice(&secrets.provenance, &meta.summary.created_by.id);
                if let Some((level, text)) = told {
                    self.step(|turn| turn.notice(level, text))?;
                }
                secrets.env
            }
            Err(why) => {
                return failed(ProviderError { message: format!("the sandbox's secrets: {why}"), transient: false })
            }
        };
        let fresh = self.create_request(&meta, &sandbox_id, &token, BootMode::Fresh, &secrets);
        let result = match plan.from {
            StartFrom::Restore(snapshot) => {
                let sandbox = CreateSandbox { boot_mode: BootMode::SnapshotRestore, ..fresh };
                client.restore(&RestoreSandbox { snapshot_id: snapshot.snapshot_id, sandbox }).await
            }
            StartFrom::Image(image_id) => {
                let from_image =
                    CreateSandbox { boot_mode: BootMode::RepoImage, image_id: Some(image_id.clone()), ..fresh.clone() };
                match client.create(&from_image).await {
                    // The image vanished or is unusable: start without it.
                    Err(e) if !e.transient => {
                        let why = format!("repo image {image_id} unusable ({e}); starting fresh");
                        self.step(|turn| turn.notice(NoticeLevel::Warning, why))?;
                        client.create(&fresh).await
                    }
                    other => other,
                }
            }
            StartFrom::Fresh => client.create(&fresh).await,
        };
        match result {
            Ok(_) => Ok(()),
            Err(error) => failed(error),
        }
    }

    /// Takes over a warm-pool sandbox the Worker claimed for this session: the provider hands
    /// it the session's token, branch and model, and it connects like any other.
    pub(super) async fn adopt_sandbox(&self, sandbox_id: &str) -> Outcome<()> {
        let (Some(meta), Some(client)) = (self.store.meta()?, ProviderClient::from_env(&self.env)) else {
            return Ok(());
        };
        let token = self.step(|turn| lifecycle::adopt(turn, sandbox_id))?;
        let claim = ClaimSandbox {
            session_id: meta.summary.id.clone(),
            sandbox_token: token,
            control_plane_url: config::control_plane_url(&self.env),
            branch: meta.summary.branch.clone(),
            agent: config::agent_config(&self.env, &meta.summary.model),
        };
        if let Err(e) = client.claim(sandbox_id, &claim).await {
            self.step(|turn| lifecycle::adopt_failed(turn, &e))?;
        }
        Ok(())
    }

    async fn snapshot_sandbox(&self, client: Option<&ProviderClient>) -> Result<()> {
        self.store.set_snapshot_due(false)?;
        let (Some(client), Some(sandbox_id)) = (client, self.store.meta()?.and_then(|m| m.sandbox_id)) else {
            return Ok(());
        };
        match client.snapshot(&sandbox_id).await {
            Ok(info) => self.step(|turn| lifecycle::snapshot_saved(turn, info)),
            Err(e) => self.step(|turn| {
                turn.notice(NoticeLevel::Warning, format!("snapshot failed (the previous one is kept): {e}"))
            }),
        }
    }

    async fn stop_sandbox(&self, client: Option<&ProviderClient>, plan: StopPlan) -> Result<()> {
        let Some(sandbox_id) = self.step(lifecycle::stopping)? else { return Ok(()) };
        if let (true, Some(client)) = (plan.snapshot_first && self.capabilities().snapshot, client) {
            match client.snapshot(&sandbox_id).await {
                Ok(info) => self.step(|turn| lifecycle::snapshot_saved(turn, info))?,
                Err(e) => self
                    .step(|turn| turn.notice(NoticeLevel::Warning, format!("snapshot before stopping failed: {e}")))?,
            }
        }
        if let Some(client) = client {
            if let Err(e) = client.terminate(&sandbox_id).await {
                worker::console_log!("terminate {sandbox_id}: {e}");
            }
        }
        let timing = config::lifecycle_timing(&self.env);
        self.step(|turn| lifecycle::stopped(turn, &sandbox_id, &plan, &timing))
    }

    /// Asks the provider to terminate a sandbox, in the background; errors are logged.
    pub(super) fn terminate_sandbox(&self, sandbox_id: String) {
        let Some(client) = ProviderClient::from_env(&self.env) else { return };
        self.state.wait_until(async move {
            if let Err(e) = client.terminate(&sandbox_id).await {
                worker::console_log!("terminate {sandbox_id}: {e}");
            }
        });
    }
}
