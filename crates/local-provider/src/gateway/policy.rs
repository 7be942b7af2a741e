//! Who the gateway lets a sandbox reach, and how: the decision for one request, as a plain
//! function of the sandbox's [`Allowlist`] and what the request asked ([`Asked`]).
//!
//! - **The control plane**: only plain HTTP requests (absolute form, never a `CONNECT` tunnel,
//!   so every request is seen) to this sandbox's own session's sandbox-token routes
//!   ([`oi_protocol::sandbox_routes`]); the bridge's WebSocket upgrade is the only upgrade.
//!   Before a session (a warm-pool sandbox before its claim, an image build) nothing.
//! - **The provider**: only plain HTTP requests to its git endpoint for this sandbox
//!   (`/git/<sandbox or image id>/…`).
//! - **Package registries** (the allowlist, exact or `*.suffix`): a `CONNECT` tunnel on port
//!   443, or a plain `http://` request on port 80. The gateway then checks the addresses the
//!   name resolves to ([`super::address`]) and, in a tunnel, the TLS server name.
//!
//! Invariant: every request names where it goes twice, and both must agree: a plain request's
//! `Host` header is the host and port of its URL. Anything not admitted here is refused, with
//! the reason.

use std::sync::{Arc, PoisonError, RwLock};

use oi_protocol::sandbox_routes::{self, SandboxRoute};

/// The session a sandbox serves, shared with the provider's record of the sandbox: a
/// warm-pool sandbox has none until its claim sets it.
#[derive(Debug, Clone, Default)]
pub struct SessionScope(Arc<RwLock<Option<String>>>);

impl SessionScope {
    pub fn new(session_id: Option<String>) -> Self {
        Self(Arc::new(RwLock::new(session_id)))
    }

    pub fn get(&self) -> Option<String> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn set(&self, session_id: Option<String>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = session_id;
    }
}

/// Where one sandbox may connect.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// The control plane's host and port (none for an image build).
    pub control_plane: Option<(String, u16)>,
    /// This provider's host and port (its git endpoint).
    pub provider: Option<(String, u16)>,
    /// The id the sandbox's git endpoint is served under (`/git/<id>/…`): the sandbox's, or
    /// the image build's.
    pub git_id: String,
    /// The session whose sandbox routes it may call.
    pub session: SessionScope,
    /// Registry hosts, exact or `*.suffix`, lower case.
    pub hosts: Vec<String>,
}

/// `http(s)://host[:port]/…` → (host, port), lower case, without IPv6 brackets.
fn endpoint(url: &str) -> Option<(String, u16)> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    Some((host, url.port_or_known_default()?))
}

/// A host name as compared: lower case, without a trailing dot or IPv6 brackets.
fn normal(host: &str) -> String {
    host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase()
}

impl Allowlist {
    /// A sandbox's (or an image build's, with no control plane) allowlist.
    pub fn new(
        control_plane_url: &str,
        provider_url: &str,
        git_id: &str,
        session: SessionScope,
        hosts: &[String],
    ) -> Self {
        Allowlist {
            control_plane: endpoint(control_plane_url),
            provider: endpoint(provider_url),
            git_id: git_id.to_string(),
            session,
            hosts: hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `host` is one of the registries (exact, or under a `*.suffix`).
    pub fn is_registry(&self, host: &str) -> bool {
        let host = normal(host);
        self.hosts.iter().any(|allowed| match allowed.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => *allowed == host,
        })
    }

    fn is(&self, endpoint: &Option<(String, u16)>, host: &str, port: u16) -> bool {
        endpoint.as_ref().is_some_and(|(h, p)| *h == normal(host) && *p == port)
    }
}

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `CONNECT host:port`.
    Connect { host: &'a str, port: u16 },
    /// `METHOD http://host[:port]/path?query`; `path` is the path and query.
    Http { host: &'a str, port: u16, path: &'a str },
    /// Anything else (a relative path, an `https://` URL): what it was.
    Other(&'a str),
}

/// A request as the gateway read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked<'a> {
    pub method: &'a str,
    pub target: Target<'a>,
    /// The `Host` header, if any.
    pub host_header: Option<&'a str>,
    /// It asks for a protocol upgrade (`Upgrade`, e.g. a WebSocket).
    pub upgrade: bool,
}

/// What the gateway does with an admitted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it to the control plane (as named), splicing the upgrade when the route is
    /// the bridge.
    ControlPlane(SandboxRoute),
    /// Forward it to the provider's git endpoint.
    Provider,
    /// Forward it to a registry, on a public address only.
    Registry,
    /// Open a tunnel to a registry, on a public address only, for TLS naming that registry.
    Tunnel,
}

/// Whether a `Host` header names `host:port` (the port may be left out when it is 80).
fn host_header_matches(header: Option<&str>, host: &str, port: u16) -> bool {
    let Some(header) = header.map(str::trim) else { return false };
    let (name, header_port) = match header.rsplit_once(':') {
        // `[::1]:80`, `name:80`; a bare IPv6 literal needs its brackets.
        Some((name, p)) if !p.contains(']') && (name.ends_with(']') || !name.contains(':')) => match p.parse() {
            Ok(p) => (name, p),
            Err(_) => return false,
        },
        _ => (header, 80),
    };
    normal(name) == normal(host) && header_port == port
}

