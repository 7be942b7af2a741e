//! The supervisor's life: connect the bridge, boot, start OpenCode, then run prompts one at a
//! time until the control plane ends the sandbox. OpenCode is restarted (with backoff, at most
//! five times) if it dies; each prompt's work is committed and pushed before it is reported
//! finished.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use oi_protocol::bridge::{AgentEvent, BridgeCommand};
use oi_protocol::events::{Commit, LogLine, LogSource, NoticeLevel, PromptFinished, PromptOutcome};
use oi_protocol::provider::{BootMode, ClaimSandbox};
use oi_protocol::source_control::CommitAttribution;
use oi_protocol::User;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::agent::{Agent, Exit};
use crate::boot::{self, log, notice, StderrReport};
use crate::boot_plan::GitSync;
use crate::bridge::{self, BridgeHandle, Inbound};
use crate::config::Config;
use crate::egress::{Egress, ProxyTarget, PushRequest};
use crate::git;
use crate::network::Network;
use crate::opencode::ids;
use crate::opencode::process::{restart_delay, MAX_RESTARTS};
use crate::translate::{Output, RunEnded, Translator};

/// How long the supervisor waits for its last events to be acknowledged before it exits.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
struct Prompt {
    message_id: String,
    text: String,
    author: User,
    model: String,
    attribution: Option<Box<CommitAttribution>>,
}

struct Run {
    config: Config,
    bridge: BridgeHandle,
    agent: Agent,
    frames: mpsc::UnboundedReceiver<serde_json::Value>,
    /// The pull-request tool's requests to push the running prompt's work first.
    push_requests: mpsc::UnboundedReceiver<PushRequest>,
    /// The running prompt whose work the pull-request tool already had pushed.
    pushed_early: Option<String>,
    translator: Translator,
    current: Option<Prompt>,
    queue: VecDeque<Prompt>,
    seen: HashSet<String>,
    restarts: u32,
}

/// The isolated network, if the sandbox has one, and the refusals it reports.
pub type Isolation = Option<(Network, mpsc::UnboundedReceiver<String>)>;

/// In an isolated network, the control plane and an `http://` repository are reached through
/// loopback tunnels.
async fn through_tunnels(config: Config, network: &Network) -> anyhow::Result<Config> {
    let mut config = config;
    if !config.control_plane_url.is_empty() {
        config.control_plane_url = network.tunnel_url(&config.control_plane_url).await?;
        config.control_plane_url = config.control_plane_url.trim_end_matches('/').to_string();
    }
    if config.repo_url.starts_with("http://") {
        config.repo_url = network.tunnel_url(&config.repo_url).await?;
    }
    Ok(config)
}

/// Sends the network's refusals to the session's log (after the bridge exists).
fn report_refusals(refusals: Option<mpsc::UnboundedReceiver<String>>, bridge: &BridgeHandle) {
    let Some(mut refusals) = refusals else { return };
    let events = bridge.events();
    tokio::spawn(async move {
        while let Some(line) = refusals.recv().await {
            events.send(AgentEvent::Log(LogLine { source: LogSource::Supervisor, line }));
        }
    });
}

