//! The pure half of the git endpoint: which requests go to `git http-backend`, its CGI
//! environment, where a push's commands end, and parsing the head of its output.
//!
//! Invariant: `git http-backend` runs with no configuration but the repository's own, the
//! settings here and the push rule's ([`crate::push_rule::PushRule::receive_config`]), and with
//! hooks disabled: a push through the endpoint runs nothing from the repository (the push rule
//! itself is [`crate::push_rule`]).

use std::collections::BTreeMap;
use std::path::Path;

/// A git smart-HTTP request this endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitRequest {
    /// `GET info/refs?service=git-upload-pack|git-receive-pack`
    InfoRefs,
    /// `POST git-upload-pack` (fetch and clone)
    UploadPack,
    /// `POST git-receive-pack` (push)
    ReceivePack,
}

/// Which request `method` on `/git/<id>/<rest>?<query>` is, or `None` (404): only the smart
/// protocol is served, not the dumb one's raw files.
pub fn classify(method: &str, rest: &str, query: &str) -> Option<GitRequest> {
    match (method, rest) {
        ("GET", "info/refs") => query
            .split('&')
            .any(|p| p == "service=git-upload-pack" || p == "service=git-receive-pack")
            .then_some(GitRequest::InfoRefs),
        ("POST", "git-upload-pack") => Some(GitRequest::UploadPack),
        ("POST", "git-receive-pack") => Some(GitRequest::ReceivePack),
        _ => None,
    }
}

/// The request's parts that reach the CGI environment.
#[derive(Debug, Clone, Default)]
pub struct CgiRequest<'a> {
    pub method: &'a str,
    pub rest: &'a str,
    pub query: &'a str,
    pub content_type: Option<&'a str>,
    pub content_length: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
    pub git_protocol: Option<&'a str>,
    pub remote_user: &'a str,
    pub remote_addr: &'a str,
}

/// `git http-backend`'s whole environment for a request on `repo`, with `push_config` (what
/// the push rule needs of `git receive-pack`) after the endpoint's own settings.
pub fn cgi_env(repo: &Path, req: &CgiRequest, path: &str, push_config: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        env.insert(k.to_string(), v.to_string());
    };
    set("PATH", path);
    set("GATEWAY_INTERFACE", "CGI/1.1");
    set("SERVER_PROTOCOL", "HTTP/1.1");
    set("GIT_PROJECT_ROOT", &repo.to_string_lossy());
    set("PATH_INFO", &format!("/{}", req.rest));
    set("REQUEST_METHOD", req.method);
    set("QUERY_STRING", req.query);
    set("GIT_HTTP_EXPORT_ALL", "1");
    set("REMOTE_USER", req.remote_user);
    set("REMOTE_ADDR", req.remote_addr);
    // Pushes are allowed (the token is the authorization, and the endpoint checks what they
    // update); the repository is trusted even when another user owns it (it is under a root the
    // operator named); no hook runs (a push would otherwise run the repository's hooks on the
    // host, as the provider's user), nor the file-system monitor; no system-wide configuration.
    set("GIT_CONFIG_NOSYSTEM", "1");
    let repo_path = repo.to_string_lossy();
    let own = [
        ("http.receivepack", "true"),
        ("safe.directory", repo_path.as_ref()),
        ("core.hooksPath", "/dev/null"),
        ("core.fsmonitor", "false"),
    ];
    let config: Vec<(&str, &str)> = own.into_iter().chain(push_config.iter().copied()).collect();
    set("GIT_CONFIG_COUNT", &config.len().to_string());
    for (i, (key, value)) in config.iter().enumerate() {
        set(&format!("GIT_CONFIG_KEY_{i}"), key);
        set(&format!("GIT_CONFIG_VALUE_{i}"), value);
    }
    if let Some(v) = req.content_type {
        set("CONTENT_TYPE", v);
    }
    if let Some(v) = req.content_length {
        set("CONTENT_LENGTH", v);
    }
    if let Some(v) = req.content_encoding {
        set("HTTP_CONTENT_ENCODING", v);
    }
    if let Some(v) = req.git_protocol {
        set("GIT_PROTOCOL", v);
    }
    env
}

