//! One boot: git, then `.openinspect/setup.sh`, then `.openinspect/start.sh`, as the boot mode's
//! plan says, with every output line streamed to the session.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{LogLine, LogSource, Notice, NoticeLevel};
use oi_protocol::supervisor_env;
use tokio::sync::mpsc;

use crate::boot_plan::{plan, OnFailure};
use crate::bridge::BridgeHandle;

/// Where boot output goes: the session (through the bridge), or the supervisor's own log when
/// no session is attached yet (an image build, a warm-pool sandbox before its claim).
pub trait Report {
    fn report(&self, event: AgentEvent);
}

impl Report for BridgeHandle {
    fn report(&self, event: AgentEvent) {
        self.send(event);
    }
}

/// Reports to stderr (the provider keeps it as the supervisor's log, and as an image's build log).
pub struct StderrReport;

impl Report for StderrReport {
    fn report(&self, mut event: AgentEvent) {
        crate::redact::process().event(&mut event);
        match event {
            AgentEvent::Log(l) => {
                eprintln!("[{}] {}", serde_json::to_value(l.source).unwrap_or_default().as_str().unwrap_or(""), l.line)
            }
            AgentEvent::Notice(n) => eprintln!("[{:?}] {}", n.level, n.message),
            other => eprintln!("{}", serde_json::to_string(&other).unwrap_or_default()),
        }
    }
}
use crate::config::Config;
use crate::git::Checkout;
use crate::scripts;

/// Variables that stay with the supervisor and never reach scripts or the agent.
pub const PRIVATE_VARIABLES: &[&str] = &[supervisor_env::SANDBOX_TOKEN, supervisor_env::AGENT_CONFIG];

/// The environment for the repo's scripts and the agent's shell: the sandbox's environment
/// without the supervisor's secrets, plus `OPENINSPECT_BOOT_MODE`.
pub fn child_environment(
    config: &Config,
    inherited: impl Iterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> =
        inherited.filter(|(k, _)| !PRIVATE_VARIABLES.contains(&k.as_str())).collect();
    env.insert(supervisor_env::BOOT_MODE.into(), config.boot_mode.as_str().into());
    env
}

pub fn log(to: &dyn Report, source: LogSource, line: impl Into<String>) {
    to.report(AgentEvent::Log(LogLine { source, line: line.into() }));
}

pub fn notice(to: &dyn Report, level: NoticeLevel, message: impl Into<String>) {
    to.report(AgentEvent::Notice(Notice { level, message: message.into() }));
}

/// Runs the boot. `Err` carries the message of a fatal failure.
pub async fn boot(repo: Checkout<'_>, bridge: &dyn Report) -> Result<(), String> {
    checkout(repo, bridge).await?;
    scripts(repo.config, bridge).await
}

/// The boot's git step: the checkout brought up to date as the mode says.
pub async fn checkout(repo: Checkout<'_>, bridge: &dyn Report) -> Result<(), String> {
    let mode = repo.config.boot_mode;
    let steps = plan(mode);
    log(bridge, LogSource::Supervisor, format!("booting in {} mode", mode.as_str()));
    match repo.sync(steps.git).await {
        Ok(line) => log(bridge, LogSource::Git, line),
        Err(e) if steps.git_failure_with(repo.config.work_branch.is_some()) == OnFailure::Fatal => {
            return Err(format!("git sync failed: {e:#}"))
        }
        Err(e) => notice(bridge, NoticeLevel::Warning, format!("git sync failed; continuing with the checkout: {e:#}")),
    }
    Ok(())
}

/// The boot's scripts: `setup.sh` and `start.sh`, as the mode says.
pub async fn scripts(config: &Config, bridge: &dyn Report) -> Result<(), String> {
    let steps = plan(config.boot_mode);
    let env = child_environment(config, std::env::vars());
    if let Some(on_failure) = steps.setup {
        let outcome = script(config, bridge, "setup.sh", LogSource::Setup, config.setup_timeout, &env).await;
        if !outcome.ok() {
            let what = outcome.describe(".openinspect/setup.sh");
            match on_failure {
                OnFailure::Fatal => return Err(what),
                OnFailure::Warn => notice(bridge, NoticeLevel::Warning, format!("{what}; continuing")),
            }
        }
    }
    if steps.start {
        let outcome = script(config, bridge, "start.sh", LogSource::Start, config.start_timeout, &env).await;
        if !outcome.ok() {
            return Err(outcome.describe(".openinspect/start.sh"));
        }
    }
    Ok(())
}

async fn script(
    config: &Config,
    bridge: &dyn Report,
    name: &str,
    source: LogSource,
    timeout: Duration,
    env: &BTreeMap<String, String>,
) -> scripts::ScriptOutcome {
    let path = config.workspace.join(".openinspect").join(name);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = scripts::run(&path, &config.workspace, env, timeout, tx);
    let forward = async {
        while let Some(line) = rx.recv().await {
            log(bridge, source, line);
        }
    };
    let (outcome, ()) = tokio::join!(run, forward);
    let outcome = outcome.unwrap_or_else(|e| {
        log(bridge, source, format!("could not run {}: {e:#}", Path::new(name).display()));
        scripts::ScriptOutcome::Failed { code: None }
    });
    if outcome != scripts::ScriptOutcome::Missing {
        log(bridge, LogSource::Supervisor, outcome.describe(&format!(".openinspect/{name}")));
    }
    outcome
}
