//! Slow streams and client disconnects, and stopping the server through its handle.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use oi_scripted_model::{ScriptedModel, Turn};

/// Reads the body until `n` SSE events have arrived.
async fn read_events(resp: &mut reqwest::Response, n: usize) -> String {
    let mut text = String::new();
    while text.matches("\n\n").count() < n {
        let chunk = resp.chunk().await.unwrap().expect("stream ended early");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text
}

#[tokio::test]
async fn slow_stream_paces_its_chunks() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::slow_text(6, 50));
    let start = Instant::now();
    let chunks = stream_chat(&model.url(), &chat_body("slow")).await;
    let elapsed = start.elapsed();
    assert_eq!(joined_text(&chunks), "chunk 1 chunk 2 chunk 3 chunk 4 chunk 5 chunk 6");
    assert!(elapsed >= Duration::from_millis(250), "5 paced chunks took only {elapsed:?}");
    assert_eq!(model.stats().streams_cancelled, 0);
}

#[tokio::test]
async fn slow_stream_stops_when_the_client_drops() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::slow_text(500, 20));
    let mut resp = post_chat(&model.url(), &chat_body("slow")).await;
    assert_eq!(resp.status(), 200);
    let head = read_events(&mut resp, 4).await;
    assert!(head.contains("chunk 3"), "{head}");
    assert_eq!(model.stats().active_streams, 1);

    drop(resp);
    let stopped = eventually(Duration::from_secs(3), || model.stats().active_streams == 0).await;
    assert!(stopped, "the stream was still running after the client left: {:?}", model.stats());
    let stats = model.stats();
    assert_eq!(stats.streams_cancelled, 1);
    assert!(stats.chunks_sent < 100, "{stats:?}: kept streaming well after the disconnect");

    // Nothing more is sent afterwards.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(model.stats().chunks_sent, stats.chunks_sent);
}

#[tokio::test]
async fn server_still_serves_after_a_disconnect() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push_all([Turn::slow_text(500, 20), Turn::text("still here")]);
    let mut resp = post_chat(&model.url(), &chat_body("slow")).await;
    read_events(&mut resp, 2).await;
    drop(resp);
    let chunks = stream_chat(&model.url(), &chat_body("again")).await;
    assert_eq!(joined_text(&chunks), "still here");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server_and_its_streams() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let base = model.base_url();
    model.push(Turn::slow_text(500, 20));
    let mut resp = post_chat(&model.url(), &chat_body("slow")).await;
    read_events(&mut resp, 2).await;

    drop(model);

    // The open stream ends (an error or a truncated body) instead of running for 10 s.
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        let mut body = resp.bytes_stream();
        while let Some(item) = body.next().await {
            if item.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream kept going after the handle was dropped");

    // And new connections are refused.
    let http = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let mut refused = false;
    for _ in 0..50 {
        if http.get(format!("{base}/health")).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the server still answers after its handle was dropped");
}

#[tokio::test]
async fn shutdown_waits_for_the_server_to_stop() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let addr = model.addr();
    assert_eq!(client().get(format!("{}/health", model.base_url())).send().await.unwrap().status(), 200);
    model.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "listener closed after shutdown");
}
