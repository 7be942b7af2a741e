//! What a session's `repo` may be, decided once: a path on the machine (local repositories,
//! which the provider serves from its configured roots), `owner/name` on GitHub, or an HTTPS
//! remote. The control plane fetches from a remote with its credentials, so a `repo` must not
//! steer that fetch anywhere else.
//!
//! Invariant: a remote is `https` (or, in local mode only, `http` to this machine), names no
//! user or password, carries no query or fragment, and is not an address in a private,
//! link-local or loopback range (the control plane's own neighbours); credentials are matched
//! by scheme, host and port, never by host alone.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use oi_protocol::{ApiError, ErrorCode};
use url::{Host, Url};

/// Where a session's repository lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoSource {
    /// An absolute path on the machine (served by the sandbox provider).
    LocalPath(String),
    /// `owner/name` on GitHub.
    GitHub { owner: String, name: String },
    /// A git remote over HTTP(S).
    Remote(Url),
}

fn refused(repo: &str, why: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, format!("`repo` {repo:?} {why}"))
}

fn is_owner_name(repo: &str) -> Option<(String, String)> {
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let (owner, name) = repo.split_once('/')?;
    (ok(owner) && ok(name) && !name.contains('/') && owner != "." && owner != "..")
        .then(|| (owner.to_string(), name.to_string()))
}

/// Whether an address is one the control plane must not be sent to for a remote (also used for
/// automations' callback URLs, in `oi-integrations`).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) // carrier-grade NAT
                || v4 == Ipv4Addr::new(169, 254, 169, 254)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Whether a URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
    }
}

/// Parses and checks a `repo`; `local_mode` allows `http` to this machine.
pub fn parse_repo(repo: &str, local_mode: bool) -> Result<RepoSource, ApiError> {
    let repo = repo.trim();
    if repo.starts_with('/') {
        if repo.contains("/../") || repo.ends_with("/..") || repo.contains('\0') {
            return Err(refused(repo, "must be a plain absolute path (no `..`)"));
        }
        return Ok(RepoSource::LocalPath(repo.to_string()));
    }
    if let Some((owner, name)) = is_owner_name(repo) {
        return Ok(RepoSource::GitHub { owner, name });
    }
    if !(repo.starts_with("https://") || repo.starts_with("http://")) {
        return Err(refused(repo, "is not an absolute path, `owner/name` or an https:// remote"));
    }
    if repo.contains(['?', '#']) {
        return Err(refused(repo, "must not carry a query or a fragment"));
    }
    let url = Url::parse(repo).map_err(|e| refused(repo, &format!("is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(repo, "must not name a user or password (credentials are the control plane's)"));
    }
    let host = url.host().ok_or_else(|| refused(repo, "names no host"))?;
    let loopback = is_loopback_host(&host);
    match url.scheme() {
        "https" => {}
        "http" if local_mode && loopback => {}
        "http" => return Err(refused(repo, "must be https (http only to this machine in local mode)")),
        other => return Err(refused(repo, &format!("has scheme {other}; only https remotes are fetched"))),
    }
    let internal = match host {
        Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost"),
    };
    if internal && !(local_mode && loopback) {
        return Err(refused(repo, "is an address inside a private network; only public remotes are fetched"));
    }
    Ok(RepoSource::Remote(url))
}

/// The key a remote's credentials are kept under: `scheme://host[:port]` (the port only when it
/// is not the scheme's default).
pub fn credential_origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_repo_may_be() {
        let ok = |repo: &str, local: bool| {
            parse_repo(repo, local).map(|s| format!("{s:?}")).unwrap_or_else(|e| panic!("{repo}: {}", e.message))
        };
        assert!(ok("/srv/git/app.git", false).starts_with("LocalPath"));
        assert!(ok("acme/widgets", false).starts_with("GitHub"));
        assert!(ok("https://git.example.com/acme/app.git", false).starts_with("Remote"));
        assert!(ok("https://git.example.com:8443/app.git", false).starts_with("Remote"));
        assert!(ok("http://127.0.0.1:4000/app.git", true).starts_with("Remote"), "local mode, this machine");
        let refused: &[(&str, bool, &str)] = &[
            ("/srv/../etc/app.git", false, "plain absolute path"),
            ("http://git.example.com/app.git", false, "must be https"),
            ("http://127.0.0.1:4000/app.git", false, "must be https"),
            ("https://git.example.com/app.git?x=1", false, "query"),
            ("https://git.example.com/app.git#main", false, "fragment"),
            ("https://user:pw@git.example.com/app.git", false, "user or password"),
            ("https://token@git.example.com/app.git", false, "user or password"),
            ("https://10.0.0.5/app.git", false, "private network"),
            ("https://169.254.169.254/latest", false, "private network"),
            ("https://[::1]/app.git", false, "private network"),
            ("https://[fd00::1]/app.git", false, "private network"),
            ("https://[::ffff:192.168.1.1]/app.git", false, "private network"),
            ("https://localhost/app.git", false, "private network"),
            ("https://127.0.0.1/app.git", false, "private network"),
            ("ftp://git.example.com/app.git", false, "absolute path"),
            ("file:///etc/passwd", false, "absolute path"),
            ("git@github.com:acme/app.git", false, "absolute path"),
            ("../../etc", false, "absolute path"),
        ];
        for (repo, local, why) in refused {
            let e = parse_repo(repo, *local).expect_err(repo);
            assert!(e.message.contains(why), "{repo}: {}", e.message);
        }
    }

    #[test]
    fn credentials_are_keyed_by_scheme_host_and_port() {
        let origin = |u: &str| credential_origin(&Url::parse(u).unwrap());
        assert_eq!(origin("https://git.example.com/a.git"), "https://git.example.com");
        assert_eq!(origin("https://git.example.com:443/a.git"), "https://git.example.com");
        assert_eq!(origin("https://git.example.com:8443/a.git"), "https://git.example.com:8443");
        assert_eq!(origin("http://git.example.com/a.git"), "http://git.example.com");
    }
}
