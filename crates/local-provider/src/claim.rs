//! Claiming a warm-pool sandbox (docs/sandbox-provider.md, "Warm pools"): the provider writes
//! the `ClaimSandbox` body to `<state>/claim.json` (the supervisor, waiting with `OI_POOL=1`,
//! reads it at `$OI_STATE_DIR/claim.json`), and from then on the sandbox reports the claiming
//! session and its git endpoint takes only the claim's token.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use oi_protocol::provider::{ClaimSandbox, SandboxInfo};
use oi_protocol::{ApiError, ErrorCode};

use crate::app::SandboxEntry;
use crate::error::{HttpError, HttpResult};
use crate::ids::check_id;
use crate::layout::CLAIM_FILE;

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

/// Writes the claim to `<state_dir>/claim.json` atomically: `claim.json.tmp` (readable by the
/// owner only: it holds the token), then a rename.
pub fn write_claim(state_dir: &Path, claim: &ClaimSandbox) -> std::io::Result<()> {
    let path = state_dir.join(CLAIM_FILE);
    let tmp = state_dir.join(format!("{CLAIM_FILE}.tmp"));
    let body = serde_json::to_vec(claim).map_err(std::io::Error::other)?;
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        file.write_all(&body)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `POST /v1/sandboxes/:id/claim`: 409 unless the sandbox is a running, unclaimed pool
/// sandbox booted on the claim's branch. The token switches before the file appears, so the
/// supervisor's first use of the new token is already accepted.
pub async fn claim(entry: &SandboxEntry, claim: ClaimSandbox) -> HttpResult<SandboxInfo> {
    validate(&claim)?;
    let _claiming = entry.lifecycle.lock().await;
    let undo = entry.claim(&claim).map_err(|why| HttpError::new(ErrorCode::Conflict, why))?;
    if let Err(e) = write_claim(&entry.paths.state, &claim) {
        entry.unclaim(undo);
        return Err(HttpError::internal("cannot write the claim", e));
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

    #[test]
    fn the_claim_file_is_the_body_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_claim(dir.path(), &claim()).unwrap();
        let path = dir.path().join("claim.json");
        let back: ClaimSandbox = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, claim());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!dir.path().join("claim.json.tmp").exists());
        assert!(write_claim(&dir.path().join("missing"), &claim()).is_err());
    }
}