/// Runs the sandbox; returns the process exit code.
pub async fn run(config: Config, isolation: Isolation) -> i32 {
    let (network, refusals) = match isolation {
        Some((network, refusals)) => (Some(network), Some(refusals)),
        None => (None, None),
    };
    let config = match &network {
        Some(network) => match through_tunnels(config, network).await {
            Ok(config) => config,
            Err(e) => {
                eprintln!("sandbox-agent: the isolated network: {e:#}");
                return 1;
            }
        },
        None => config,
    };
    if config.boot_mode == BootMode::Build {
        if let Some(mut refusals) = refusals {
            tokio::spawn(async move {
                while let Some(line) = refusals.recv().await {
                    eprintln!("{line}");
                }
            });
        }
        return build_image(&config).await;
    }
    // The sandbox's egress (models and git), for the life of this process (across OpenCode
    // restarts and a warm-pool claim).
    let proxy = Egress::start(ProxyTarget::of(&config)).await;
    if config.pool {
        return match proxy {
            Ok(proxy) => run_pooled(config, &proxy, network.as_ref(), refusals).await,
            Err(e) => {
                eprintln!("pool boot failed: the sandbox's egress did not start: {e:#}");
                1
            }
        };
    }
    let bridge = bridge::start(&config);
    report_refusals(refusals, &bridge);
    let proxy = match proxy {
        Ok(proxy) => proxy,
        Err(e) => return fail(&bridge, format!("the sandbox's egress did not start: {e:#}")).await,
    };
    // Git goes through the egress too: the session's git endpoint on the control plane.
    let config = config.through_egress(proxy.base_url());
    let waits_for_git = crate::boot_plan::plan(config.boot_mode).agent_waits_for_git;
    if waits_for_git {
        if let Err(message) = boot::checkout(&config, &bridge).await {
            return fail(&bridge, message).await;
        }
    }
    // OpenCode starts while the rest of the boot runs; a prompt waits for both.
    let rest = async {
        if !waits_for_git {
            boot::checkout(&config, &bridge).await?;
        }
        boot::scripts(&config, &bridge).await
    };
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let (booted, agent) = tokio::join!(rest, Agent::start(&config, frames_tx, proxy.base_url()));
    let agent = match (booted, agent) {
        (Ok(()), Ok(agent)) => agent,
        (Err(message), agent) => {
            if let Ok(mut agent) = agent {
                agent.stop().await;
            }
            return fail(&bridge, message).await;
        }
        (Ok(()), Err(e)) => return fail(&bridge, format!("OpenCode did not start: {e:#}")).await,
    };
    let push_requests = proxy.push_requests();
    serve(config, bridge, agent, frames, push_requests).await
}

/// Reports the sandbox ready and runs prompts until the control plane ends it.
async fn serve(
    config: Config,
    bridge: BridgeHandle,
    agent: Agent,
    frames: mpsc::UnboundedReceiver<Value>,
    push_requests: mpsc::UnboundedReceiver<PushRequest>,
) -> i32 {
    log(&bridge, LogSource::Agent, format!("OpenCode {} ready ({})", agent.version, agent.startup));
    bridge.send(AgentEvent::Ready);
    let translator = Translator::new(agent.session_id.clone());
    let mut run = Run {
        config,
        bridge,
        agent,
        frames,
        push_requests,
        pushed_early: None,
        translator,
        current: None,
        queue: VecDeque::new(),
        seen: HashSet::new(),
        restarts: 0,
    };
    run.serve().await
}

/// `build` mode: clone and `setup.sh`, connected to nothing; the output is the build log.
/// Success writes `$OI_STATE_DIR/image.json` with the commit the image holds.
async fn build_image(config: &Config) -> i32 {
    if let Err(message) = boot::boot(config, &StderrReport).await {
        eprintln!("image build failed: {message}");
        return 1;
    }
    let sha = match git::head(config).await {
        Ok(sha) => sha,
        Err(e) => {
            eprintln!("image build failed: {e:#}");
            return 1;
        }
    };
    let record = serde_json::json!({ "base_sha": sha });
    if let Err(e) = std::fs::write(config.state_dir.join("image.json"), record.to_string()) {
        eprintln!("image build failed: cannot write image.json: {e}");
        return 1;
    }
    eprintln!("image build finished at {sha}");
    0
}

