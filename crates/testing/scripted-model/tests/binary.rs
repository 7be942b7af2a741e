//! The `oi-scripted-model` binary: flags, the stdout line, and serving a `--script` file.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::{json, Value};

/// Kills the child when the test ends, even on a failed assertion.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oi-scripted-model"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("scripted model listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (server, url)
}

#[tokio::test]
async fn binary_prints_its_url_and_serves_the_script_file() {
    let dir = std::env::temp_dir().join(format!("oi-scripted-model-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.json");
    let turns = json!({"turns": [{"type": "tool_calls", "calls": [
        {"name": "bash", "arguments": {"command": "echo hi > hello.txt", "description": "Write hello"}}]}]});
    std::fs::write(&script, turns.to_string()).unwrap();

    let (_server, url) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--script",
        script.to_str().unwrap(),
        "--model",
        "test-model",
        "--model",
        "other",
    ]);
    let port: u16 = url.strip_prefix("http://127.0.0.1:").expect("loopback url").parse().unwrap();
    assert_ne!(port, 0);

    let models: Value = client().get(format!("{url}/v1/models")).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["data"][1]["id"], "other");
    let chunks = stream_chat(&format!("{url}/v1"), &chat_body("go")).await;
    assert_eq!(joined_calls(&chunks)[0].name, "bash");
    let left: Value = client().get(format!("{url}/_script")).send().await.unwrap().json().await.unwrap();
    assert_eq!(left, json!({"turns": []}));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_rejects_an_invalid_script_file() {
    let path = std::env::temp_dir().join(format!("oi-scripted-model-bad-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"turns":[{"type":"text"}]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oi-scripted-model"))
        .args(["--listen", "127.0.0.1:0", "--script", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is printed to stdout on failure");
    assert!(String::from_utf8_lossy(&out.stderr).contains("turns[0]"));
}
