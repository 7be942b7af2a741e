//! The control plane's git endpoint (`/api/sessions/:id/git/…`): which requests it serves,
//! where it sends them, and the one rule it enforces on pushes: a sandbox updates only its
//! session branch. A refused push gets git's own answer (`report-status`, with the reason on
//! the side band too), so `git push` prints it and the agent can act on it.

use oi_protocol::{ApiError, ErrorCode};

use crate::repo_url::RepoSource;

/// One of git's smart HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitRequest {
    /// `GET info/refs?service=git-upload-pack` (fetch, clone).
    AdvertiseUploadPack,
    /// `GET info/refs?service=git-receive-pack` (push).
    AdvertiseReceivePack,
    /// `POST git-upload-pack`.
    UploadPack,
    /// `POST git-receive-pack`.
    ReceivePack,
}

/// Classifies a request by method, path (after `/git/`) and query; anything else is 404.
pub fn classify(method: &str, rest: &[&str], query: Option<&str>) -> Result<GitRequest, ApiError> {
    let service = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("service=")));
    let request = match (method, rest, service) {
        ("GET", ["info", "refs"], Some("git-upload-pack")) => Some(GitRequest::AdvertiseUploadPack),
        ("GET", ["info", "refs"], Some("git-receive-pack")) => Some(GitRequest::AdvertiseReceivePack),
        ("POST", ["git-upload-pack"], _) => Some(GitRequest::UploadPack),
        ("POST", ["git-receive-pack"], _) => Some(GitRequest::ReceivePack),
        _ => None,
    };
    request.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "the git endpoint serves only git's smart HTTP protocol"))
}

/// Where a session's git requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// The sandbox provider's endpoint for a local repository (`/git/<sandbox id>`), which
    /// takes the sandbox's own token.
    Provider { url: String },
    /// A remote over HTTP(S); the control plane adds the credential configured for `origin`
    /// (`scheme://host[:port]`).
    Remote { url: String, origin: String },
}

/// The upstream URL of `rest` (for example `info/refs`) with `query`, for a session on `repo`.
pub fn upstream(
    repo: &str,
    provider_url: Option<&str>,
    sandbox_id: Option<&str>,
    rest: &str,
    query: Option<&str>,
    local_mode: bool,
) -> Result<Upstream, ApiError> {
    let query = query.filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    let base = match crate::repo_url::parse_repo(repo, local_mode)? {
        RepoSource::LocalPath(_) => {
            let (Some(provider), Some(sandbox)) = (provider_url, sandbox_id) else {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "a local repository is served by the sandbox provider, and this session has no sandbox",
                ));
            };
            return Ok(Upstream::Provider {
                url: format!("{}/git/{sandbox}/{rest}{query}", provider.trim_end_matches('/')),
            });
        }
        RepoSource::GitHub { owner, name } => url::Url::parse(&format!("https://github.com/{owner}/{name}.git"))
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?,
        RepoSource::Remote(url) => url,
    };
    let origin = crate::repo_url::credential_origin(&base);
    let base = base.as_str().trim_end_matches('/').to_string();
    Ok(Upstream::Remote { url: format!("{base}/{rest}{query}"), origin })
}

/// One ref update of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub old: String,
    pub new: String,
    pub name: String,
}

impl RefUpdate {
    /// Whether the update deletes its ref (the new id is all zeros).
    pub fn deletes(&self) -> bool {
        self.new.bytes().all(|b| b == b'0')
    }

    /// Whether the update creates its ref (the old id is all zeros).
    pub fn creates(&self) -> bool {
        self.old.bytes().all(|b| b == b'0')
    }
}

/// The command section of a `git-receive-pack` request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Push {
    pub updates: Vec<RefUpdate>,
    pub capabilities: Vec<String>,
}

/// Reads the pkt-lines before the first flush: `<old> <new> <ref>` (the first with `\0` and
/// the capabilities), skipping `shallow` lines.
pub fn parse_push(body: &[u8]) -> Result<Push, String> {
    let mut push = Push::default();
    let mut at = 0;
    loop {
        let len = body.get(at..at + 4).ok_or("the push request ends before its flush packet")?;
        let len = usize::from_str_radix(std::str::from_utf8(len).map_err(|_| "bad pkt-line length")?, 16)
            .map_err(|_| "bad pkt-line length")?;
        if len == 0 {
            break;
        }
        if len < 4 {
            return Err(format!("bad pkt-line length {len}"));
        }
        let line = body.get(at + 4..at + len).ok_or("a pkt-line runs past the end of the request")?;
        at += len;
        let line = std::str::from_utf8(line).map_err(|_| "a command is not UTF-8")?.trim_end_matches('\n');
        if line.starts_with("shallow ") {
            continue;
        }
        let (command, caps) = line.split_once('\0').unwrap_or((line, ""));
        if push.updates.is_empty() {
            push.capabilities = caps.split(' ').filter(|c| !c.is_empty()).map(str::to_string).collect();
        }
        let mut parts = command.splitn(3, ' ');
        let (Some(old), Some(new), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("not a ref update: {command:?}"));
        };
        push.updates.push(RefUpdate { old: old.into(), new: new.into(), name: name.into() });
    }
    Ok(push)
}

