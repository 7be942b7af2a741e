//! `scripts/bench`: measures the local stack and prints the figures for docs/benchmarks.md.
//!
//! Sections: `fanout` (one session's Durable Object: events/s from a bridge while fanning out to
//! 1, 10 and 50 clients; bridge-send to client-receipt latency), `bundle` (the Worker's WASM),
//! `sandbox` (a real sandbox: start, prompt latency cold and warm, idle memory), `starts` (cold
//! spawn, repo image, snapshot restore, warm-pool claim and `typing` compared), `model_proxy`
//! (first-chunk latency and throughput direct, through the control plane, and through the
//! supervisor and the control plane).
//! Pass section names to run only those.

mod bundle;
mod fanout;
mod model_proxy;
mod sandbox;
mod starts;
mod stats;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    println!("# Open Inspect benchmarks\n");
    println!("machine: {} cores, {}\n", std::thread::available_parallelism()?.get(), stats::memory_total());
    if wants("bundle") {
        bundle::run()?;
    }
    if wants("fanout") {
        fanout::run().await?;
    }
    if wants("sandbox") {
        sandbox::run().await?;
    }
    if wants("model_proxy") {
        model_proxy::run().await?;
    }
    if wants("starts") {
        starts::run().await?;
    }
    Ok(())
}