/// A warm-pool sandbox: boot and start OpenCode with nobody attached, wait for a claim, then
/// join the claiming session (its branch, its token, its bridge, its model proxy target) and
/// serve it.
async fn run_pooled(
    config: Config,
    proxy: &Egress,
    network: Option<&Network>,
    refusals: Option<mpsc::UnboundedReceiver<String>>,
) -> i32 {
    let warm_since = std::time::Instant::now();
    if let Err(message) = boot::boot(&config, &StderrReport).await {
        eprintln!("pool boot failed: {message}");
        return 1;
    }
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let mut agent = match Agent::start(&config, frames_tx, proxy.base_url()).await {
        Ok(agent) => agent,
        Err(e) => {
            eprintln!("pool boot failed: OpenCode did not start: {e:#}");
            return 1;
        }
    };
    eprintln!("warm; waiting for a claim at {}", config.claim_file().display());
    let claim = wait_for_claim(&config.claim_file()).await;
    let warm_for = warm_since.elapsed();
    let claimed = match config.claimed(&claim) {
        Ok(claimed) => claimed,
        Err(e) => {
            eprintln!("refusing the claim: {e:#}");
            return 1;
        }
    };
    // The claim names the control plane as seen from outside: tunnel to it too.
    let claimed = match network {
        Some(network) => match network.tunnel_url(&claimed.control_plane_url).await {
            Ok(url) => Config { control_plane_url: url.trim_end_matches('/').to_string(), ..claimed },
            Err(e) => {
                eprintln!("refusing the claim: {e:#}");
                return 1;
            }
        },
        None => claimed,
    };
    // From now on model and git requests go to the claiming session, with its token.
    proxy.set_target(ProxyTarget::of(&claimed));
    let claimed = claimed.through_egress(proxy.base_url());
    let bridge = bridge::start(&claimed);
    report_refusals(refusals, &bridge);
    log(&bridge, LogSource::Supervisor, format!("claimed from the warm pool (booted {} s before)", warm_for.as_secs()));
    match git::sync(&claimed, GitSync::FetchAndReset).await {
        Ok(line) => log(&bridge, LogSource::Git, line),
        Err(e) => return fail(&bridge, format!("git sync after the claim failed: {e:#}")).await,
    }
    // OpenCode's configuration names the model; restart it if the session's differs.
    if claimed.agent != config.agent {
        if let Err(e) = agent.restart(&claimed).await {
            return fail(&bridge, format!("OpenCode did not restart with the session's model: {e:#}")).await;
        }
    }
    serve(claimed, bridge, agent, frames, proxy.push_requests()).await
}