/// The most a push's command section (before its pack) may take.
pub const MAX_COMMANDS: usize = 1024 * 1024;

/// Where the command section of a `git-receive-pack` request ends (just after its flush
/// packet), `None` while more is needed, or why it is not one.
pub fn commands_end(buf: &[u8]) -> Result<Option<usize>, String> {
    let mut at = 0;
    loop {
        let Some(len) = buf.get(at..at + 4) else {
            return if at > MAX_COMMANDS { Err("the push's commands are too long".into()) } else { Ok(None) };
        };
        let len = std::str::from_utf8(len)
            .ok()
            .and_then(|l| usize::from_str_radix(l, 16).ok())
            .ok_or("bad pkt-line length in the push request")?;
        match len {
            0 => return Ok(Some(at + 4)),
            1..=3 => return Err(format!("bad pkt-line length {len} in the push request")),
            _ => at += len,
        }
        if at > MAX_COMMANDS {
            return Err("the push's commands are too long".into());
        }
    }
}

/// Where the CGI head ends: `(head length, body start)`, or `None` when the blank line has not
/// arrived yet. Accepts `\r\n\r\n` and `\n\n`.
pub fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// A parsed CGI head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgiHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// Parses the head (without the blank line): `Status: 404 Not Found` sets the status (200
/// without it); every other line is a response header.
pub fn parse_head(head: &[u8]) -> Result<CgiHead, String> {
    let text = std::str::from_utf8(head).map_err(|_| "the CGI head is not UTF-8".to_string())?;
    let mut status = 200;
    let mut headers = Vec::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| format!("bad CGI header line {line:?}"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            status = value
                .split_whitespace()
                .next()
                .and_then(|s| s.parse::<u16>().ok())
                .filter(|s| (100..600).contains(s))
                .ok_or_else(|| format!("bad CGI status {value:?}"))?;
        } else {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    Ok(CgiHead { status, headers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_smart_protocol_is_served() {
        assert_eq!(classify("GET", "info/refs", "service=git-upload-pack"), Some(GitRequest::InfoRefs));
        assert_eq!(classify("GET", "info/refs", "x=1&service=git-receive-pack"), Some(GitRequest::InfoRefs));
        assert_eq!(classify("POST", "git-upload-pack", ""), Some(GitRequest::UploadPack));
        assert_eq!(classify("POST", "git-receive-pack", ""), Some(GitRequest::ReceivePack));
        for (m, rest, q) in [
            ("GET", "info/refs", ""),
            ("GET", "info/refs", "service=git-upload-archive"),
            ("POST", "info/refs", "service=git-upload-pack"),
            ("GET", "git-upload-pack", ""),
            ("GET", "HEAD", ""),
            ("GET", "objects/info/packs", ""),
            ("POST", "../git-upload-pack", ""),
        ] {
            assert_eq!(classify(m, rest, q), None, "{m} {rest}?{q}");
        }
    }

    #[test]
    fn the_cgi_environment() {
        let req = CgiRequest {
            method: "POST",
            rest: "git-receive-pack",
            query: "",
            content_type: Some("application/x-git-receive-pack-request"),
            content_length: None,
            content_encoding: Some("gzip"),
            git_protocol: Some("version=2"),
            remote_user: "sbx_1",
            remote_addr: "127.0.0.1",
        };
        let env = cgi_env(Path::new("/srv/app.git"), &req, "/usr/bin", &[]);
        assert_eq!(env["GIT_PROJECT_ROOT"], "/srv/app.git");
        assert_eq!(env["PATH_INFO"], "/git-receive-pack");
        assert_eq!(env["REQUEST_METHOD"], "POST");
        assert_eq!(env["CONTENT_TYPE"], "application/x-git-receive-pack-request");
        assert_eq!(env["HTTP_CONTENT_ENCODING"], "gzip");
        assert_eq!(env["GIT_PROTOCOL"], "version=2");
        assert_eq!(env["GIT_HTTP_EXPORT_ALL"], "1");
        let config: Vec<(String, String)> = (0..env["GIT_CONFIG_COUNT"].parse::<usize>().unwrap())
            .map(|i| (env[&format!("GIT_CONFIG_KEY_{i}")].clone(), env[&format!("GIT_CONFIG_VALUE_{i}")].clone()))
            .collect();
        let has = |k: &str, v: &str| config.contains(&(k.to_string(), v.to_string()));
        assert!(has("http.receivepack", "true") && has("safe.directory", "/srv/app.git"), "{config:?}");
        assert!(has("core.hooksPath", "/dev/null"), "no hook of the repository runs: {config:?}");
        assert!(has("core.fsmonitor", "false"), "{config:?}");
        assert_eq!(env["GIT_CONFIG_NOSYSTEM"], "1");
        assert!(!env.contains_key("HOME"), "no user configuration either");
        assert!(!env.contains_key("CONTENT_LENGTH"), "a chunked body has no length");
        assert!(!has("receive.denyNonFastForwards", "true"), "only a work branch's push rule asks for it");

        let push_config = crate::push_rule::FAST_FORWARD_ONLY_CONFIG;
        let env = cgi_env(Path::new("/srv/app.git"), &req, "/usr/bin", push_config);
        let count: usize = env["GIT_CONFIG_COUNT"].parse().unwrap();
        let config: Vec<(&str, &str)> = (0..count)
            .map(|i| (env[&format!("GIT_CONFIG_KEY_{i}")].as_str(), env[&format!("GIT_CONFIG_VALUE_{i}")].as_str()))
            .collect();
        assert!(config.ends_with(push_config), "{config:?}");
        assert!(config.contains(&("core.hooksPath", "/dev/null")), "{config:?}");
    }

    #[test]
    fn the_push_commands_end_at_the_first_flush() {
        let body = b"0009abcde0007xyz0000PACK\x00\x00";
        assert_eq!(commands_end(body), Ok(Some(20)));
        assert_eq!(&body[..20], b"0009abcde0007xyz0000");
        for partial in [&body[..0], &body[..3], &body[..9], &body[..17]] {
            assert_eq!(commands_end(partial), Ok(None), "{partial:?}");
        }
        assert_eq!(commands_end(b"0000"), Ok(Some(4)));
        assert!(commands_end(b"zzzz").is_err());
        assert!(commands_end(b"0002").is_err());
        let endless: Vec<u8> =
            std::iter::repeat_n(b"fff0".iter().copied().chain(std::iter::repeat_n(b'a', 0xfff0 - 4)), 20)
                .flatten()
                .collect();
        assert!(commands_end(&endless).unwrap_err().contains("too long"));
    }

    #[test]
    fn finds_the_end_of_the_head() {
        assert_eq!(find_head_end(b"Status: 200\r\n\r\nbody"), Some((11, 15)));
        assert_eq!(find_head_end(b"A: b\n\nbody"), Some((4, 6)));
        assert_eq!(find_head_end(b"A: b\r\nC: d\r\n"), None);
        assert_eq!(find_head_end(b"A: b\r\n\r\nx\n\ny"), Some((4, 8)));
    }

    #[test]
    fn parses_status_and_headers() {
        let head =
            parse_head(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980").unwrap();
        assert_eq!(head.status, 404);
        assert_eq!(
            head.headers,
            vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                ("Expires".to_string(), "Fri, 01 Jan 1980".to_string())
            ]
        );
        assert_eq!(parse_head(b"Content-Type: x").unwrap().status, 200);
        assert!(parse_head(b"Status: abc").is_err());
        assert!(parse_head(b"not a header").is_err());
    }
}
