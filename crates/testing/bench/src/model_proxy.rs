//! `model_proxy`: what the model proxy costs. The same scripted stream is requested directly
//! from the model, through the control plane's proxy (the session's Durable Object in workerd),
//! and through the whole path a sandbox uses (the supervisor's endpoint, then the control
//! plane). For each: time to the first content chunk and streaming throughput, p50 and p99.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use oi_protocol::rest::CreateSessionRequest;
use oi_sandbox_agent::egress::{Egress, ProxyTarget};
use oi_scripted_model::{Options, ScriptedModel, Turn};
use oi_testkit::{ControlPlane, ControlPlaneOptions};

use crate::stats::{ms, percentile};

const RUNS: usize = 40;
/// Chunks per streamed answer (about 20 bytes of content each, ~150 KB of SSE).
const CHUNKS: usize = 1000;
const KEY: &str = "sk-bench-model-key";

struct Sample {
    first_chunk: Duration,
    /// SSE bytes per second, from the first chunk to the end.
    throughput: f64,
}

async fn one(http: &reqwest::Client, url: &str, bearer: &str) -> Result<Sample> {
    let body = serde_json::json!({
        "model": "test-model", "stream": true,
        "messages": [{"role": "user", "content": "stream"}],
        "tools": [{"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}}],
    });
    let started = Instant::now();
    let mut answer = http.post(url).bearer_auth(bearer).json(&body).send().await?;
    ensure!(answer.status() == 200, "{url}: {}", answer.status());
    let mut first = None;
    let mut bytes = 0usize;
    while let Some(chunk) = answer.chunk().await? {
        if first.is_none() && chunk.windows(8).any(|w| w == b"\"chunk 1") {
            first = Some(started.elapsed());
        }
        bytes += chunk.len();
    }
    let total = started.elapsed();
    let first_chunk = first.context("no content chunk")?;
    let streaming = (total - first_chunk).as_secs_f64().max(1e-6);
    Ok(Sample { first_chunk, throughput: bytes as f64 / streaming })
}

fn chunks_turn() -> Turn {
    Turn::chunks((1..=CHUNKS).map(|i| if i == 1 { "\"chunk 1".to_string() } else { format!(" chunk {i}") }))
}

async fn series(model: &oi_scripted_model::ScriptedModelHandle, url: &str, bearer: &str) -> Result<Vec<Sample>> {
    let http = reqwest::Client::new();
    let mut samples = vec![];
    // One warm-up request, not counted.
    for i in 0..=RUNS {
        model.push(chunks_turn());
        let sample = one(&http, url, bearer).await?;
        if i > 0 {
            samples.push(sample);
        }
    }
    Ok(samples)
}

fn report(name: &str, samples: &[Sample]) {
    let mut first: Vec<Duration> = samples.iter().map(|s| s.first_chunk).collect();
    let mut rates: Vec<f64> = samples.iter().map(|s| s.throughput).collect();
    rates.sort_by(|a, b| a.total_cmp(b));
    // Throughput's "p99" is the slow tail: the 1st percentile of the rates.
    let rate = |p: f64| rates[((p / 100.0) * rates.len() as f64).floor() as usize].min(f64::MAX) / 1e6;
    println!(
        "| {name} | {} | {} | {:.1} | {:.1} |",
        ms(percentile(&mut first, 50.0)),
        ms(percentile(&mut first, 99.0)),
        rate(50.0),
        rate(1.0),
    );
}

pub async fn run() -> Result<()> {
    let model =
        ScriptedModel::start_with("127.0.0.1:0", Options { api_key: Some(KEY.into()), ..Default::default() }).await?;
    let providers =
        format!(r#"[{{"id":"scripted","api":"openai_compatible","base_url":"{}","test_model":true}}]"#, model.url());
    let vars = [("MODEL_PROVIDERS", providers), ("MODEL_API_KEY_SCRIPTED", KEY.to_string())];
    let cp = ControlPlane::start_with(ControlPlaneOptions {
        vars: vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Default::default()
    })
    .await?;
    let api = cp.api();
    let session = api.create_session(&CreateSessionRequest { repo: "bench/repo".into(), ..Default::default() }).await?;
    let token = api.attach_sandbox(&session.id).await?.token;
    let supervisor = Egress::start(ProxyTarget {
        control_plane_url: cp.base_url(),
        session_id: session.id.clone(),
        sandbox_token: token.clone(),
    })
    .await?;

    println!("## Model proxy\n");
    println!(
        "{RUNS} streamed answers of {CHUNKS} chunks from the scripted model per path; first chunk is request → first content chunk.\n"
    );
    println!("| path | first chunk p50 (ms) | p99 (ms) | throughput p50 (MB/s) | slowest 1% (MB/s) |");
    println!("|---|---|---|---|---|");
    let direct = series(&model, &format!("{}/chat/completions", model.url()), KEY).await?;
    report("direct to the model", &direct);
    let proxied = format!("{}/api/sessions/{}/model/scripted/chat/completions", cp.base_url(), session.id);
    report("control-plane proxy", &series(&model, &proxied, &token).await?);
    let whole = format!("{}/chat/completions", Egress::provider_url(supervisor.base_url(), "scripted"));
    report("supervisor + control-plane proxy (a sandbox's path)", &series(&model, &whole, "ignored").await?);
    println!();
    Ok(())
}
