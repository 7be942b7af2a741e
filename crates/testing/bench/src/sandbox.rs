//! The data plane on this machine: a real sandbox (local provider, bubblewrap, supervisor,
//! OpenCode) driven by the scripted model.
//!
//! - create → ready: from the first prompt (which asks for the sandbox) to `sandbox_status
//!   ready` at a client: spawn, clone, OpenCode healthy.
//! - prompt → first delta: from `POST …/prompts` to the first `text_delta` at a client, cold
//!   (no sandbox yet) and warm (the sandbox is ready).
//! - RSS of an idle sandbox after one prompt: every process in it (bwrap, supervisor, OpenCode).

use std::time::{Duration, Instant};

use oi_protocol::events::EventBody;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::SandboxStatus;
use oi_scripted_model::Turn;
use oi_testkit::{Api, BareRepo, ClientSocket, Stack};

use crate::stats::{ms, percentile};

const COLD_RUNS: usize = 3;
const WARM_RUNS: usize = 5;

pub async fn run() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# bench\n"), ("src/lib.rs", "pub fn f() {}\n")])?;
    let api = stack.cp.api();
    let (mut ready, mut cold, mut warm, mut rss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..COLD_RUNS {
        let session = api
            .create_session(&CreateSessionRequest { repo: repo.path().display().to_string(), ..Default::default() })
            .await?;
        let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;
        stack.model.push(Turn::text("Hello from the benchmark."));
        let started = Instant::now();
        api.prompt(&session.id, &Api::prompt_request("hello")).await?;
        let mut saw_ready = None;
        loop {
            let event = client.wait_event(|_| true).await?;
            match &event.body {
                EventBody::SandboxStatus(s) if s.status == SandboxStatus::Ready && saw_ready.is_none() => {
                    saw_ready = Some(started.elapsed())
                }
                EventBody::TextDelta(_) => break,
                _ => {}
            }
        }
        cold.push(started.elapsed());
        ready.push(saw_ready.unwrap_or_default());
        client.wait_event(|e| matches!(e.body, EventBody::PromptFinished(_))).await?;
        for _ in 0..WARM_RUNS {
            stack.model.push(Turn::text("Warm answer."));
            let started = Instant::now();
            let m = api.prompt(&session.id, &Api::prompt_request("again")).await?.message_id;
            client.wait_event(|e| matches!(&e.body, EventBody::TextDelta(d) if d.message_id == m)).await?;
            warm.push(started.elapsed());
            client.wait_event(|e| matches!(&e.body, EventBody::PromptFinished(p) if p.message_id == m)).await?;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Some(sandbox) = client.events.iter().rev().find_map(|e| match &e.body {
            EventBody::SandboxStatus(s) => s.sandbox_id.clone(),
            _ => None,
        }) {
            rss.push(rss_of(&sandbox));
        }
        api.delete_session(&session.id).await?;
    }
    println!("## Sandbox start and prompt latency (local provider, bubblewrap, OpenCode, scripted model)\n");
    println!("{COLD_RUNS} cold sessions, {WARM_RUNS} warm prompts each. Times at a connected client.\n");
    println!("| measure | p50 ms | max ms |");
    println!("|---|---|---|");
    for (name, samples) in [
        ("first prompt → sandbox ready (spawn, clone, OpenCode healthy)", &mut ready),
        ("prompt → first delta, cold (no sandbox yet)", &mut cold),
        ("prompt → first delta, warm (sandbox ready)", &mut warm),
    ] {
        println!("| {name} | {} | {} |", ms(percentile(samples, 50.0)), ms(percentile(samples, 100.0)));
    }
    let mb: Vec<f64> = rss.iter().map(|kb| *kb as f64 / 1024.0).collect();
    let avg = mb.iter().sum::<f64>() / mb.len().max(1) as f64;
    println!(
        "\nRSS of an idle sandbox after {} prompts (all its processes): {avg:.0} MiB on average ({} samples)\n",
        WARM_RUNS + 1,
        mb.len()
    );
    Ok(())
}

/// The summed resident memory (KiB) of a sandbox's processes (those whose environment names
/// it: the supervisor, OpenCode, the agent's tools).
fn rss_of(sandbox_id: &str) -> u64 {
    let marker = format!("OI_SANDBOX_ID={sandbox_id}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
        })
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .sum()
}
