//! How fast a prompt gets its sandbox, by start path (docs/benchmarks.md, "Start paths").
//!
//! One repo whose `setup.sh` installs a real npm package from the registry. For each path,
//! `ready` is from what asks for the sandbox (the first prompt; `typing`; the follow-up that
//! restores; the session's creation for a pool claim) to `sandbox_status ready` at a client, and
//! `first delta` is from `POST …/prompts` to the first `text_delta` at that client.

use std::time::{Duration, Instant};

use anyhow::Context;
use oi_protocol::client::ClientMessage;
use oi_protocol::events::EventBody;
use oi_protocol::provider::ImageStatus;
use oi_protocol::rest::{BuildImageRequest, CreateSessionRequest, ImageList, PoolList};
use oi_protocol::SandboxStatus;
use oi_scripted_model::Turn;
use oi_testkit::{Api, BareRepo, ClientSocket, Stack, StackOptions};

use crate::stats::{ms, percentile};

const RUNS: usize = 3;
const SETUP: &str = "set -e\nnpm install --no-audit --no-fund --silent --prefix .deps is-odd@3.0.1\n";

#[derive(Default)]
struct Samples {
    ready: Vec<Duration>,
    first_delta: Vec<Duration>,
}

fn is_ready(body: &EventBody) -> bool {
    matches!(body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Ready)
}

/// Creates a session on `repo` and joins it.
async fn open(stack: &Stack, repo: &BareRepo) -> anyhow::Result<(String, ClientSocket)> {
    let req = CreateSessionRequest { repo: repo.path().display().to_string(), ..Default::default() };
    let session = stack.cp.api().create_session(&req).await?;
    let (client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;
    Ok((session.id, client))
}

/// Prompts and waits for the first delta and the end; answers when the sandbox became ready
/// (if it did after the prompt) and the prompt → first delta time.
async fn prompt(
    stack: &Stack,
    client: &mut ClientSocket,
    session: &str,
) -> anyhow::Result<(Option<Instant>, Duration)> {
    stack.model.push(Turn::text("Hello from the benchmark."));
    let started = Instant::now();
    let started_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let m = stack.cp.api().prompt(session, &Api::prompt_request("hello")).await?.message_id;
    let mut ready = None;
    let timeline = std::env::var_os("OI_BENCH_TIMELINE").is_some();
    let delta = loop {
        let event = client.wait_event(|_| true).await?;
        if timeline {
            eprintln!("  +{:>5} ms {}", event.at - started_at, timeline_line(&event.body));
        }
        match &event.body {
            body if is_ready(body) && ready.is_none() => ready = Some(Instant::now()),
            EventBody::SandboxStatus(s) => eprintln!("starts: {:?} {}", s.status, s.message.as_deref().unwrap_or("")),
            EventBody::TextDelta(d) if d.message_id == m => break started.elapsed(),
            _ => {}
        }
    };
    client.wait_event(|e| matches!(&e.body, EventBody::PromptFinished(p) if p.message_id == m)).await?;
    Ok((ready, delta))
}

/// One event as a timeline line (`OI_BENCH_TIMELINE=1`: where a start's time goes).
fn timeline_line(body: &EventBody) -> String {
    match body {
        EventBody::Log(l) => format!("log {:?}: {}", l.source, l.line),
        EventBody::SandboxStatus(s) => format!("sandbox {:?} {}", s.status, s.message.as_deref().unwrap_or("")),
        other => other.kind().to_string(),
    }
}

/// Prompts, and answers (prompt → ready, prompt → first delta).
async fn prompt_cold(stack: &Stack, client: &mut ClientSocket, session: &str) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let (ready, delta) = prompt(stack, client, session).await?;
    Ok((ready.context("the sandbox was not made ready by the prompt")? - started, delta))
}

