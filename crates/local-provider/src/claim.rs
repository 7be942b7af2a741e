//! Claiming a warm-pool sandbox (docs/sandbox-provider.md, "Warm pools"): the provider sends
//! the `ClaimSandbox` body down the sandbox's claim channel, a pipe whose read end only the
//! supervisor holds (inherited at its start, `OI_CLAIM_FD`; close-on-exec in it, so nothing it
//! starts has it), and from then on the sandbox reports the claiming session and its git
//! endpoint takes only the claim's token.
//!
//! Invariant: the claim (with the session's token) never touches a file: nothing in the
//! sandbox, not even a process left running by `start.sh`, can read it, and nothing there can
//! redirect the provider's write (a channel is not a path to swap for a symlink).

use std::os::fd::OwnedFd;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use oi_protocol::provider::{ClaimSandbox, SandboxInfo};
use oi_protocol::{ApiError, ErrorCode};

use crate::app::SandboxEntry;
use crate::error::{HttpError, HttpResult};
use crate::ids::check_id;

/// How long a claim may take to reach the supervisor. It is a few kilobytes, which the pipe
/// holds whole, so this waits only on a claim larger than the pipe's buffer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

/// `Ok` when `url` is an `http://` or `https://` URL with a host and no spaces or control
/// characters.
pub fn check_http_url(field: &str, url: &str) -> Result<(), ApiError> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    if host.is_empty() || url.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!("{field} must be an http:// or https:// URL, got {url:?}")));
    }
    Ok(())
}

/// Checks a claim's fields.
pub fn validate(claim: &ClaimSandbox) -> Result<(), ApiError> {
    check_id("session_id", &claim.session_id)?;
    for (field, value) in [("sandbox_token", &claim.sandbox_token), ("branch", &claim.branch)] {
        if value.trim().is_empty() {
            return Err(invalid(format!("{field} must not be empty")));
        }
        if value.contains('\0') {
            return Err(invalid(format!("{field} contains a NUL byte")));
        }
    }
    check_http_url("control_plane_url", &claim.control_plane_url)
}

/// Sends the claim down the channel and closes it (the supervisor reads to the end).
pub async fn send_claim(channel: OwnedFd, claim: &ClaimSandbox) -> std::io::Result<()> {
    let body = serde_json::to_vec(claim).map_err(std::io::Error::other)?;
    let mut pipe = tokio::net::unix::pipe::Sender::from_owned_fd(channel)?;
    match tokio::time::timeout(SEND_TIMEOUT, pipe.write_all(&body)).await {
        Ok(written) => written,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the supervisor did not read its claim")),
    }
}

/// `POST /v1/sandboxes/:id/claim`: 409 unless the sandbox is a running, unclaimed pool
/// sandbox booted on the claim's branch. The token switches before the claim is sent, so the
/// supervisor's first use of the new token is already accepted.
pub async fn claim(entry: &SandboxEntry, claim: ClaimSandbox) -> HttpResult<SandboxInfo> {
    validate(&claim)?;
    let _claiming = entry.lifecycle.lock().await;
    let undo = entry.claim(&claim).map_err(|why| HttpError::new(ErrorCode::Conflict, why))?;
    let Some(channel) = entry.take_claim_channel() else {
        entry.unclaim(undo);
        return Err(HttpError::internal("cannot hand over the claim", "the sandbox has no claim channel"));
    };
    if let Err(e) = send_claim(channel, &claim).await {
        entry.unclaim(undo);
        return Err(HttpError::internal("cannot hand over the claim", e));
    }
    tracing::info!(sandbox = %entry.id, session = %claim.session_id, "pool sandbox claimed");
    Ok(entry.info())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> ClaimSandbox {
        serde_json::from_value(serde_json::json!({
            "session_id": "ses_2", "sandbox_token": "tok", "control_plane_url": "https://cp.example.com:8443/x",
            "branch": "main", "agent": {"model": "m/x", "providers": []},
        }))
        .unwrap()
    }

    #[test]
    fn urls_must_be_http() {
        for ok in ["http://127.0.0.1:8787", "https://cp.example.com/", "http://h?x=1"] {
            assert!(check_http_url("u", ok).is_ok(), "{ok}");
        }
        for bad in ["", "ftp://h", "http://", "http:///path", "127.0.0.1:8787", "http://a b", "http://h\n", "HTTP"] {
            let e = check_http_url("control_plane_url", bad).unwrap_err();
            assert!(e.message.starts_with("control_plane_url"), "{bad:?}: {}", e.message);
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert!(validate(&claim()).is_ok());
        type Change = fn(&mut ClaimSandbox);
        let cases: [(Change, &str); 4] = [
            (|c| c.session_id = "../x".into(), "session_id"),
            (|c| c.sandbox_token = "".into(), "sandbox_token"),
            (|c| c.branch = " ".into(), "branch"),
            (|c| c.control_plane_url = "ws://h".into(), "control_plane_url"),
        ];
        for (change, field) in cases {
            let mut c = claim();
            change(&mut c);
            assert!(validate(&c).unwrap_err().message.starts_with(field));
        }
    }

    #[tokio::test]
    async fn the_claim_goes_down_the_channel_whole_then_it_closes() {
        use std::io::Read;
        let (mut reader, writer) = std::io::pipe().unwrap();
        let mut big = claim();
        big.agent.model = "m/".to_string() + &"x".repeat(200_000);
        let read = std::thread::spawn(move || {
            let mut text = String::new();
            reader.read_to_string(&mut text).map(|_| text)
        });
        send_claim(writer.into(), &big).await.unwrap();
        let text = read.join().unwrap().unwrap();
        assert_eq!(serde_json::from_str::<ClaimSandbox>(&text).unwrap(), big, "whole, and then the end of the file");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        assert!(send_claim(writer.into(), &claim()).await.is_err(), "nobody to read it");
    }
}