/// Allows a push only when every update creates or moves the session branch.
pub fn check_push(push: &Push, session_branch: &str) -> Result<(), String> {
    let allowed = format!("refs/heads/{session_branch}");
    for update in &push.updates {
        if update.name != allowed {
            return Err(format!(
                "this sandbox may push only to its session branch {session_branch} (not {}); push with `git push origin HEAD:{session_branch}`",
                update.name
            ));
        }
        if update.deletes() {
            return Err(format!("the session branch {session_branch} may not be deleted"));
        }
    }
    Ok(())
}

fn pkt(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", data.len() + 4).into_bytes();
    out.extend_from_slice(data);
    out
}

/// Git's answer refusing every update of `push` for `reason`: `report-status` (each ref `ng`),
/// inside side band 1 when the client asked for a side band, with the reason also on band 2
/// (printed as `remote: …`).
pub fn refusal(push: &Push, reason: &str) -> Vec<u8> {
    let short = reason.replace('\n', " ");
    let mut report = pkt(b"unpack ok\n");
    for update in &push.updates {
        report.extend(pkt(format!("ng {} {short}\n", update.name).as_bytes()));
    }
    report.extend_from_slice(b"0000");
    let has = |c: &str| push.capabilities.iter().any(|x| x == c);
    let band_size = if has("side-band-64k") {
        65515
    } else if has("side-band") {
        995
    } else {
        return report;
    };
    let mut out = Vec::new();
    let mut message = vec![2u8];
    message.extend_from_slice(format!("error: {short}\n").as_bytes());
    out.extend(pkt(&message));
    for chunk in report.chunks(band_size) {
        let mut data = vec![1u8];
        data.extend_from_slice(chunk);
        out.extend(pkt(&data));
    }
    out.extend_from_slice(b"0000");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZERO: &str = "0000000000000000000000000000000000000000";
    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn request(lines: &[String]) -> Vec<u8> {
        let mut body: Vec<u8> = lines.iter().flat_map(|l| pkt(l.as_bytes())).collect();
        body.extend_from_slice(b"0000PACK....");
        body
    }

    #[test]
    fn a_push_request_is_read_up_to_its_flush() {
        let body = request(&[
            format!("shallow {A}\n"),
            format!("{ZERO} {A} refs/heads/oi/ses_1\0 report-status side-band-64k agent=git/2.47.3\n"),
            format!("{A} {B} refs/heads/main\n"),
        ]);
        let push = parse_push(&body).unwrap();
        assert_eq!(push.capabilities, ["report-status", "side-band-64k", "agent=git/2.47.3"]);
        assert_eq!(push.updates.len(), 2);
        assert_eq!(push.updates[1], RefUpdate { old: A.into(), new: B.into(), name: "refs/heads/main".into() });
        assert!(parse_push(b"00").is_err());
        assert!(parse_push(b"0009abc").is_err());
        assert!(parse_push(b"0008abcd0000").unwrap_err().contains("not a ref update"));
    }

    #[test]
    fn only_the_session_branch_may_be_created_or_moved() {
        let push = |name: &str, new: &str| Push {
            updates: vec![RefUpdate { old: A.into(), new: new.into(), name: name.into() }],
            capabilities: vec![],
        };
        assert_eq!(check_push(&push("refs/heads/oi/ses_1", B), "oi/ses_1"), Ok(()));
        let main = check_push(&push("refs/heads/main", B), "oi/ses_1").unwrap_err();
        assert!(main.contains("only to its session branch oi/ses_1 (not refs/heads/main)"), "{main}");
        assert!(main.contains("git push origin HEAD:oi/ses_1"));
        assert!(check_push(&push("refs/tags/v1", B), "oi/ses_1").is_err());
        assert!(check_push(&push("refs/heads/oi/ses_2", B), "oi/ses_1").is_err());
        assert!(check_push(&push("refs/heads/oi/ses_1", ZERO), "oi/ses_1").unwrap_err().contains("may not be deleted"));
    }

    #[test]
    fn a_refusal_is_git_report_status_on_the_side_band() {
        let push = Push {
            updates: vec![RefUpdate { old: A.into(), new: B.into(), name: "refs/heads/main".into() }],
            capabilities: vec!["report-status".into(), "side-band-64k".into()],
        };
        let body = refusal(&push, "no");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("000f\u{2}error: no\n"), "{text:?}");
        // Band 1 carries the report: unpack ok, ng for the ref, its flush; then the final flush.
        let report = format!("000eunpack ok\n{}ng refs/heads/main no\n0000", "001a");
        assert!(text.contains(&format!("\u{1}{report}")), "{text:?}");
        assert!(text.ends_with("0000"));
        let plain = Push { capabilities: vec!["report-status".into()], ..push };
        assert_eq!(String::from_utf8(refusal(&plain, "no")).unwrap(), report);
    }

    #[test]
    fn requests_and_upstreams() {
        assert_eq!(
            classify("GET", &["info", "refs"], Some("service=git-receive-pack")),
            Ok(GitRequest::AdvertiseReceivePack)
        );
        assert_eq!(classify("POST", &["git-upload-pack"], None), Ok(GitRequest::UploadPack));
        assert_eq!(classify("GET", &["info", "refs"], None).unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(classify("GET", &["objects", "info", "packs"], None).unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(
            upstream(
                "/srv/app.git",
                Some("http://127.0.0.1:8788/"),
                Some("sbx_1"),
                "info/refs",
                Some("service=git-upload-pack"),
                false
            ),
            Ok(Upstream::Provider { url: "http://127.0.0.1:8788/git/sbx_1/info/refs?service=git-upload-pack".into() })
        );
        assert_eq!(upstream("/srv/app.git", None, None, "x", None, false).unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(
            upstream("acme/api", None, None, "git-upload-pack", None, false),
            Ok(Upstream::Remote {
                url: "https://github.com/acme/api.git/git-upload-pack".into(),
                origin: "https://github.com".into()
            })
        );
        assert_eq!(
            upstream(
                "https://git.example.com/team/app.git/",
                None,
                None,
                "info/refs",
                Some("service=git-upload-pack"),
                false
            ),
            Ok(Upstream::Remote {
                url: "https://git.example.com/team/app.git/info/refs?service=git-upload-pack".into(),
                origin: "https://git.example.com".into()
            })
        );
        assert!(upstream("git@github.com:acme/api.git", None, None, "x", None, false).is_err());
        assert!(upstream("https://10.0.0.1/app.git", None, None, "x", None, false).is_err(), "no internal hosts");
    }
}

/// Credentials the control plane adds for remotes, by origin (`GIT_CREDENTIALS`, JSON:
/// `{"https://git.example.com": {"username": "…", "password": "…"}}`; a bare host means its
/// `https` origin on the default port).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct GitCredentials(pub std::collections::BTreeMap<String, GitCredential>);

#[derive(Clone, serde::Deserialize)]
pub struct GitCredential {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for GitCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitCredential").field("username", &self.username).finish_non_exhaustive()
    }
}

impl GitCredentials {
    pub fn parse(json: &str) -> Result<Self, String> {
        let by_key: std::collections::BTreeMap<String, GitCredential> = serde_json::from_str(json)
            .map_err(|_| "GIT_CREDENTIALS is not a map of origin to {username, password}".to_string())?;
        let mut by_origin = std::collections::BTreeMap::new();
        for (key, credential) in by_key {
            let with_scheme = if key.contains("://") { key.clone() } else { format!("https://{key}") };
            let url = url::Url::parse(&with_scheme)
                .map_err(|_| format!("GIT_CREDENTIALS: {key:?} is not an origin (https://host[:port])"))?;
            by_origin.insert(crate::repo_url::credential_origin(&url), credential);
        }
        Ok(Self(by_origin))
    }

    /// `Authorization: Basic …` for an origin (`scheme://host[:port]`), when one is configured.
    pub fn authorization(&self, origin: &str) -> Option<String> {
        use base64::Engine;
        let c = self.0.get(origin)?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password));
        Some(format!("Basic {encoded}"))
    }
}

#[cfg(test)]
mod credential_tests {
    use super::*;

    #[test]
    fn a_credential_becomes_basic_auth_for_its_host_only() {
        let creds =
            GitCredentials::parse(r#"{"git.example.com": {"username": "x-access-token", "password": "s3cret"}}"#)
                .unwrap();
        let basic = Some("Basic eC1hY2Nlc3MtdG9rZW46czNjcmV0");
        assert_eq!(creds.authorization("https://git.example.com").as_deref(), basic);
        assert_eq!(creds.authorization("https://evil.example.com"), None);
        assert_eq!(creds.authorization("http://git.example.com"), None, "not over plain http");
        assert_eq!(creds.authorization("https://git.example.com:8443"), None, "not on another port");
        let ported =
            GitCredentials::parse(r#"{"https://git.example.com:8443": {"username": "u", "password": "p"}}"#).unwrap();
        assert!(ported.authorization("https://git.example.com:8443").is_some());
        assert!(ported.authorization("https://git.example.com").is_none());
        assert!(!format!("{creds:?}").contains("s3cret"));
        assert!(GitCredentials::parse("[]").is_err());
    }
}
