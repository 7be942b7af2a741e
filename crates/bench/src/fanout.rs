//! One session's Durable Object under load from a bridge, fanning out to many clients.
//!
//! Throughput: the bridge sends `EVENTS` text deltas back to back (each numbered and later
//! acknowledged); the clock stops when every client has received every one. Latency: the bridge
//! sends at a fixed pace and each client measures send-to-receipt per event (same process, same
//! clock).

use std::time::{Duration, Instant};

use oi_protocol::client::ServerMessage;
use oi_protocol::events::EventBody;
use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::agent_events::delta;
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};
use tokio::task::JoinSet;

use crate::stats::{ms, percentile};

const EVENTS: usize = 2000;
const PACED_EVENTS: usize = 300;
const PACE: Duration = Duration::from_millis(10);

pub async fn run() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    println!("## Session Durable Object fan-out (wrangler dev, workerd, loopback)\n");
    println!("Throughput: {EVENTS} text deltas of ~100 bytes sent back to back by one bridge.");
    println!("Latency: {PACED_EVENTS} deltas paced every {} ms; bridge send → client receipt.\n", PACE.as_millis());
    println!("| clients | events/s | deliveries/s | latency p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for clients in [1usize, 10, 50] {
        let throughput = measure(&cp, clients, EVENTS, None).await?;
        let events_per_s = EVENTS as f64 / throughput.elapsed.as_secs_f64();
        let mut paced = measure(&cp, clients, PACED_EVENTS, Some(PACE)).await?;
        println!(
            "| {clients} | {:.0} | {:.0} | {} | {} | {} |",
            events_per_s,
            events_per_s * clients as f64,
            ms(percentile(&mut paced.latencies, 50.0)),
            ms(percentile(&mut paced.latencies, 99.0)),
            ms(percentile(&mut paced.latencies, 100.0)),
        );
    }
    println!();
    Ok(())
}

struct Measured {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn measure(cp: &ControlPlane, clients: usize, events: usize, pace: Option<Duration>) -> anyhow::Result<Measured> {
    let api = cp.api();
    let id =
        api.create_session(&CreateSessionRequest { repo: "/bench/repo.git".into(), ..Default::default() }).await?.id;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    api.prompt(&id, &Api::prompt_request("benchmark")).await?;
    let (message_id, _) = bridge.wait_prompt().await?;

    let origin = Instant::now();
    let mut readers = JoinSet::new();
    for _ in 0..clients {
        let (mut client, _) = ClientSocket::join(&cp.ws_url(), &id, None).await?;
        readers.spawn(async move {
            let mut latencies = Vec::with_capacity(events);
            while latencies.len() < events {
                if let ServerMessage::Event { event } = client.recv().await? {
                    if let EventBody::TextDelta(d) = &event.body {
                        let sent: u64 = d.delta[2..d.delta.find(';').unwrap_or(2)].parse().unwrap_or(0);
                        let now = origin.elapsed().as_micros() as u64;
                        latencies.push(Duration::from_micros(now.saturating_sub(sent)));
                    }
                }
            }
            anyhow::Ok(latencies)
        });
    }

    let padding = "x".repeat(80);
    let start = Instant::now();
    for _ in 0..events {
        let text = format!("t={};{padding}", origin.elapsed().as_micros());
        bridge.emit(delta(&message_id, "prt_bench", &text)).await?;
        if let Some(pace) = pace {
            tokio::time::sleep(pace).await;
        }
    }
    let mut latencies = vec![];
    while let Some(result) = readers.join_next().await {
        latencies.extend(result??);
    }
    let elapsed = start.elapsed();
    bridge.wait_acked().await?;
    Ok(Measured { elapsed, latencies })
}
