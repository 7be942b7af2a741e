//! `oi-scripted-model --listen 127.0.0.1:8790 [--script path.json] [--model test-model]`
//!
//! Serves the scripted OpenAI-compatible model (see the library docs). Logs go to stderr
//! (`RUST_LOG`, default `info`); once bound, one line goes to stdout:
//! `scripted model listening on http://127.0.0.1:PORT`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use oi_scripted_model::{Options, Script, ScriptedModel, DEFAULT_MODEL};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(name = "oi-scripted-model", version, about = "A scripted, OpenAI-compatible chat-completions server")]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8790")]
    listen: String,
    /// A JSON script `{"turns":[...]}` to start with.
    #[arg(long)]
    script: Option<PathBuf>,
    /// A model id listed by GET /v1/models (repeatable).
    #[arg(long = "model", default_value = DEFAULT_MODEL)]
    models: Vec<String>,
    /// Require `Authorization: Bearer <key>` (else OpenAI's 401 `invalid_api_key`).
    #[arg(long, env = "OI_SCRIPTED_MODEL_API_KEY")]
    api_key: Option<String>,
}

fn load_script(path: &PathBuf) -> Result<Script, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Script::from_json(&text).map_err(|e| format!("invalid script {}: {e}", path.display()))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let turns = match cli.script.as_ref().map(load_script).transpose() {
        Ok(script) => script.map(|s| s.turns).unwrap_or_default(),
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(2);
        }
    };
    let handle =
        match ScriptedModel::start_with(&cli.listen, Options { models: cli.models, turns, api_key: cli.api_key }).await
        {
            Ok(handle) => handle,
            Err(e) => {
                tracing::error!(listen = %cli.listen, error = %e, "cannot start");
                return ExitCode::FAILURE;
            }
        };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "scripted model listening on {}", handle.base_url());
    let _ = stdout.flush();
    wait_for_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
