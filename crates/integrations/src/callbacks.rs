//! Automations' notices to their callback URL: where they may go, which answers count as
//! delivered, and when a failed one is tried again.
//!
//! A callback URL follows the rules of git remotes (`oi_session_core::repo_url`): `https`, or
//! `http` to this machine in local mode only; no user or password in it; never an address in
//! a private, link-local or loopback range outside local mode.

use std::net::IpAddr;

use oi_session_core::repo_url::{is_internal, is_loopback_host};
use url::{Host, Url};

/// How many times a notice is tried, the first included.
pub const MAX_ATTEMPTS: u32 = 12;
/// The first retry waits this long; each later one twice as long as the one before, up to
/// [`MAX_RETRY_DELAY_SECS`].
pub const FIRST_RETRY_DELAY_SECS: u32 = 10;
pub const MAX_RETRY_DELAY_SECS: u32 = 3_600;
/// The longest callback URL accepted.
pub const MAX_CALLBACK_URL_CHARS: usize = 2_048;

/// The wait before the next try after try `attempt` (0-based) failed; None once
/// [`MAX_ATTEMPTS`] tries are used.
pub fn retry_delay_secs(attempt: u32) -> Option<u32> {
    if attempt.saturating_add(1) >= MAX_ATTEMPTS {
        return None;
    }
    let doubled = u64::from(FIRST_RETRY_DELAY_SECS) << attempt.min(32);
    Some(doubled.min(u64::from(MAX_RETRY_DELAY_SECS)) as u32)
}

/// Checks a callback URL; `local_mode` allows `http` (and `https`) to this machine.
pub fn check_callback_url(url: &str, local_mode: bool) -> Result<Url, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("must not be empty (leave it out, or send \"\" in an update, to have none)".into());
    }
    let chars = url.chars().count();
    if chars > MAX_CALLBACK_URL_CHARS {
        return Err(format!("has {chars} characters; the limit is {MAX_CALLBACK_URL_CHARS}"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("{url:?} must not contain spaces or control characters"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{url:?} must not carry a user or password (notices are signed instead)"));
    }
    let host = parsed.host().ok_or_else(|| format!("{url:?} names no host"))?;
    let here = local_mode && is_loopback_host(&host);
    match parsed.scheme() {
        "https" => {}
        "http" if here => {}
        "http" => return Err(format!("{url:?} must be https (http only to this machine in local mode)")),
        other => return Err(format!("{url:?} has scheme {other}; notices are sent over https")),
    }
    let internal = match host {
        Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if internal && !here {
        return Err(format!("{url:?} is an address inside a private network; notices go to public addresses only"));
    }
    Ok(parsed)
}

/// What an answer to a notice means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Yes,
    /// Try again later ([`retry_delay_secs`]).
    Retry,
    /// Do not try again (the receiver refuses it).
    GiveUp,
}

/// 2xx: delivered; 408, 429 and 5xx: retry (as for a network error); anything else (other 4xx,
/// redirects, which are not followed): give up.
pub fn judge_status(status: u16) -> Delivered {
    match status {
        200..=299 => Delivered::Yes,
        408 | 429 | 500..=599 => Delivered::Retry,
        _ => Delivered::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays() {
        let cases: &[(u32, Option<u32>)] = &[
            (0, Some(10)),
            (1, Some(20)),
            (2, Some(40)),
            (5, Some(320)),
            (8, Some(2_560)),
            (9, Some(3_600)),
            (10, Some(3_600)),
            (11, None),
            (12, None),
            (u32::MAX, None),
        ];
        for (attempt, want) in cases {
            assert_eq!(retry_delay_secs(*attempt), *want, "after attempt {attempt}");
        }
        // Twelve tries in all: eleven waits.
        assert_eq!((0..MAX_ATTEMPTS).filter_map(retry_delay_secs).count() as u32, MAX_ATTEMPTS - 1);
    }

    #[test]
    fn statuses() {
        let cases: &[(u16, Delivered)] = &[
            (200, Delivered::Yes),
            (202, Delivered::Yes),
            (204, Delivered::Yes),
            (301, Delivered::GiveUp),
            (400, Delivered::GiveUp),
            (401, Delivered::GiveUp),
            (404, Delivered::GiveUp),
            (408, Delivered::Retry),
            (410, Delivered::GiveUp),
            (429, Delivered::Retry),
            (500, Delivered::Retry),
            (502, Delivered::Retry),
            (503, Delivered::Retry),
            (599, Delivered::Retry),
            (100, Delivered::GiveUp),
        ];
        for (status, want) in cases {
            assert_eq!(judge_status(*status), *want, "{status}");
        }
    }

    #[test]
    fn callback_urls() {
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_CALLBACK_URL_CHARS));
        let cases: &[(&str, bool, Result<(), &str>)] = &[
            ("https://hooks.example.com/oi", false, Ok(())),
            ("https://hooks.example.com:8443/oi?team=core", false, Ok(())),
            ("  https://hooks.example.com/oi  ", false, Ok(())),
            ("https://93.184.216.34/oi", false, Ok(())),
            ("http://127.0.0.1:9000/notices", true, Ok(())),
            ("http://localhost:9000/notices", true, Ok(())),
            ("http://[::1]:9000/notices", true, Ok(())),
            ("https://localhost/notices", true, Ok(())),
            ("", false, Err("must not be empty")),
            (&long, false, Err("the limit is 2048")),
            ("https://hooks.example.com/a b", false, Err("spaces")),
            ("hooks.example.com/oi", false, Err("is not a URL")),
            ("http://hooks.example.com/oi", false, Err("must be https")),
            ("http://hooks.example.com/oi", true, Err("must be https")),
            ("http://127.0.0.1:9000/notices", false, Err("must be https")),
            ("ftp://hooks.example.com/oi", false, Err("scheme ftp")),
            ("https://user:pw@hooks.example.com/oi", false, Err("user or password")),
            ("https://token@hooks.example.com/oi", false, Err("user or password")),
            ("https://10.1.2.3/oi", false, Err("private network")),
            ("https://192.168.0.10/oi", true, Err("private network")),
            ("https://169.254.169.254/latest", false, Err("private network")),
            ("https://[fe80::1]/oi", false, Err("private network")),
            ("https://[::ffff:10.0.0.1]/oi", false, Err("private network")),
            ("https://localhost/oi", false, Err("private network")),
            ("https://app.localhost/oi", false, Err("private network")),
            ("https://127.0.0.1/oi", false, Err("private network")),
            ("https://0x7f.1/oi", false, Err("private network")),
        ];
        for (url, local, want) in cases {
            let got = check_callback_url(url, *local).map(|_| ());
            match (got, want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(needle)) => assert!(e.contains(needle), "{url}: {e}"),
                (got, _) => panic!("{url} (local {local}): {got:?}"),
            }
        }
    }
}
