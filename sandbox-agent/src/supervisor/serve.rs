//! The prompt loop of a sandbox with a session: report ready, then run the control plane's
//! prompts until it ends the sandbox. It takes the bridge's commands ([`prompts`](super::prompts)
//! decides what each does; a prompt's attached images are read through the egress and handed to
//! OpenCode with its text, see [`attachments`]), OpenCode's event frames (translated and sent
//! on), the pull-request tool's requests to push the running prompt's work first, and OpenCode's
//! exits (restarted with backoff, at most [`MAX_RESTARTS`] times). A `preview` command is
//! answered in a task of its own ([`crate::preview`]) on the bridge connection it came on.
//!
//! Invariant: one prompt runs at a time, and its work is committed and pushed before it is
//! reported finished.

use std::time::Duration;

use oi_protocol::bridge::{AgentEvent, BridgeCommand};
use oi_protocol::events::{Commit, LogSource, NoticeLevel, PromptFinished, PromptOutcome};
use serde_json::Value;
use tokio::sync::mpsc;

use super::prompts::{Offered, Prompt, Prompts, Stop};
use super::{fail, FLUSH_TIMEOUT};
use crate::agent::{Agent, Exit};
use crate::boot::{log, notice};
use crate::bridge::{BridgeHandle, Inbound};
use crate::config::Config;
use crate::egress::PushRequest;
use crate::endpoints::Endpoints;
use crate::git::{self, Checkout};
use crate::opencode::process::{restart_delay, MAX_RESTARTS};
use crate::opencode::{attachments, ids};
use crate::preview::{self, Previews};
use crate::translate::{Output, RunEnded, Translator};

/// Everything the loop needs, from the boot that started OpenCode.
pub struct Booted {
    pub config: Config,
    pub endpoints: Endpoints,
    pub bridge: BridgeHandle,
    pub agent: Agent,
    pub frames: mpsc::UnboundedReceiver<Value>,
    /// The pull-request tool's requests to push the running prompt's work first.
    pub push_requests: mpsc::UnboundedReceiver<PushRequest>,
    /// The egress (`http://127.0.0.1:{port}`), through which a prompt's attachments are read.
    pub egress_url: String,
    /// The loopback ports the supervisor serves (besides OpenCode's): no preview reaches them.
    pub own_ports: Vec<u16>,
}

/// Reports the sandbox ready and runs prompts until the control plane ends it; returns the
/// process exit code.
pub async fn serve(booted: Booted) -> i32 {
    let Booted { config, endpoints, bridge, agent, frames, push_requests, egress_url, own_ports } = booted;
    log(&bridge, LogSource::Agent, format!("OpenCode {} ready ({})", agent.version, agent.startup));
    let listed = preview::listed_ports(&config.workspace).unwrap_or_else(|why| {
        notice(&bridge, NoticeLevel::Warning, why);
        Vec::new()
    });
    bridge.send(AgentEvent::Ready { preview_ports: listed.clone() });
    let translator = Translator::new(agent.session_id.clone());
    let mut run = Run {
        config,
        endpoints,
        bridge,
        agent,
        frames,
        push_requests,
        egress_url,
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client"),
        pushed_early: None,
        previews: Previews::new(listed),
        own_ports,
        translator,
        current: None,
        prompts: Prompts::default(),
        restarts: 0,
    };
    run.serve().await
}

struct Run {
    config: Config,
    endpoints: Endpoints,
    bridge: BridgeHandle,
    agent: Agent,
    frames: mpsc::UnboundedReceiver<Value>,
    push_requests: mpsc::UnboundedReceiver<PushRequest>,
    egress_url: String,
    /// For reading a prompt's attachments through the egress.
    http: reqwest::Client,
    /// The running prompt whose work the pull-request tool already had pushed.
    pushed_early: Option<String>,
    previews: Previews,
    /// The supervisor's loopback ports besides OpenCode's (see [`Booted::own_ports`]).
    own_ports: Vec<u16>,
    translator: Translator,
    /// The running prompt.
    current: Option<Prompt>,
    prompts: Prompts,
    restarts: u32,
}