async fn wait_stopped(stack: &Stack, session: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if stack.cp.api().session(session).await?.sandbox.status == SandboxStatus::Stopped {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("session {session} did not stop")
}

async fn build_image(stack: &Stack, repo: &BareRepo) -> anyhow::Result<Duration> {
    let api = stack.cp.api();
    let body = serde_json_body(repo)?;
    let started = Instant::now();
    let answer = api.raw("POST", "/api/images", Some(&body)).await?;
    anyhow::ensure!(answer.status == 202, "image build refused: {}", answer.body);
    for _ in 0..3000 {
        let list: ImageList = api.raw("GET", "/api/images", None).await?.json()?;
        match list.images.first().map(|i| i.status) {
            Some(ImageStatus::Ready) => return Ok(started.elapsed()),
            Some(ImageStatus::Failed) => anyhow::bail!("the image build failed: {:?}", list.images[0]),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    anyhow::bail!("the image was not ready in time")
}

fn serde_json_body(repo: &BareRepo) -> anyhow::Result<String> {
    let req = BuildImageRequest { repo: repo.path().display().to_string(), branch: None };
    Ok(serde_json::to_string(&req)?)
}

/// Waits until the pool of `repo` holds a booted sandbox (OpenCode up, its session created).
async fn wait_pool_ready(stack: &Stack) -> anyhow::Result<()> {
    let sandboxes = stack.provider_root.path().join("sandboxes");
    for _ in 0..1200 {
        let pools: PoolList = stack.cp.api().raw("GET", "/api/pools", None).await?.json()?;
        let warming = pools.pools.first().map(|p| p.warming).unwrap_or(0);
        let booted = std::fs::read_dir(&sandboxes)
            .map(|dirs| dirs.flatten().any(|d| waiting_for_claim(&d.path()) && !claimed(&d.path())))
            .unwrap_or(false);
        if warming > 0 && booted {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the warm pool did not fill")
}

/// The supervisor logs both once OpenCode is up, warmed and waiting.
fn waiting_for_claim(dir: &std::path::Path) -> bool {
    let log = std::fs::read_to_string(dir.join("supervisor.log")).unwrap_or_default();
    log.contains("waiting for a claim") && log.contains("warmed up")
}

fn claimed(dir: &std::path::Path) -> bool {
    dir.join("state/claim.json").exists() || !dir.join("state").exists()
}

pub async fn run() -> anyhow::Result<()> {
    let repo = BareRepo::with_files(&[
        ("README.md", "# bench\n"),
        (".gitignore", ".deps/\n"),
        ("package.json", "{\"name\":\"bench\",\"private\":true}\n"),
        (".openinspect/setup.sh", SETUP),
    ])?;
    let pool_repo = BareRepo::with_files(&[
        ("README.md", "# pooled\n"),
        (".gitignore", ".deps/\n"),
        ("package.json", "{\"name\":\"pooled\",\"private\":true}\n"),
        (".openinspect/setup.sh", SETUP),
    ])?;
    let pools = format!(r#"[{{"repo":"{}","branch":"main","size":1}}]"#, pool_repo.path().display());
    let vars = vec![
        ("SANDBOX_INACTIVITY_MS".to_string(), "2000".to_string()),
        ("SANDBOX_INACTIVITY_EXTENSION_MS".to_string(), "60000".to_string()),
        // The bench asks for images and refills itself; the cron's own work would only add noise.
        ("IMAGE_REBUILD_MS".to_string(), "86400000".to_string()),
    ];
    let pool_vars = vec![("WARM_POOLS".to_string(), pools)];
    let stack = Stack::start_with(StackOptions { vars }).await?;
    let (mut cold, mut typing, mut restore, mut image, mut pool) =
        (Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default());

    let only = std::env::var("OI_BENCH_ONLY").ok();
    let wants = |phase: &str| only.as_deref().is_none_or(|o| o == phase);
    // Cold: the first prompt spawns, clones, runs setup.sh (npm install) and start.sh.
    let mut stopped = vec![];
    for _ in 0..if wants("cold") { RUNS } else { 0 } {
        let (id, mut client) = open(&stack, &repo).await?;
        let (ready, delta) = prompt_cold(&stack, &mut client, &id).await?;
        cold.ready.push(ready);
        cold.first_delta.push(delta);
        client.close().await?;
        stopped.push(id);
    }

    eprintln!("starts: cold done");
    // Typing, then the prompt once the sandbox is ready (the user is still typing).
    for _ in 0..if wants("typing") { RUNS } else { 0 } {
        let (id, mut client) = open(&stack, &repo).await?;
        let started = Instant::now();
        client.send(&ClientMessage::Typing).await?;
        client.wait_event(|e| is_ready(&e.body)).await?;
        // The person is still typing: the prompt goes once OpenCode has warmed up too.
        let sandbox = stack.cp.api().session(&id).await?.sandbox.sandbox_id.context("no sandbox")?;
        let dir = stack.provider_root.path().join("sandboxes").join(sandbox);
        while !std::fs::read_to_string(dir.join("supervisor.log")).unwrap_or_default().contains("warmed up") {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "the sandbox did not warm up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        typing.ready.push(started.elapsed());
        let (_, delta) = prompt(&stack, &mut client, &id).await?;
        typing.first_delta.push(delta);
        client.close().await?;
    }

    eprintln!("starts: typing done");
    // Snapshot restore: the cold sessions stopped for inactivity; a follow-up restores.
    for id in &stopped {
        wait_stopped(&stack, id).await?;
        let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), id, None).await?;
        let (ready, delta) = prompt_cold(&stack, &mut client, id).await?;
        restore.ready.push(ready);
        restore.first_delta.push(delta);
        client.close().await?;
    }

    eprintln!("starts: restore done");
    // Image boot: a new session on a repo with a ready image.
    let build = if wants("image") { build_image(&stack, &repo).await? } else { Duration::ZERO };
    for _ in 0..if wants("image") { RUNS } else { 0 } {
        let (id, mut client) = open(&stack, &repo).await?;
        let (ready, delta) = prompt_cold(&stack, &mut client, &id).await?;
        image.ready.push(ready);
        image.first_delta.push(delta);
        client.close().await?;
    }

    eprintln!("starts: image done");
    drop(stack);
    // Warm pool, on a stack of its own (the others' sessions would share its provider): the
    // new session claims a booted sandbox at creation.
    let stack = Stack::start_with(StackOptions { vars: pool_vars }).await?;
    for _ in 0..if wants("pool") { RUNS } else { 0 } {
        stack.cp.api().raw("POST", "/api/pools/refill", None).await?;
        wait_pool_ready(&stack).await?;
        let started = Instant::now();
        // The user creates the session and sends the prompt straight away.
        let (id, mut client) = open(&stack, &pool_repo).await?;
        let ready_at_join = client.events.iter().any(|e| is_ready(&e.body)).then(Instant::now);
        let (ready, delta) = match prompt(&stack, &mut client, &id).await {
            Ok(r) => r,
            Err(e) => {
                let dir = stack.provider_root.path().join("sandboxes");
                for d in std::fs::read_dir(&dir)?.flatten() {
                    let log = std::fs::read_to_string(d.path().join("supervisor.log")).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(15).collect();
                    eprintln!("== {}\n{}", d.path().display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
                }
                eprintln!("events: {:#?}", client.events.iter().map(|e| &e.body).collect::<Vec<_>>());
                return Err(e);
            }
        };
        let ready = ready_at_join.or(ready).context("the claimed sandbox never became ready")?;
        pool.ready.push(ready - started);
        pool.first_delta.push(delta);
        client.close().await?;
    }

    println!("## Start paths (setup.sh runs `npm install is-odd`)\n");
    println!("{RUNS} runs each; p50 and max in ms. The image build itself took {} ms.\n", ms(build));
    println!("| path | ready p50 | ready max | prompt → first delta p50 | max |");
    println!("|---|---|---|---|---|");
    for (name, s) in [
        ("cold spawn (prompt → ready)", &mut cold),
        ("repo image (prompt → ready)", &mut image),
        ("snapshot restore (prompt → ready)", &mut restore),
        ("warm-pool claim (create → ready; pool already warm)", &mut pool),
        ("`typing`, then prompt (typing → ready and warmed up)", &mut typing),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            ms(percentile(&mut s.ready, 50.0)),
            ms(percentile(&mut s.ready, 100.0)),
            ms(percentile(&mut s.first_delta, 50.0)),
            ms(percentile(&mut s.first_delta, 100.0)),
        );
    }
    println!();
    Ok(())
}
