//! Git smart HTTP for the configured repositories, at GitHub's clone URLs:
//! `{url}/{owner}/{repo}.git/info/refs?service=…`, `…/git-upload-pack` and `…/git-receive-pack`,
//! served by `git http-backend` (CGI) on the repository's git directory.
//!
//! Credentials are HTTP Basic as git sends them; the password is the token (GitHub's username
//! for installation tokens is `x-access-token`, any is accepted). A live installation token
//! works on its installation's repositories (pushing needs `contents: write`); a user token on
//! every repository. Public repositories may be fetched anonymously, as on GitHub. Without
//! valid credentials: 401 with `WWW-Authenticate: Basic realm="GitHub"`. After a push, the open
//! pull requests of the pushed branches get `pull_request` `synchronize`.

use std::process::Stdio;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::app::state::Author;
use crate::app_config::level_allows;
use crate::state::Shared;

/// What the request is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    InfoRefs,
    UploadPack,
    ReceivePack,
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.to_string()).into_response()
}

fn challenge() -> Response {
    let mut response = text(StatusCode::UNAUTHORIZED, "");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"GitHub\""));
    response
}

/// The token of `Authorization: Basic` (the password, or the username when the password is
/// empty or `x-oauth-basic`) or `Authorization: Bearer`.
fn token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let token = if password.is_empty() || password == "x-oauth-basic" { user } else { password };
    (!token.is_empty()).then(|| token.to_string())
}

/// `GET /{owner}/{repo}/info/refs?service=git-upload-pack|git-receive-pack`
pub(crate) async fn info_refs(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    serve(shared, owner, repo, Service::InfoRefs, query.unwrap_or_default(), headers, Bytes::new()).await
}

/// `POST /{owner}/{repo}/git-upload-pack`
pub(crate) async fn upload_pack(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(shared, owner, repo, Service::UploadPack, String::new(), headers, body).await
}

/// `POST /{owner}/{repo}/git-receive-pack`
pub(crate) async fn receive_pack(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(shared, owner, repo, Service::ReceivePack, String::new(), headers, body).await
}

async fn serve(
    shared: Arc<Shared>,
    owner: String,
    repo: String,
    service: Service,
    query: String,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let name = repo.strip_suffix(".git").unwrap_or(&repo).to_string();
    let push = match service {
        Service::InfoRefs => match query.split('&').find_map(|p| p.strip_prefix("service=")) {
            Some("git-upload-pack") => false,
            Some("git-receive-pack") => true,
            _ => return text(StatusCode::FORBIDDEN, "Please upgrade your git client.\n"),
        },
        Service::UploadPack => false,
        Service::ReceivePack => true,
    };
    let token = token(&headers);
    let (found, access, user) = {
        let inner = shared.lock();
        let found = inner.config.find_repo(&owner, &name).map(|(i, r)| (i.id, r.clone()));
        let access = token.as_deref().and_then(|t| inner.installation_access(t));
        let user = token.as_deref().and_then(|t| inner.tokens.get(t)).filter(|g| g.live()).map(|g| g.login.clone());
        (found, access, user)
    };
    let authenticated = access.is_some() || user.is_some();
    let Some((installation_id, repo)) = found else {
        return if authenticated { text(StatusCode::NOT_FOUND, "Repository not found.\n") } else { challenge() };
    };
    let pusher = match (&access, &user) {
        (Some(access), _) => {
            let granted = access.installation_id == installation_id
                && access.repo_ids.as_ref().is_none_or(|ids| ids.contains(&repo.id));
            if !granted {
                return text(StatusCode::NOT_FOUND, "Repository not found.\n");
            }
            let level = if push { "write" } else { "read" };
            if !level_allows(access.permissions.get("contents").map(String::as_str), level) {
                let bot = shared.lock().author_login(&Author::Bot);
                return text(
                    StatusCode::FORBIDDEN,
                    &format!("Permission to {}.git denied to {bot}.\n", repo.full_name()),
                );
            }
            Some(Author::Bot)
        }
        (None, Some(login)) => Some(Author::User(login.clone())),
        (None, None) if !push && !repo.private => None,
        (None, None) => return challenge(),
    };
    let Some(git_dir) = repo.git_dir.clone().filter(|d| d.exists()) else {
        return text(StatusCode::NOT_FOUND, "Repository not found.\n");
    };
    let path_info = match service {
        Service::InfoRefs => "/info/refs",
        Service::UploadPack => "/git-upload-pack",
        Service::ReceivePack => "/git-receive-pack",
    };
    let header_value = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let remote_user = match &pusher {
        Some(author) => shared.lock().author_login(author),
        None => String::new(),
    };
    let mut command = Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", &git_dir)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", &query)
        .env("REQUEST_METHOD", if service == Service::InfoRefs { Method::GET } else { Method::POST }.as_str())
        .env("CONTENT_TYPE", header_value(header::CONTENT_TYPE))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header_value(header::CONTENT_ENCODING))
        .env("GIT_PROTOCOL", header_value(HeaderName::from_static("git-protocol")))
        .env("REMOTE_USER", remote_user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "http.receivepack")
        .env("GIT_CONFIG_VALUE_0", "true")
        .env("GIT_CONFIG_KEY_1", "safe.directory")
        .env("GIT_CONFIG_VALUE_1", "*");
    let response = match run_backend(command, body).await {
        Ok(response) => response,
        Err(error) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("git http-backend failed: {error}\n")),
    };
    if service == Service::ReceivePack && response.status().is_success() {
        crate::app::pulls::notice_push(&shared, &repo.full_name(), pusher);
    }
    response
}

/// Runs the CGI with `body` on its stdin and turns its output into a response (buffered).
async fn run_backend(mut command: Command, body: Bytes) -> std::io::Result<Response> {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true).spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let mut stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr"))?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let (read_out, read_err) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut errors));
    read_out?;
    read_err?;
    let _ = feed.await;
    let status = child.wait().await?;
    let Some((head_len, body_start)) = find_head_end(&out) else {
        let errors = String::from_utf8_lossy(&errors);
        return Err(std::io::Error::other(format!("no CGI head ({status}): {}", errors.trim())));
    };
    let mut response = Response::new(axum::body::Body::from(out[body_start..].to_vec()));
    for line in String::from_utf8_lossy(&out[..head_len]).lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse::<u16>().ok());
            *response.status_mut() = code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(StatusCode::OK);
        } else if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    Ok(response)
}

/// Where the CGI head ends: `(head length, body start)`; accepts `\r\n\r\n` and `\n\n`.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_basic_and_bearer() {
        let mut headers = HeaderMap::new();
        let basic = |s: &str| HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(s))).unwrap();
        headers.insert(header::AUTHORIZATION, basic("x-access-token:ghs_abc"));
        assert_eq!(token(&headers).as_deref(), Some("ghs_abc"));
        headers.insert(header::AUTHORIZATION, basic("gho_tok:x-oauth-basic"));
        assert_eq!(token(&headers).as_deref(), Some("gho_tok"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer ghs_x"));
        assert_eq!(token(&headers).as_deref(), Some("ghs_x"));
        headers.insert(header::AUTHORIZATION, basic(":"));
        assert_eq!(token(&headers), None);
    }

    #[test]
    fn finds_the_end_of_the_head() {
        assert_eq!(find_head_end(b"Status: 200\r\n\r\nbody"), Some((11, 15)));
        assert_eq!(find_head_end(b"A: b\n\nbody"), Some((4, 6)));
        assert_eq!(find_head_end(b"A: b\r\n"), None);
    }
}