/// Waits for the provider to write the claim (atomically, so a readable file is complete).
async fn wait_for_claim(path: &std::path::Path) -> ClaimSandbox {
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            match serde_json::from_str(&text) {
                Ok(claim) => {
                    // It holds the session's sandbox token: gone before the agent runs again.
                    let _ = std::fs::remove_file(path);
                    return claim;
                }
                Err(e) => eprintln!("unreadable claim ({e}); waiting for another"),
            }
            let _ = std::fs::remove_file(path);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn fail(bridge: &BridgeHandle, message: String) -> i32 {
    tracing::error!("boot failed: {message}");
    bridge.send(AgentEvent::BootFailed { message });
    bridge.flush(FLUSH_TIMEOUT).await;
    1
}

impl Run {
    async fn serve(&mut self) -> i32 {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
        loop {
            tokio::select! {
                inbound = self.bridge.inbound.recv() => match inbound {
                    Some(Inbound::Command(command)) => self.on_command(command).await,
                    Some(Inbound::Terminated(reason)) => {
                        tracing::info!("the control plane ended the sandbox: {reason}");
                        self.agent.stop().await;
                        return 0;
                    }
                    None => return 0,
                },
                frame = self.frames.recv() => {
                    let Some(frame) = frame else { continue };
                    for output in self.translator.on_event(&frame) {
                        match output {
                            Output::Event(event) => self.bridge.send(event),
                            Output::Ended(end) => self.finish(end).await,
                        }
                    }
                }
                Some(done) = self.push_requests.recv() => {
                    self.push_now().await;
                    let _ = done.send(());
                }
                exit = self.agent.exited() => {
                    if let Err(code) = self.recover(exit).await {
                        return code;
                    }
                }
                _ = terminate.recv() => {
                    self.agent.stop().await;
                    self.bridge.flush(Duration::from_secs(3)).await;
                    return 0;
                }
            }
        }
    }

    async fn on_command(&mut self, command: BridgeCommand) {
        match command {
            BridgeCommand::Prompt { message_id, text, author, model, attribution } => {
                // The control plane re-offers the running prompt after a reconnect.
                if !self.seen.insert(message_id.clone()) {
                    return;
                }
                let prompt = Prompt { message_id, text, author, model, attribution };
                if self.current.is_some() {
                    self.queue.push_back(prompt);
                } else {
                    self.start(prompt).await;
                }
            }
            BridgeCommand::Stop { message_id } => {
                if self.translator.active() == Some(message_id.as_str()) {
                    self.translator.stop_requested();
                    if let Err(e) = self.agent.client.abort(&self.agent.session_id).await {
                        notice(&self.bridge, NoticeLevel::Warning, format!("abort failed: {e:#}"));
                    }
                } else if let Some(i) = self.queue.iter().position(|p| p.message_id == message_id) {
                    self.queue.remove(i);
                    self.report(&message_id, PromptOutcome::Stopped, None);
                }
            }
            BridgeCommand::Welcome { .. } | BridgeCommand::Ack { .. } | BridgeCommand::Error { .. } => {}
        }
    }

    async fn start(&mut self, prompt: Prompt) {
        let opencode_id = ids::message_id(now_ms());
        self.translator.start(&prompt.message_id, &opencode_id);
        let sent = self.agent.client.prompt(&self.agent.session_id, &opencode_id, &prompt.text, &prompt.model).await;
        self.current = Some(prompt);
        if let Err(e) = sent {
            if let Some(end) = self.translator.abandon(format!("OpenCode refused the prompt: {e:#}")) {
                self.finish(end).await;
            }
        }
    }

    /// Commits and pushes the prompt's work, reports the outcome, starts the next prompt.
    /// Commits and pushes the running prompt's work and reports the commit.
    async fn commit_current(&self, prompt: &Prompt) -> Commit {
        let commit = git::commit_and_push(
            &self.config,
            &prompt.message_id,
            &git::attribution_or_author(prompt.attribution.as_deref(), &prompt.author),
            &prompt.text,
        )
        .await;
        if let Some(error) = &commit.error {
            notice(&self.bridge, NoticeLevel::Warning, format!("commit or push failed: {error}"));
        }
        commit
    }

    /// The agent asked for its pull request mid-prompt: push its work so far, and wait until the
    /// control plane has recorded the commit (the pull request is made from it).
    async fn push_now(&mut self) {
        let Some(prompt) = &self.current else { return };
        let commit = self.commit_current(prompt).await;
        if commit.pushed {
            self.pushed_early = Some(prompt.message_id.clone());
            self.bridge.send(AgentEvent::Commit(commit));
            self.bridge.flush(FLUSH_TIMEOUT).await;
        }
    }

    async fn finish(&mut self, end: RunEnded) {
        if let Some(prompt) = self.current.take() {
            let commit = self.commit_current(&prompt).await;
            // Pushed already (the agent's pull-request tool) and nothing since: no second event.
            let pushed_early = self.pushed_early.take().as_deref() == Some(prompt.message_id.as_str());
            if commit.pushed || commit.error.is_some() || !pushed_early {
                self.bridge.send(AgentEvent::Commit(commit));
            }
        }
        self.report(&end.message_id, end.outcome, end.error);
        if let Some(next) = self.queue.pop_front() {
            Box::pin(self.start(next)).await;
        }
    }

    fn report(&self, message_id: &str, outcome: PromptOutcome, error: Option<String>) {
        self.bridge.send(AgentEvent::PromptFinished(PromptFinished {
            message_id: message_id.to_string(),
            outcome,
            error,
        }));
    }

    /// OpenCode exited without being asked to: fail the prompt it held (keeping its work),
    /// restart it with backoff, at most five times.
    async fn recover(&mut self, exit: Exit) -> Result<(), i32> {
        loop {
            self.restarts += 1;
            if self.restarts > MAX_RESTARTS {
                let message = format!("OpenCode exited ({exit}) after {MAX_RESTARTS} restarts; giving up");
                if let Some(end) = self.translator.abandon(message.clone()) {
                    self.finish(end).await;
                }
                return Err(fail(&self.bridge, message).await);
            }
            let delay = restart_delay(self.restarts);
            notice(
                &self.bridge,
                NoticeLevel::Warning,
                format!(
                    "OpenCode exited ({exit}); restarting in {} s (attempt {} of {MAX_RESTARTS})",
                    delay.as_secs(),
                    self.restarts
                ),
            );
            if let Some(end) = self.translator.abandon("OpenCode exited while running this prompt".into()) {
                self.finish(end).await;
            }
            tokio::time::sleep(delay).await;
            match self.agent.restart(&self.config).await {
                Ok(()) => {
                    self.translator = Translator::new(self.agent.session_id.clone());
                    notice(&self.bridge, NoticeLevel::Info, format!("OpenCode restarted (attempt {})", self.restarts));
                    if self.current.is_none() {
                        if let Some(next) = self.queue.pop_front() {
                            self.start(next).await;
                        }
                    }
                    return Ok(());
                }
                Err(e) => tracing::warn!("restart failed: {e:#}"),
            }
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
