//! OpenCode as the supervisor runs it: the process (watched for exits), its HTTP client, the
//! one OpenCode session this sandbox uses (kept across restarts and snapshot restores), and the
//! event subscription, made before any prompt is sent.

use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::opencode::client::OpencodeClient;
use crate::opencode::config::{OpencodeDirs, SupervisorLinks};
use crate::opencode::warmup::{self, WarmupModel};
use crate::opencode::{ids, process};

/// Why OpenCode exited.
#[derive(Debug, Clone)]
pub struct Exit(pub String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Agent {
    pub client: OpencodeClient,
    pub session_id: String,
    pub version: String,
    /// Where the last start's time went (`listening 1.9 s, session 0.2 s, warm 0.4 s`).
    pub startup: String,
    pid: Option<u32>,
    generation: u64,
    exits_tx: mpsc::UnboundedSender<(u64, Exit)>,
    exits: mpsc::UnboundedReceiver<(u64, Exit)>,
    frames: mpsc::UnboundedSender<serde_json::Value>,
    events_task: Option<tokio::task::JoinHandle<()>>,
    /// The stub model OpenCode's warm-up prompt goes to; none when it could not start.
    warmup: Option<WarmupModel>,
    /// The supervisor's model proxy (`http://127.0.0.1:{port}`) every provider is reached through.
    egress_url: String,
    /// This binary, which OpenCode runs as the agent's tool server; none when it cannot be found.
    tools_bin: Option<std::path::PathBuf>,
}

impl Agent {
    /// Starts OpenCode with its providers behind `egress_url` (see [`crate::egress`]).
    pub async fn start(
        config: &Config,
        frames: mpsc::UnboundedSender<serde_json::Value>,
        egress_url: &str,
    ) -> Result<Self> {
        let (exits_tx, exits) = mpsc::unbounded_channel();
        let mut agent = Self {
            client: OpencodeClient::new(String::new(), String::new()),
            session_id: String::new(),
            version: String::new(),
            startup: String::new(),
            pid: None,
            generation: 0,
            exits_tx,
            exits,
            frames,
            events_task: None,
            warmup: match warmup::start().await {
                Ok(model) => Some(model),
                Err(e) => {
                    tracing::warn!("the warm-up model did not start ({e:#}); the first prompt will be slower");
                    None
                }
            },
            egress_url: egress_url.to_string(),
            tools_bin: match std::env::current_exe() {
                Ok(bin) if bin.is_file() => Some(bin),
                other => {
                    tracing::warn!("the agent's tools are off: this binary's path is unknown ({other:?})");
                    None
                }
            },
        };
        agent.launch(config).await?;
        Ok(agent)
    }

    async fn launch(&mut self, config: &Config) -> Result<()> {
        self.generation += 1;
        let dirs = OpencodeDirs::under(&config.state_dir);
        let password = ids::random_hex(16);
        let log = config.state_dir.join("opencode.log");
        let agent_config = match &self.warmup {
            Some(model) => warmup::with_warmup_provider(&config.agent, &model.base_url),
            None => config.agent.clone(),
        };
        let began = std::time::Instant::now();
        let mut proc = process::start(
            &config.opencode_bin,
            &config.workspace,
            &agent_config,
            &dirs,
            &password,
            &log,
            SupervisorLinks { egress_url: &self.egress_url, tools_bin: self.tools_bin.as_deref() },
        )
        .await?;
        self.pid = proc.child.id();
        let (generation, exits) = (self.generation, self.exits_tx.clone());
        let mut child = proc.child;
        tokio::spawn(async move {
            let status = child.wait().await.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            let _ = exits.send((generation, Exit(status)));
        });
        let listening = began.elapsed();
        self.client = OpencodeClient::new(std::mem::take(&mut proc.url), password);
        self.version = self.client.health().await.context("OpenCode health")?;
        self.session_id = self.session(config).await?;
        let session = began.elapsed();
        let secs = |d: std::time::Duration| format!("{:.1} s", d.as_secs_f64());
        self.startup = format!("listening {}, session {}", secs(listening), secs(session - listening));
        // In the background: OpenCode's lazy start-up work (providers, agents, tools, then one
        // throwaway prompt). A prompt already waiting runs alongside it (and shares the work it
        // triggers) rather than after it.
        let client = self.client.clone();
        let prompt = self.warmup.is_some();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            client.warm().await;
            if !prompt {
                return;
            }
            match client.warm_prompt().await {
                Ok(()) => tracing::info!("OpenCode warmed up with a throwaway prompt in {:?}", started.elapsed()),
                Err(e) => tracing::warn!("OpenCode's warm-up prompt failed: {e:#}"),
            }
        });
        if let Some(old) = self.events_task.take() {
            old.abort();
        }
        self.events_task = Some(self.client.subscribe(self.frames.clone()).await?);
        Ok(())
    }

    /// The sandbox's OpenCode session: the one recorded in the state directory if OpenCode
    /// still has it (after a restart or a snapshot restore), else a new one.
    async fn session(&self, config: &Config) -> Result<String> {
        let file = config.state_dir.join("opencode-session-id");
        if let Ok(id) = std::fs::read_to_string(&file) {
            let id = id.trim().to_string();
            if !id.is_empty() && self.client.session_exists(&id).await {
                return Ok(id);
            }
        }
        let id = self.client.create_session(&format!("Open Inspect {}", config.session_id)).await?;
        std::fs::write(&file, &id)?;
        Ok(id)
    }

    /// Waits for the current OpenCode process to exit (earlier processes are ignored).
    pub async fn exited(&mut self) -> Exit {
        loop {
            match self.exits.recv().await {
                Some((generation, exit)) if generation == self.generation => return exit,
                Some(_) => continue,
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// The ports OpenCode and the warm-up model listen on now (OpenCode's changes on a restart).
    pub fn ports(&self) -> Vec<u16> {
        let warmup = self.warmup.as_ref().map(|model| model.base_url.as_str());
        [Some(self.client.base_url()), warmup].into_iter().flatten().filter_map(crate::preview::port_of).collect()
    }

    pub async fn restart(&mut self, config: &Config) -> Result<()> {
        self.stop().await;
        self.launch(config).await
    }

    /// Stops OpenCode and everything it started: SIGTERM to its group, SIGKILL after 5 s.
    pub async fn stop(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        // A new generation, so the exit this causes is not taken for a crash.
        self.generation += 1;
        // OpenCode's own process group (it may be empty already).
        let pid = Pid::from_raw(pid as i32);
        let _ = killpg(pid, Signal::SIGTERM);
        let gone = tokio::time::timeout(Duration::from_secs(5), async {
            // No signal: only whether the process still exists.
            while kill(pid, None).is_ok() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        if gone.is_err() {
            let _ = killpg(pid, Signal::SIGKILL);
        }
        if let Some(task) = self.events_task.take() {
            task.abort();
        }
    }
}
