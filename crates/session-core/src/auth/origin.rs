//! Request-origin guards: CSRF for cookie-authenticated requests, CORS, and the rule that local
//! mode (no sign-in) never runs on a public URL.
//!
//! Origins are compared as (scheme, host, port) after parsing: the host is case-insensitive,
//! default ports are implied (`https://a.io` = `https://a.io:443`), and only http(s) origins ever
//! match.

use std::net::Ipv6Addr;

use url::{Host, Origin, Url};

/// The setting that holds the deployment's public URL.
pub const PUBLIC_URL_SETTING: &str = "PUBLIC_URL";
/// The setting that chooses local mode (`AUTH_MODE=local`) or sign-in (`AUTH_MODE=github`).
pub const LOCAL_MODE_SETTING: &str = "AUTH_MODE";
/// The setting that lets local mode run on a public URL anyway.
pub const LOCAL_MODE_OVERRIDE_SETTING: &str = "ALLOW_LOCAL_MODE_ON_PUBLIC_URL";

refusal! {
    /// A request refused as possibly cross-site.
    CsrfDenied => Forbidden
}

/// Whether a method can change state. Only GET, HEAD and OPTIONS are safe (in any case); every
/// other method (POST, PUT, PATCH, DELETE, and anything unknown) is unsafe.
pub fn is_unsafe_method(method: &str) -> bool {
    !["GET", "HEAD", "OPTIONS"].iter().any(|safe| method.eq_ignore_ascii_case(safe))
}

/// The origin of an http(s) URL (any path): for the deployment's own origin or public URL.
fn http_origin(url: &str) -> Option<Origin> {
    let url = Url::parse(url.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin())
}

/// A request's `Origin` header as an origin: a bare http(s) origin, nothing else (no path, query,
/// fragment or credentials; `null` is never an origin that matches).
fn header_origin(header: &str) -> Option<Origin> {
    let url = Url::parse(header).ok()?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    (bare && matches!(url.scheme(), "http" | "https")).then(|| url.origin())
}

fn refuse(message: String) -> Result<(), CsrfDenied> {
    Err(CsrfDenied { message })
}

/// The CSRF check. Safe methods pass. An unsafe one from a browser must carry an `Origin`
/// equal to `own_origin`; without `Origin`, `Sec-Fetch-Site` must be `same-origin` or `none`
/// (typed by the user). With neither header the request does not come from a browser (every
/// current browser sends `Origin` on cross-origin unsafe requests), so a forged cross-site
/// request cannot look like that; it passes.
///
/// Requests authenticated by a bearer token (not a cookie) need no CSRF check: a browser never
/// adds one on its own.
pub fn check_same_origin(
    method: &str,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    own_origin: &str,
) -> Result<(), CsrfDenied> {
    if !is_unsafe_method(method) {
        return Ok(());
    }
    let method = method.to_ascii_uppercase();
    let Some(own) = http_origin(own_origin) else {
        return refuse(format!(
            "{method} refused: the deployment's own origin ({own_origin}) is not an http(s) URL; check \
             {PUBLIC_URL_SETTING}"
        ));
    };
    match (origin, sec_fetch_site.map(str::trim)) {
        (Some(origin), _) => {
            if header_origin(origin).is_some_and(|o| o == own) {
                Ok(())
            } else {
                refuse(format!(
                    "cross-origin {method} refused: the request's Origin is not this deployment's origin ({})",
                    own.ascii_serialization()
                ))
            }
        }
        (None, Some(site)) if site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none") => Ok(()),
        (None, Some(_)) => refuse(format!(
            "cross-site {method} refused: Sec-Fetch-Site says the request does not come from this deployment's pages"
        )),
        // Not from a browser (browsers send Origin on every cross-origin unsafe request, and
        // Sec-Fetch-Site on every request): a CLI or a test, which holds no victim's cookies.
        (None, None) => Ok(()),
    }
}

/// Whether `host` is this machine: 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
    }
}

