//! The git endpoint for local repositories: `/git/<sandbox id>/…` served by `git http-backend`
//! (CGI), for the sandbox's token only (docs/sandbox-provider.md, "Local repositories"). A
//! claimed pool sandbox's endpoint takes the claim's token instead of the pool's; an image
//! build's, `/git/<image id>/…`, takes the build token while the build runs.
//!
//! Invariant: a push reaches `git http-backend` only when every ref it updates is the one
//! branch the sandbox's [`PushRule`] names: its session branch (`oi/<session>`; the control
//! plane's endpoint applies the same rule, `oi_session_core::git_proxy`), or its work branch,
//! which the backend then only fast-forwards (`receive.denyNonFastForwards`, see
//! [`crate::push_rule`]); never from an image build or an unclaimed pool sandbox. Anything
//! else gets git's own refusal. The backend runs no hook ([`crate::cgi`]).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use oi_protocol::ErrorCode;
use oi_session_core::git_proxy::{parse_push, refusal, Push};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio_util::io::ReaderStream;

use crate::app::App;
use crate::cgi::{cgi_env, classify, commands_end, find_head_end, parse_head, CgiRequest, GitRequest};
use crate::error::HttpError;
use crate::push_rule::PushRule;
use crate::token::authorizes;

/// The realm git clients are challenged with.
pub const REALM: &str = "Basic realm=\"open-inspect\"";
/// The most `git http-backend` may print before its blank line.
const MAX_HEAD: usize = 64 * 1024;

fn unauthorized() -> Response {
    let mut resp = HttpError::new(
        ErrorCode::Unauthorized,
        "the git endpoint needs the sandbox's token (Authorization: Bearer <token>, or Basic with the token as password)",
    )
    .into_response();
    resp.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    resp
}

fn header(req: &Request, name: HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `ANY /git/{id}/{*rest}`.
pub async fn handle(State(app): State<Arc<App>>, Path((id, rest)): Path<(String, String)>, req: Request) -> Response {
    let Some(access) = app.git_access(&id) else {
        return HttpError::new(ErrorCode::NotFound, format!("no git repository for sandbox {id}")).into_response();
    };
    if !authorizes(header(&req, AUTHORIZATION), &access.token_hash) {
        return unauthorized();
    }
    if let Some(why) = access.closed {
        return HttpError::new(ErrorCode::Forbidden, why).into_response();
    }
    let repo = access.repo;
    let query = req.uri().query().unwrap_or("").to_string();
    let method = req.method().as_str().to_string();
    let Some(kind) = classify(&method, &rest, &query) else {
        return HttpError::new(ErrorCode::NotFound, "only git's smart HTTP protocol is served").into_response();
    };
    let pushing = kind == GitRequest::ReceivePack || query.split('&').any(|p| p == "service=git-receive-pack");
    if pushing && access.push.is_none() {
        let why = format!("{id} may fetch but not push (an image build, or a warm-pool sandbox not yet claimed)");
        return HttpError::new(ErrorCode::Forbidden, why).into_response();
    }
    let remote_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let cgi = CgiRequest {
        method: &method,
        rest: &rest,
        query: &query,
        content_type: header(&req, CONTENT_TYPE),
        content_length: header(&req, CONTENT_LENGTH),
        content_encoding: header(&req, CONTENT_ENCODING),
        git_protocol: header(&req, HeaderName::from_static("git-protocol")),
        remote_user: &id,
        remote_addr: &remote_addr,
    };
    // Every receive-pack request (the advertisement too) runs under the push rule's settings.
    let push_config = access.push.as_ref().map(PushRule::receive_config).unwrap_or_default();
    let env = cgi_env(&repo, &cgi, &app.host_path, push_config);
    let compressed = header(&req, CONTENT_ENCODING).is_some_and(|e| e != "identity");
    let mut body = req.into_body().into_data_stream();
    let mut first = Vec::new();
    if let (GitRequest::ReceivePack, Some(rule)) = (kind, &access.push) {
        if compressed {
            return HttpError::new(ErrorCode::InvalidRequest, "a compressed push request cannot be checked")
                .into_response();
        }
        match check_commands(&mut body, rule).await {
            Ok(Ok(commands)) => first = commands,
            Ok(Err(refused)) => {
                tracing::warn!(sandbox = %id, "refused a push: {}", refused.1);
                // The client reads git's answer once it has sent its pack.
                drain(body).await;
                return refusal_response(&refused.0, &refused.1);
            }
            Err(e) => return HttpError::new(ErrorCode::InvalidRequest, e).into_response(),
        }
    }
    match run_backend(env, first, body).await {
        Ok(resp) => resp,
        Err(e) => HttpError::internal("git http-backend failed", e).into_response(),
    }
}

/// A refused push: why, with git's own answer.
type Refused = (Push, String);

/// Reads a push's command section (and whatever came with it): `Ok(Ok(bytes read))` when
/// `rule` allows every update, `Ok(Err(…))` when it refuses one, `Err` when it is not a push
/// request.
async fn check_commands(body: &mut BodyDataStream, rule: &PushRule) -> Result<Result<Vec<u8>, Refused>, String> {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(end) = commands_end(&buf)? {
            break end;
        }
        match body.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(format!("the push request could not be read: {e}")),
            None => return Err("the push request ends before its commands do".into()),
        }
    };
    let push = parse_push(&buf[..end]).map_err(|e| format!("the push request cannot be read: {e}"))?;
    Ok(match rule.check(&push) {
        Ok(()) => Ok(buf),
        Err(reason) => Err((push, reason)),
    })
}