impl Run {
    async fn serve(&mut self) -> i32 {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
        loop {
            tokio::select! {
                inbound = self.bridge.inbound.recv() => match inbound {
                    Some(Inbound::Command(command)) => self.on_command(command).await,
                    Some(Inbound::Preview(request, connection)) => {
                        let mut reserved = self.own_ports.clone();
                        reserved.extend(self.agent.ports());
                        self.previews.spawn(request, reserved, connection);
                    }
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
            self.start_next().await;
        }
    }

    async fn on_command(&mut self, command: BridgeCommand) {
        match command {
            BridgeCommand::Prompt(prompt) => {
                let running = self.current.as_ref().map(|p| p.message_id.as_str());
                match self.prompts.offer(prompt, running) {
                    Offered::Duplicate | Offered::Waits { dropped: None } => {}
                    Offered::Start(prompt) => self.start(prompt).await,
                    Offered::Waits { dropped: Some(dropped) } => {
                        self.report(&dropped.message_id, PromptOutcome::Stopped, None)
                    }
                }
            }
            BridgeCommand::Stop { message_id } => {
                let running = self.current.as_ref().map(|p| p.message_id.as_str());
                match self.prompts.stop(&message_id, running) {
                    Stop::Abort => {
                        self.translator.stop_requested();
                        if let Err(e) = self.agent.client.abort(&self.agent.session_id).await {
                            notice(&self.bridge, NoticeLevel::Warning, format!("abort failed: {e:#}"));
                        }
                    }
                    Stop::ReportStopped => self.report(&message_id, PromptOutcome::Stopped, None),
                    Stop::AlreadyFinished => {}
                }
            }
            // The bridge keeps these, and hands a preview over with its connection.
            BridgeCommand::Welcome { .. }
            | BridgeCommand::Ack { .. }
            | BridgeCommand::Error { .. }
            | BridgeCommand::Preview(_) => {}
        }
    }

    /// Starts the waiting prompt, if one waits and nothing runs.
    async fn start_next(&mut self) {
        if self.current.is_none() {
            if let Some(next) = self.prompts.take_waiting() {
                self.start(next).await;
            }
        }
    }

    async fn start(&mut self, prompt: Prompt) {
        // The attached images first: one that cannot be read is left out, and the session told.
        let (files, unread) = attachments::read_all(&self.http, &self.egress_url, &prompt.attachments).await;
        for message in unread {
            tracing::warn!("{message}");
            notice(&self.bridge, NoticeLevel::Warning, message);
        }
        let opencode_id = ids::message_id(now_ms());
        self.translator.start(&prompt.message_id, &opencode_id);
        let parts = attachments::prompt_parts(&prompt.text, files);
        let sent = self.agent.client.prompt(&self.agent.session_id, &opencode_id, parts, &prompt.model).await;
        self.current = Some(prompt);
        if let Err(e) = sent {
            if let Some(end) = self.translator.abandon(format!("OpenCode refused the prompt: {e:#}")) {
                self.finish(end).await;
            }
        }
    }

    /// Commits and pushes the running prompt's work and reports the commit.
    async fn commit_current(&self, prompt: &Prompt) -> Commit {
        let commit = Checkout::new(&self.config, &self.endpoints.repo)
            .commit_and_push(
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

    /// The running prompt ended: commits and pushes its work, then reports the outcome. The
    /// loop starts the next prompt.
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
    }

    fn report(&self, message_id: &str, outcome: PromptOutcome, error: Option<String>) {
        self.bridge.send(AgentEvent::PromptFinished(PromptFinished {
            message_id: message_id.to_string(),
            outcome,
            error,
        }));
    }

    /// OpenCode exited without being asked to: fail the prompt it held (keeping its work),
    /// restart it with backoff, at most [`MAX_RESTARTS`] times. A waiting prompt starts after
    /// the restart.
    async fn recover(&mut self, exit: Exit) -> Result<(), i32> {
        loop {
            self.restarts += 1;
            if self.restarts > MAX_RESTARTS {
                let message = format!("OpenCode exited ({exit}) after {MAX_RESTARTS} restarts; giving up");
                if let Some(end) = self.translator.abandon(message.clone()) {
                    self.finish(end).await;
                }
                if let Some(waiting) = self.prompts.take_waiting() {
                    self.report(&waiting.message_id, PromptOutcome::Failed, Some(message.clone()));
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