/// Whether local mode may run with this public URL: it signs nobody in, so it
/// refuses any URL whose host is not a loopback address, unless `override_flag` is set. No
/// public URL (`None` or blank) means the deployment is reached only locally.
pub fn local_mode_allowed(public_url: Option<&str>, override_flag: bool) -> Result<(), String> {
    if override_flag {
        return Ok(());
    }
    let Some(raw) = public_url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(());
    };
    let fix = format!(
        "set {LOCAL_MODE_SETTING}=github and configure sign-in, set {PUBLIC_URL_SETTING} to a 127.0.0.1, [::1] or \
         localhost address, or set {LOCAL_MODE_OVERRIDE_SETTING}=true if only trusted people can reach it"
    );
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(_) => return Err(format!("local mode refuses {PUBLIC_URL_SETTING} {raw}: it is not a valid URL; {fix}")),
    };
    match url.host() {
        Some(host) if is_loopback(&host) => Ok(()),
        Some(host) => Err(format!(
            "local mode ({LOCAL_MODE_SETTING}=local) signs nobody in, so it refuses the public URL {raw} (host {host} \
             is not this machine); {fix}"
        )),
        None => Err(format!("local mode refuses {PUBLIC_URL_SETTING} {raw}: it names no host; {fix}")),
    }
}

/// Headers a reverse proxy adds. Local mode refuses a request that has one: behind a proxy
/// that rewrites `Host`, a loopback-only deployment would otherwise be public. (workerd sets
/// `CF-Connecting-IP` on every request, so that one counts only when it is not this machine.)
pub const FORWARDING_HEADERS: &[&str] =
    &["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"];

/// Local mode's answer to a request that may have come through a proxy: `headers` are its
/// `(name, value)` pairs, names in any case.
pub fn local_mode_direct_only<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), String> {
    let refuse = |why: &str| {
        Err(format!(
            "local mode answers only requests made on this machine, and this one came through a proxy ({why}); \
             deploy with {LOCAL_MODE_SETTING}=github to serve it through one"
        ))
    };
    for (name, value) in headers {
        if let Some(h) = FORWARDING_HEADERS.iter().find(|h| h.eq_ignore_ascii_case(name)) {
            return refuse(h);
        }
        if name.eq_ignore_ascii_case("cf-connecting-ip") {
            let loopback = value.trim().parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return refuse(&format!("cf-connecting-ip {value}"));
            }
        }
    }
    Ok(())
}