/// The most of a refused push's pack that is read (and dropped) before the refusal is sent.
const MAX_DRAIN: usize = 100 * 1024 * 1024;

/// Reads the rest of a body, up to [`MAX_DRAIN`], dropping it.
async fn drain(mut body: BodyDataStream) {
    let mut read = 0;
    while let Some(Ok(chunk)) = body.next().await {
        read += chunk.len();
        if read > MAX_DRAIN {
            break;
        }
    }
}

/// Git's answer refusing a push (`report-status`, with the reason on the side band).
fn refusal_response(push: &Push, reason: &str) -> Response {
    let mut resp = Response::new(Body::from(refusal(push, reason)));
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-git-receive-pack-result"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn run_backend(
    env: std::collections::BTreeMap<String, String>,
    first: Vec<u8>,
    body: BodyDataStream,
) -> std::io::Result<Response> {
    let mut child = Command::new("git")
        .arg("http-backend")
        .env_clear()
        .envs(&env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (Some(stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(std::io::Error::other("git http-backend has no pipes"));
    };
    tokio::spawn(feed(stdin, first, body));
    tokio::spawn(async move {
        let mut errors = String::new();
        let _ = stderr.read_to_string(&mut errors).await;
        let status = child.wait().await;
        if !errors.trim().is_empty() {
            tracing::warn!(?status, "git http-backend: {}", errors.trim());
        }
    });
    let (head, rest) = read_head(&mut stdout).await?;
    let head = parse_head(&head).map_err(std::io::Error::other)?;
    let mut resp = Response::new(Body::from_stream(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(rest)) })
            .chain(ReaderStream::new(stdout)),
    ));
    *resp.status_mut() = StatusCode::from_u16(head.status).map_err(std::io::Error::other)?;
    for (name, value) in head.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            resp.headers_mut().append(name, value);
        }
    }
    Ok(resp)
}

/// Streams the request body (what was already read of it, then the rest) to the backend's
/// stdin, then closes it.
async fn feed(mut stdin: ChildStdin, first: Vec<u8>, mut stream: BodyDataStream) {
    if let Err(e) = stdin.write_all(&first).await {
        tracing::warn!("git request body: {e}");
        return;
    }
    while let Some(chunk) = stream.next().await {
        let written = match chunk {
            Ok(bytes) => stdin.write_all(&bytes).await,
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(e) = written {
            tracing::warn!("git request body: {e}");
            return;
        }
    }
}

/// Reads up to the blank line ending the CGI head; returns the head and what followed it.
async fn read_head(stdout: &mut ChildStdout) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        if let Some((head_len, body_start)) = find_head_end(&buf) {
            let rest = buf.split_off(body_start);
            buf.truncate(head_len);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("the CGI head is too long"));
        }
        if stdout.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::other("git http-backend ended before its headers"));
        }
    }
}