/// The decision for one request, or why it is refused.
pub fn decide(allow: &Allowlist, session: Option<&str>, asked: &Asked<'_>) -> Result<Verdict, String> {
    let (host, port, path) = match asked.target {
        Target::Other(what) => {
            return Err(format!("{what:?} is not a proxy request (an absolute http:// URL, or CONNECT host:443)"))
        }
        Target::Connect { host, port } => {
            if allow.is(&allow.control_plane, host, port) || allow.is(&allow.provider, host, port) {
                return Err(format!("{host}:{port} is reached only by plain HTTP requests, never a tunnel"));
            }
            if !allow.is_registry(host) {
                return Err(format!("{host} is not on this sandbox's network allowlist"));
            }
            if port != 443 {
                return Err(format!("a tunnel to {host} is allowed on port 443 only"));
            }
            return Ok(Verdict::Tunnel);
        }
        Target::Http { host, port, path } => (host, port, path),
    };
    let allowed_somewhere =
        allow.is(&allow.control_plane, host, port) || allow.is(&allow.provider, host, port) || allow.is_registry(host);
    if !allowed_somewhere {
        return Err(format!("{host}:{port} is not on this sandbox's network allowlist"));
    }
    if !host_header_matches(asked.host_header, host, port) {
        let header = asked.host_header.unwrap_or("(none)");
        return Err(format!("the Host header {header:?} does not name {host}:{port}, where the request goes"));
    }
    if allow.is(&allow.control_plane, host, port) {
        let session = session.ok_or("this sandbox serves no session yet; the control plane is not reachable")?;
        let route = sandbox_routes::admit(asked.method, path, session)?;
        if asked.upgrade && !route.upgrades() {
            return Err("only the bridge's WebSocket upgrades".into());
        }
        return Ok(Verdict::ControlPlane(route));
    }
    if asked.upgrade {
        return Err(format!("a request to {host} may not upgrade"));
    }
    if allow.is(&allow.provider, host, port) {
        let segments = sandbox_routes::plain_segments(path)?;
        let own = matches!(segments.as_slice(), ["git", id, _, ..] if *id == allow.git_id);
        if !own || !matches!(asked.method, "GET" | "POST") {
            return Err("only this sandbox's git endpoint is reachable on the provider".into());
        }
        return Ok(Verdict::Provider);
    }
    if port != 80 {
        return Err(format!("plain HTTP to {host} is allowed on port 80 only"));
    }
    Ok(Verdict::Registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "ses_own";

    fn allow() -> Allowlist {
        Allowlist::new(
            "http://127.0.0.1:8787",
            "http://127.0.0.1:8788/",
            "sbx_1",
            SessionScope::new(Some(OWN.into())),
            &["registry.npmjs.org".into(), "*.pythonhosted.org".into()],
        )
    }

    fn http<'a>(method: &'a str, host: &'a str, port: u16, path: &'a str, header: Option<&'a str>) -> Asked<'a> {
        Asked { method, target: Target::Http { host, port, path }, host_header: header, upgrade: false }
    }

    fn connect(host: &str, port: u16) -> Asked<'_> {
        Asked { method: "CONNECT", target: Target::Connect { host, port }, host_header: None, upgrade: false }
    }

    #[test]
    fn each_request_gets_one_decision() {
        let cp = Some("127.0.0.1:8787");
        let pv = Some("127.0.0.1:8788");
        let bridge = Asked { upgrade: true, ..http("GET", "127.0.0.1", 8787, "/api/sessions/ses_own/sandbox", cp) };
        let cases: Vec<(Asked, Result<Verdict, &str>)> = vec![
            // The control plane: the own session's sandbox routes, as plain requests.
            (bridge, Ok(Verdict::ControlPlane(SandboxRoute::Bridge))),
            (
                http("POST", "127.0.0.1", 8787, "/api/sessions/ses_own/model/scripted/chat/completions", cp),
                Ok(Verdict::ControlPlane(SandboxRoute::Model)),
            ),
            (http("GET", "127.0.0.1", 8787, "/api/sessions", cp), Err("sandbox routes")),
            (http("GET", "127.0.0.1", 8787, "/api/secrets", cp), Err("sandbox routes")),
            (http("GET", "127.0.0.1", 8787, "/api/sessions/ses_other/sandbox", cp), Err("own session")),
            (http("POST", "127.0.0.1", 8787, "/api/sessions/ses_other/sandbox/attach", cp), Err("own session")),
            (
                Asked { upgrade: true, ..http("GET", "127.0.0.1", 8787, "/api/sessions/ses_own/git/info/refs", cp) },
                Err("only the bridge"),
            ),
            (connect("127.0.0.1", 8787), Err("never a tunnel")),
            (http("GET", "127.0.0.1", 8787, "/api/sessions/ses_own/sandbox", Some("evil.test")), Err("Host header")),
            (http("GET", "127.0.0.1", 8787, "/api/sessions/ses_own/sandbox", None), Err("Host header")),
            (http("GET", "127.0.0.1", 8789, "/api/sessions/ses_own/sandbox", cp), Err("not on this sandbox's")),
            // The provider: this sandbox's git endpoint only.
            (http("GET", "127.0.0.1", 8788, "/git/sbx_1/info/refs?service=git-upload-pack", pv), Ok(Verdict::Provider)),
            (http("POST", "127.0.0.1", 8788, "/git/sbx_1/git-upload-pack", pv), Ok(Verdict::Provider)),
            (http("GET", "127.0.0.1", 8788, "/git/sbx_2/info/refs", pv), Err("only this sandbox's git endpoint")),
            (http("GET", "127.0.0.1", 8788, "/v1/sandboxes/sbx_2", pv), Err("only this sandbox's git endpoint")),
            (http("GET", "127.0.0.1", 8788, "/git/sbx_1/../sbx_2/info/refs", pv), Err("dot segment")),
            (connect("127.0.0.1", 8788), Err("never a tunnel")),
            // Registries: TLS tunnels on 443, plain HTTP on 80, each with its own Host.
            (connect("registry.npmjs.org", 443), Ok(Verdict::Tunnel)),
            (connect("files.pythonhosted.org", 443), Ok(Verdict::Tunnel)),
            (connect("registry.npmjs.org", 80), Err("port 443 only")),
            (connect("registry.npmjs.org", 22), Err("port 443 only")),
            (connect("example.com", 443), Err("example.com is not on this sandbox's network allowlist")),
            (connect("pythonhosted.org.evil.com", 443), Err("not on this sandbox's")),
            (http("GET", "registry.npmjs.org", 80, "/left-pad", Some("registry.npmjs.org")), Ok(Verdict::Registry)),
            (http("GET", "registry.npmjs.org", 80, "/left-pad", Some("Registry.NPMjs.org:80")), Ok(Verdict::Registry)),
            (http("GET", "registry.npmjs.org", 80, "/api/sessions", cp), Err("Host header \"127.0.0.1:8787\"")),
            (http("GET", "registry.npmjs.org", 80, "/", Some("example.com")), Err("does not name registry.npmjs.org")),
            (http("GET", "registry.npmjs.org", 443, "/", Some("registry.npmjs.org:443")), Err("port 80 only")),
            (
                Asked { upgrade: true, ..http("GET", "registry.npmjs.org", 80, "/", Some("registry.npmjs.org")) },
                Err("may not upgrade"),
            ),
            (http("GET", "example.com", 80, "/", Some("example.com")), Err("not on this sandbox's")),
            // Not proxy requests.
            (
                Asked { method: "GET", target: Target::Other("/api/sessions"), host_header: cp, upgrade: false },
                Err("not a proxy request"),
            ),
        ];
        for (asked, want) in cases {
            match (decide(&allow(), Some(OWN), &asked), want) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{asked:?}"),
                (Err(why), Err(part)) => assert!(why.contains(part), "{asked:?}: {why}"),
                (got, want) => panic!("{asked:?}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn without_a_session_the_control_plane_is_closed() {
        let asked = http("GET", "127.0.0.1", 8787, "/api/sessions/ses_own/sandbox", Some("127.0.0.1:8787"));
        assert!(decide(&allow(), None, &asked).unwrap_err().contains("serves no session yet"));
        let image_build = Allowlist::new("", "http://127.0.0.1:8788", "img_1", SessionScope::default(), &[]);
        assert!(decide(&image_build, None, &asked).unwrap_err().contains("not on this sandbox's"));
        let clone = http("GET", "127.0.0.1", 8788, "/git/img_1/info/refs", Some("127.0.0.1:8788"));
        assert_eq!(decide(&image_build, None, &clone), Ok(Verdict::Provider));
    }

    #[test]
    fn a_claim_changes_the_session_everywhere_the_scope_is_shared() {
        let scope = SessionScope::new(None);
        let allow = Allowlist { session: scope.clone(), ..allow() };
        assert_eq!(allow.session.get(), None);
        scope.set(Some("ses_claimed".into()));
        assert_eq!(allow.clone().session.get().as_deref(), Some("ses_claimed"));
    }

    #[test]
    fn host_headers() {
        for (header, host, port, ok) in [
            ("example.com", "example.com", 80, true),
            ("example.com:80", "example.com", 80, true),
            ("EXAMPLE.com.", "example.com", 80, true),
            ("example.com:8080", "example.com", 80, false),
            ("example.com", "example.com", 8080, false),
            ("127.0.0.1:8787", "127.0.0.1", 8787, true),
            ("[::1]:8787", "::1", 8787, true),
            ("[::1]", "[::1]", 80, true),
            ("example.com:x", "example.com", 80, false),
            ("other.com", "example.com", 80, false),
        ] {
            assert_eq!(host_header_matches(Some(header), host, port), ok, "{header} for {host}:{port}");
        }
        assert!(!host_header_matches(None, "example.com", 80));
    }
}
