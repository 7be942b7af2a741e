//! The sandbox's life as the Durable Object drives it: ask the provider for one when a prompt
//! needs it (from the alarm, so the prompt's request returns at once), and terminate it when
//! the session is deleted or the sandbox replaced.

use oi_protocol::events::{EventBody, Notice, NoticeLevel, SandboxStatusChanged};
use oi_protocol::provider::{BootMode, CreateSandbox};
use oi_protocol::{PromptStatus, SandboxStatus};
use oi_session_core::lifecycle::{spawn_decision, SpawnDecision};
use worker::Result;

use super::SessionObject;
use crate::provider_client::ProviderClient;
use crate::{config, ids};

impl SessionObject {
    fn spawn_needed(&self) -> Result<Option<super::store::Meta>> {
        let Some(meta) = self.store.meta()? else {
            return Ok(None);
        };
        let waiting = self
            .store
            .unfinished_prompts()?
            .iter()
            .any(|p| p.status == PromptStatus::Queued);
        let provider = config::sandbox_provider(&self.env).is_some();
        Ok((spawn_decision(meta.sandbox_status, waiting, provider) == SpawnDecision::Spawn).then_some(meta))
    }

    /// Called when a prompt is queued: schedules the alarm that spawns a sandbox, if needed.
    pub(super) fn request_sandbox(&self) -> Result<()> {
        if self.spawn_needed()?.is_some() {
            let storage = self.state.storage();
            self.state.wait_until(async move {
                if let Err(e) = storage.set_alarm(0).await {
                    worker::console_error!("set alarm: {e}");
                }
            });
        }
        Ok(())
    }

    /// The alarm: spawn a sandbox if the session still needs one.
    pub(super) async fn on_alarm(&self) -> Result<()> {
        let Some(meta) = self.spawn_needed()? else {
            return Ok(());
        };
        let Some(client) = ProviderClient::from_env(&self.env) else {
            return Ok(());
        };
        let sandbox_id = ids::new_id("sbx");
        let token = ids::new_token();
        self.store
            .set_sandbox(&sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
        self.record(EventBody::SandboxStatus(SandboxStatusChanged {
            status: SandboxStatus::Spawning,
            sandbox_id: Some(sandbox_id.clone()),
            message: Some("starting a sandbox".into()),
        }))?;
        let request = CreateSandbox {
            session_id: meta.summary.id.clone(),
            sandbox_id: sandbox_id.clone(),
            repo: meta.summary.repo.clone(),
            branch: meta.summary.branch.clone(),
            control_plane_url: config::control_plane_url(&self.env),
            sandbox_token: token,
            agent: config::agent_config(&self.env, &meta.summary.model),
            env: Default::default(),
            boot_mode: BootMode::Fresh,
            image_id: None,
        };
        if let Err(why) = client.create(&request).await {
            // Only if no newer sandbox was asked for meanwhile.
            if let Some(meta) = self.store.meta()? {
                if meta.sandbox_id.as_deref() == Some(sandbox_id.as_str()) {
                    self.set_sandbox_status(&meta, SandboxStatus::Failed, Some(why.clone()))?;
                    self.record(EventBody::Notice(Notice {
                        level: NoticeLevel::Error,
                        message: format!("could not start a sandbox: {why}"),
                    }))?;
                }
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
