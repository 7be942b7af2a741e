//! One session's Durable Object under load from a bridge, fanning out to many clients.
//!
//! Throughput: the bridge sends `EVENTS` text deltas back to back, each in its own frame (the
//! hardest case: the Durable Object sees one frame per event), or in bursts of `BURST` (what
//! the supervisor sends when events queue up); the clock stops when every client has received
//! every one. Each figure is the median of `ROUNDS` rounds. workerd's CPU time per event is
//! read from `/proc` from the first event sent to the last received. Latency: the bridge sends at a fixed pace and each
//! client measures send-to-receipt per event (same process, same clock).

use std::time::{Duration, Instant};

use oi_protocol::client::ServerMessage;
use oi_protocol::events::EventBody;
use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::agent_events::delta;
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane, ControlPlaneOptions};
use tokio::task::JoinSet;

use crate::stats::{ms, percentile};

const EVENTS: usize = 2000;
const ROUNDS: usize = 6;
const BURST: usize = 20;
const PACED_EVENTS: usize = 300;
const PACE: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, PartialEq)]
enum Frames {
    /// Every event in its own `event` frame.
    Single,
    /// `events` frames of `BURST`.
    Bursts,
}

pub async fn run() -> anyhow::Result<()> {
    // `OI_BENCH_FANOUT_FRAMES=single` measures a Worker that predates bursts (a "before" run);
    // `bursts` only the bursts (for a profile of one kind).
    let frames = std::env::var("OI_BENCH_FANOUT_FRAMES").unwrap_or_default();
    let (single_too, bursts_too) = (frames != "bursts", frames != "single");
    // Every watcher is its own (local) person, as in a real session; one person may mint only
    // 60 socket tokens a minute.
    let picker = ("LOCAL_IDENTITY_PICKER".to_string(), "true".to_string());
    let cp = ControlPlane::start_with(ControlPlaneOptions { vars: vec![picker], ..Default::default() }).await?;
    println!("## Session Durable Object fan-out (wrangler dev, workerd, loopback)\n");
    println!(
        "Throughput: {EVENTS} text deltas of ~100 bytes sent back to back by one bridge, one per frame or in \
         bursts of {BURST}; median of {ROUNDS} rounds. CPU: workerd's user+system time per event."
    );
    println!("Latency: {PACED_EVENTS} deltas paced every {} ms; bridge send → client receipt.\n", PACE.as_millis());
    println!(
        "| clients | events/s (one per frame) | workerd CPU µs/event | events/s (bursts of {BURST}) | latency p50 ms \
         | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    // `OI_BENCH_FANOUT_CLIENTS=50` measures only that many clients (for a profile).
    let counts: Vec<usize> = match std::env::var("OI_BENCH_FANOUT_CLIENTS") {
        Ok(n) => vec![n.parse()?],
        Err(_) => vec![1, 10, 50],
    };
    for clients in counts {
        let mut single = vec![];
        let mut cpu = vec![];
        let mut bursts = vec![];
        for _ in 0..ROUNDS {
            if single_too {
                let round = measure(&cp, clients, EVENTS, None, Frames::Single).await?;
                cpu.push(round.workerd_cpu * 1e6 / EVENTS as f64);
                single.push(EVENTS as f64 / round.elapsed.as_secs_f64());
            } else {
                cpu.push(f64::NAN);
                single.push(f64::NAN);
            }
            if bursts_too {
                let round = measure(&cp, clients, EVENTS, None, Frames::Bursts).await?;
                bursts.push(EVENTS as f64 / round.elapsed.as_secs_f64());
            } else {
                bursts.push(f64::NAN);
            }
        }
        let mut paced = measure(&cp, clients, PACED_EVENTS, Some(PACE), Frames::Single).await?;
        println!(
            "| {clients} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
            median(&mut single),
            median(&mut cpu),
            median(&mut bursts),
            ms(percentile(&mut paced.latencies, 50.0)),
            ms(percentile(&mut paced.latencies, 99.0)),
            ms(percentile(&mut paced.latencies, 100.0)),
        );
    }
    println!();
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Seconds of CPU (user + system) used so far by this process (the load generator).
fn own_cpu() -> f64 {
    cpu_of_stat(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default()) / clock_ticks()
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime, in clock ticks, from a `/proc/<pid>/stat` line.
fn cpu_of_stat(stat: &str) -> f64 {
    // Fields after the command (which may hold spaces) start at `)`; utime and stime are the
    // 14th and 15th fields.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    fields.get(11..13).map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum()).unwrap_or(0.0)
}

/// Seconds of CPU (user + system) used so far by every workerd process on this machine.
fn workerd_cpu() -> f64 {
    let ticks = clock_ticks();
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let dir = entry.path();
        let is_workerd = std::fs::read(dir.join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).split('\0').next().unwrap_or("").ends_with("/workerd"))
            .unwrap_or(false);
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else { continue };
        if !is_workerd {
            continue;
        }
        total += cpu_of_stat(&stat) / ticks;
    }
    total
}

struct Measured {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// workerd's CPU seconds from the first event sent to the last one received.
    workerd_cpu: f64,
}

async fn measure(
    cp: &ControlPlane,
    clients: usize,
    events: usize,
    pace: Option<Duration>,
    frames: Frames,
) -> anyhow::Result<Measured> {
    let api = cp.api();
    let id =
        api.create_session(&CreateSessionRequest { repo: "/bench/repo.git".into(), ..Default::default() }).await?.id;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    api.prompt(&id, &Api::prompt_request("benchmark")).await?;
    let (message_id, _) = bridge.wait_prompt().await?;

    let origin = Instant::now();
    let mut readers = JoinSet::new();
    for n in 0..clients {
        let cookie = format!("oi_local_user=w{n}-{id}");
        let mut client = ClientSocket::connect_as(&cp.client_endpoint(), &id, Some(&cookie)).await?;
        client.subscribe(None).await?;
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
            anyhow::Ok((latencies, client.live_frames))
        });
    }

    let padding = "x".repeat(80);
    let event =
        |message_id: &str| delta(message_id, "prt_bench", &format!("t={};{padding}", origin.elapsed().as_micros()));
    let (cpu_before, own_before) = (workerd_cpu(), own_cpu());
    let start = Instant::now();
    match frames {
        Frames::Single => {
            for _ in 0..events {
                bridge.emit(event(&message_id)).await?;
                if let Some(pace) = pace {
                    tokio::time::sleep(pace).await;
                }
            }
        }
        Frames::Bursts => {
            for _ in 0..events / BURST {
                bridge.emit_burst((0..BURST).map(|_| event(&message_id)).collect()).await?;
            }
        }
    }
    let mut latencies = vec![];
    let mut frames_seen = 0;
    while let Some(result) = readers.join_next().await {
        let (l, frames) = result??;
        latencies.extend(l);
        frames_seen = frames;
    }
    if std::env::var("OI_BENCH_VERBOSE").is_ok() {
        let (workerd, own) = (workerd_cpu() - cpu_before, own_cpu() - own_before);
        eprintln!(
            "{clients} clients: {events} events in {frames_seen} frames per client, {:.0} ms; CPU ms: workerd {:.0}, load \
             generator {:.0}",
            start.elapsed().as_secs_f64() * 1e3,
            workerd * 1e3,
            own * 1e3
        );
    }
    let elapsed = start.elapsed();
    let workerd_cpu = workerd_cpu() - cpu_before;
    bridge.wait_acked().await?;
    Ok(Measured { elapsed, latencies, workerd_cpu })
}