/// Where to go after signing in: a plain absolute path of this site, else `/`. Refused: other
/// hosts (`//…`, `/\…`), control characters and backslashes raw or percent-encoded (a browser
/// drops a tab, so `/%09/evil.example` would become `//evil.example`), and percent-encoded `/`.
pub fn safe_return_to(path: Option<&str>) -> String {
    let Some(path) = path else { return "/".to_string() };
    let decoded = url::form_urlencoded::parse(format!("p={path}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let plain = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    };
    let encoded_separator = path.to_ascii_lowercase().contains("%2f") || path.to_ascii_lowercase().contains("%5c");
    if plain(path) && plain(&decoded) && !encoded_separator {
        path.to_string()
    } else {
        "/".to_string()
    }
}

/// The `Access-Control-Allow-Origin` value for a request: the deployment's own origin when the
/// request comes from it, else none (never `*`). Responses that use it should carry
/// `Vary: Origin`.
pub fn cors_allow_origin(request_origin: Option<&str>, own_origin: &str) -> Option<String> {
    let own = http_origin(own_origin)?;
    let request = header_origin(request_origin?)?;
    (request == own).then(|| own.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_mode_refuses_requests_through_a_proxy() {
        let direct = [("host", "127.0.0.1:8787"), ("cookie", "x"), ("CF-Connecting-IP", "127.0.0.1")];
        assert!(local_mode_direct_only(direct).is_ok());
        assert!(local_mode_direct_only([("cf-connecting-ip", "::1")]).is_ok());
        let proxied: &[(&str, &str)] = &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("forwarded", "for=203.0.113.7"),
            ("x-real-ip", "203.0.113.7"),
            ("X-Forwarded-Host", "app.example"),
            ("X-Forwarded-Proto", "https"),
            ("CF-Connecting-IP", "203.0.113.7"),
            ("cf-connecting-ip", "not an address"),
        ];
        for (name, value) in proxied {
            let refused = local_mode_direct_only([("host", "127.0.0.1"), (*name, *value)]).unwrap_err();
            assert!(refused.contains("proxy"), "{name}: {refused}");
        }
    }

    #[test]
    fn return_to_is_a_plain_path_of_this_site() {
        let cases: &[(Option<&str>, &str)] = &[
            (None, "/"),
            (Some("/sessions/ses_1"), "/sessions/ses_1"),
            (Some("/sessions?mine=true"), "/sessions?mine=true"),
            (Some("//evil.example"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("/%09/evil.example"), "/"),
            (Some("/\t/evil.example"), "/"),
            (Some("/%2F/evil.example"), "/"),
            (Some("/%5cevil.example"), "/"),
            (Some("/x\r\nSet-Cookie: a=b"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("evil.example"), "/"),
            (Some(""), "/"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_return_to(*input), *want, "{input:?}");
        }
    }
    use oi_protocol::{ApiError, ErrorCode};

    const OWN: &str = "https://oi.example.com";

    #[test]
    fn unsafe_methods() {
        let cases = [
            ("GET", false),
            ("HEAD", false),
            ("OPTIONS", false),
            ("get", false),
            ("POST", true),
            ("PUT", true),
            ("PATCH", true),
            ("DELETE", true),
            ("delete", true),
            ("PROPFIND", true),
            ("", true),
        ];
        for (method, expected) in cases {
            assert_eq!(is_unsafe_method(method), expected, "{method}");
        }
    }

    #[test]
    fn same_origin_table() {
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, bool);
        let cases: [Case; 31] = [
            // Safe methods pass whatever the headers say.
            ("GET", None, None, OWN, true),
            ("HEAD", Some("https://evil.io"), Some("cross-site"), OWN, true),
            ("OPTIONS", Some("https://evil.io"), None, OWN, true),
            // Origin decides when present.
            ("POST", Some("https://oi.example.com"), None, OWN, true),
            ("DELETE", Some("https://OI.Example.COM"), None, OWN, true),
            ("PUT", Some("https://oi.example.com:443"), None, OWN, true),
            ("PATCH", Some("https://oi.example.com"), Some("cross-site"), OWN, true),
            ("POST", Some("https://oi.example.com"), None, "https://oi.example.com/app/", true),
            ("POST", Some("http://127.0.0.1:8787"), None, "http://127.0.0.1:8787", true),
            ("POST", Some("http://localhost"), None, "http://localhost:80", true),
            ("POST", Some("http://[::1]:8787"), None, "http://[0:0:0:0:0:0:0:1]:8787", true),
            ("POST", Some("https://evil.io"), Some("same-origin"), OWN, false),
            ("POST", Some("http://oi.example.com"), None, OWN, false),
            ("POST", Some("https://oi.example.com:8443"), None, OWN, false),
            ("POST", Some("https://evil-oi.example.com"), None, OWN, false),
            ("POST", Some("https://oi.example.com.evil.io"), None, OWN, false),
            ("POST", Some("https://oi.example.com/path"), None, OWN, false),
            ("POST", Some("https://user@oi.example.com"), None, OWN, false),
            ("POST", Some("null"), Some("same-origin"), OWN, false),
            ("POST", Some(""), Some("same-origin"), OWN, false),
            ("POST", Some("oi.example.com"), None, OWN, false),
            // No Origin: Sec-Fetch-Site decides.
            ("POST", None, Some("same-origin"), OWN, true),
            ("DELETE", None, Some("none"), OWN, true),
            ("POST", None, Some("Same-Origin"), OWN, true),
            ("POST", None, Some("same-site"), OWN, false),
            ("POST", None, Some("cross-site"), OWN, false),
            ("POST", None, Some(""), OWN, false),
            // Neither header: not a browser (a CLI, a test), so not a forged request.
            ("POST", None, None, OWN, true),
            ("PROPFIND", None, None, OWN, true),
            // An own origin that is not http(s) matches nothing.
            ("POST", Some("https://oi.example.com"), None, "not a url", false),
            ("POST", None, Some("same-origin"), "file:///etc", false),
        ];
        for (method, origin, site, own, expected) in cases {
            let result = check_same_origin(method, origin, site, own);
            assert_eq!(result.is_ok(), expected, "{method} origin={origin:?} site={site:?} own={own}: {result:?}");
        }
    }

    #[test]
    fn csrf_messages() {
        let cases = [
            (
                Some("https://evil.io"),
                None,
                "cross-origin POST refused: the request's Origin is not this deployment's origin \
                 (https://oi.example.com)",
            ),
            (
                None,
                Some("cross-site"),
                "cross-site POST refused: Sec-Fetch-Site says the request does not come from this deployment's pages",
            ),
        ];
        for (origin, site, message) in cases {
            let denied = check_same_origin("post", origin, site, OWN).unwrap_err();
            assert_eq!(denied.message, message);
            assert_eq!(ApiError::from(denied).code, ErrorCode::Forbidden);
        }
    }

    #[test]
    fn local_mode_table() {
        let cases: [(Option<&str>, bool, bool); 20] = [
            (None, false, true),
            (Some(""), false, true),
            (Some("  "), false, true),
            (Some("http://127.0.0.1:8787"), false, true),
            (Some("http://127.8.9.10/"), false, true),
            (Some("http://localhost:8787/app"), false, true),
            (Some("http://LOCALHOST"), false, true),
            (Some("http://[::1]:8787"), false, true),
            (Some("https://oi.example.com"), false, false),
            (Some("https://oi.example.com"), true, true),
            (Some("http://0.0.0.0:8787"), false, false),
            (Some("http://192.168.1.10:8787"), false, false),
            (Some("http://128.0.0.1"), false, false),
            (Some("http://localhost.evil.io"), false, false),
            (Some("http://127.0.0.1.nip.io"), false, false),
            (Some("http://[::]:8787"), false, false),
            (Some("http://[::ffff:7f00:1]"), false, false),
            (Some("not a url"), false, false),
            (Some("mailto:me@example.com"), false, false),
            (Some("not a url"), true, true),
        ];
        for (url, override_flag, expected) in cases {
            let result = local_mode_allowed(url, override_flag);
            assert_eq!(result.is_ok(), expected, "{url:?} override={override_flag}: {result:?}");
            if let Err(message) = result {
                for setting in [LOCAL_MODE_SETTING, PUBLIC_URL_SETTING, LOCAL_MODE_OVERRIDE_SETTING] {
                    assert!(message.contains(setting), "{message}");
                }
            }
        }
    }

    #[test]
    fn local_mode_message_names_the_settings() {
        assert_eq!(
            local_mode_allowed(Some("https://oi.example.com/"), false).unwrap_err(),
            "local mode (AUTH_MODE=local) signs nobody in, so it refuses the public URL https://oi.example.com/ \
             (host oi.example.com is not this machine); set AUTH_MODE=github and configure sign-in, set PUBLIC_URL \
             to a 127.0.0.1, [::1] or localhost address, or set ALLOW_LOCAL_MODE_ON_PUBLIC_URL=true if only \
             trusted people can reach it"
        );
    }

    #[test]
    fn cors_table() {
        let cases: [(Option<&str>, &str, Option<&str>); 9] = [
            (Some("https://oi.example.com"), OWN, Some("https://oi.example.com")),
            (Some("https://OI.example.com:443"), OWN, Some("https://oi.example.com")),
            (Some("http://localhost:8787"), "http://localhost:8787/", Some("http://localhost:8787")),
            (Some("https://evil.io"), OWN, None),
            (Some("http://oi.example.com"), OWN, None),
            (Some("null"), OWN, None),
            (Some("*"), OWN, None),
            (None, OWN, None),
            (Some("https://oi.example.com"), "not a url", None),
        ];
        for (request, own, expected) in cases {
            assert_eq!(cors_allow_origin(request, own).as_deref(), expected, "{request:?} {own}");
        }
    }
}
