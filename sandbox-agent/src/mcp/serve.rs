//! The tool server's I/O: messages in on stdin, one per line, answers out on stdout. Each tool
//! call runs in its own task, so a `ping` is answered while a call is in flight.

use oi_protocol::supervisor_env::EGRESS_URL;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::protocol::{self, Decision};
use super::{origin, pull_request, screenshot};

/// Serves `input` until it closes, answering on `output`; tool calls go through the egress at
/// `egress_url`. Calls still in flight when the input closes are finished first.
pub async fn serve<R, W>(input: R, mut output: W, egress_url: String) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let (replies, mut outgoing) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            let mut line = serde_json::to_vec(&message).expect("JSON");
            line.push(b'\n');
            output.write_all(&line).await?;
            output.flush().await?;
        }
        std::io::Result::Ok(())
    });
    let mut calls = tokio::task::JoinSet::new();
    let mut lines = input.lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        match protocol::decide(&line) {
            Decision::Nothing => {}
            Decision::Reply(message) => {
                let _ = replies.send(message);
            }
            Decision::CreatePullRequest { id, request } => {
                let (client, egress_url, replies) = (client.clone(), egress_url.clone(), replies.clone());
                calls.spawn(async move {
                    let (text, is_error) = pull_request::call(&client, &egress_url, &request).await;
                    let _ = replies.send(protocol::result(id, protocol::tool_result(&text, is_error)));
                });
            }
            Decision::PostToOrigin { id, post } => {
                let (client, egress_url, replies) = (client.clone(), egress_url.clone(), replies.clone());
                calls.spawn(async move {
                    let (text, is_error) = origin::call(&client, &egress_url, &post).await;
                    let _ = replies.send(protocol::result(id, protocol::tool_result(&text, is_error)));
                });
            }
            Decision::Screenshot { id, request } => {
                let (client, egress_url, replies) = (client.clone(), egress_url.clone(), replies.clone());
                calls.spawn(async move {
                    let chromium = crate::browser::chromium::binary_from_env();
                    let result = screenshot::call(&client, &egress_url, &chromium, &request).await;
                    let _ = replies.send(protocol::result(id, result));
                });
            }
        }
    }
    while calls.join_next().await.is_some() {}
    drop(replies);
    writer.await.unwrap_or(Ok(()))
}

/// `sandbox-agent mcp-tools`: serves stdin and stdout; the egress is `OI_EGRESS_URL`.
pub fn main() -> i32 {
    let Some(egress_url) = std::env::var(EGRESS_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("sandbox-agent mcp-tools: {EGRESS_URL} is not set");
        return 2;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let served =
        runtime.block_on(serve(tokio::io::BufReader::new(tokio::io::stdin()), tokio::io::stdout(), egress_url));
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sandbox-agent mcp-tools: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers come back line by line, and a call in flight is finished before it returns.
    #[tokio::test]
    async fn answers_each_request_on_its_own_line() {
        // A port nobody listens on: the call fails fast, as a tool error.
        let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let input = concat!(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            "\n\n",
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_pull_request","arguments":{"summary":"s"}}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
            "\n",
        );
        let (out_write, out_read) = tokio::io::duplex(64 * 1024);
        serve(input.as_bytes(), out_write, format!("http://{unused}")).await.unwrap();
        let mut answers = Vec::new();
        let mut lines = tokio::io::BufReader::new(out_read).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            answers.push(serde_json::from_str::<Value>(&line).unwrap());
        }
        answers.sort_by_key(|a| a["id"].as_i64());
        let ids: Vec<i64> = answers.iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1, 2, 3], "one answer per request, none for the notification");
        assert_eq!(answers[0]["result"]["protocolVersion"], "2025-06-18");
        let call = &answers[1]["result"];
        assert_eq!(call["isError"], true);
        assert!(call["content"][0]["text"].as_str().unwrap().contains("egress did not answer"), "{call}");
    }
}
