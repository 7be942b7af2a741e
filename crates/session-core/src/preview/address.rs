//! A preview's origin: `p-<session>-<port>.<preview domain>`. The session id's `_` becomes `-`
//! (a host name has no `_`), and the label is lowercase, as browsers send it.

/// The session and port a preview host names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewAddress {
    pub session_id: String,
    pub port: u16,
}

/// The host (with the domain's port, if it has one) of `session_id`'s preview of `port`.
pub fn host(session_id: &str, port: u16, preview_domain: &str) -> String {
    format!("p-{}-{port}.{preview_domain}", session_id.replace('_', "-").to_ascii_lowercase())
}

/// The session and port of a request's `Host`, when it is a preview host under
/// `preview_domain` (compared without case; the domain's port must match too).
pub fn parse(host_header: &str, preview_domain: &str) -> Option<PreviewAddress> {
    let host = host_header.trim().to_ascii_lowercase();
    let domain = preview_domain.trim().to_ascii_lowercase();
    let label = host.strip_suffix(&domain)?.strip_suffix('.')?;
    if label.contains('.') {
        return None;
    }
    let rest = label.strip_prefix("p-ses-")?;
    let (id, port) = rest.rsplit_once('-')?;
    if id.is_empty() || id.len() > 60 || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return None;
    }
    if port.starts_with('0') {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    Some(PreviewAddress { session_id: format!("ses_{id}"), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "ses_01a2097d6e327c0f7f1a16ec7c15";

    #[test]
    fn a_host_names_its_session_and_port_and_nothing_else_does() {
        let made = host(SESSION, 3000, "localhost:8787");
        assert_eq!(made, "p-ses-01a2097d6e327c0f7f1a16ec7c15-3000.localhost:8787");
        let want = Some(PreviewAddress { session_id: SESSION.into(), port: 3000 });
        assert_eq!(parse(&made, "localhost:8787"), want);
        assert_eq!(parse(&made.to_uppercase(), "localhost:8787"), want, "hosts are case-blind");
        assert_eq!(
            parse("p-ses-abc-5173.preview.example.com", "preview.example.com"),
            Some(PreviewAddress { session_id: "ses_abc".into(), port: 5173 })
        );
        for other in [
            "127.0.0.1:8787",
            "localhost:8787",
            "p-ses-01a2-3000.localhost:9999",
            "p-ses-01a2-3000.evil.localhost:8787",
            "x.p-ses-01a2-3000.localhost:8787",
            "p-ses--3000.localhost:8787",
            "p-ses-01a2-03000.localhost:8787",
            "p-ses-01a2-99999.localhost:8787",
            "p-ses-01a2.localhost:8787",
            "p-ses-01_a2-3000.localhost:8787",
            "q-ses-01a2-3000.localhost:8787",
            "p-ses-01a2-3000localhost:8787",
        ] {
            assert_eq!(parse(other, "localhost:8787"), None, "{other}");
        }
    }
}
