//! Previews over the bridge: a viewer's HTTP request to the app a sandbox serves on one of its
//! listed ports goes from the control plane to the supervisor as a
//! [`PreviewRequest`] (a bridge command), and comes back as a [`PreviewHead`] and
//! [`PreviewBody`] chunks (bridge messages). They are not agent events: they are not numbered,
//! logged or acknowledged; a request lost with its connection fails, and the viewer retries.

use serde::{Deserialize, Serialize};

/// Where a repository lists its preview ports: `{"preview_ports": [3000]}`.
pub const CONFIG_PATH: &str = ".openinspect/config.json";

/// A request body crosses in one frame: at most this many bytes (before base64).
pub const MAX_PREVIEW_REQUEST_BYTES: usize = 128 * 1024;
/// A response body crosses in chunks of at most this many bytes (before base64).
pub const PREVIEW_CHUNK_BYTES: usize = 64 * 1024;
/// The whole response body, at most.
pub const MAX_PREVIEW_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How long the control plane waits for the app's status line, in seconds.
pub const PREVIEW_HEAD_TIMEOUT_SECS: u64 = 30;

/// Headers that belong to one hop (RFC 9110 §7.6.1): never carried across a preview, either
/// way (nor any header a `Connection` header names).
pub const HOP_BY_HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A header, as a name and a value (order and repeats kept).
pub type Header = (String, String);

/// Control plane → supervisor: send this request to `127.0.0.1:<port>` in the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRequest {
    /// Chosen by the control plane; names the answer's frames.
    pub request_id: String,
    pub port: u16,
    pub method: String,
    /// Path and query, as the viewer asked (`/app.js?v=3`).
    pub target: String,
    pub headers: Vec<Header>,
    /// The body, base64 (standard alphabet); empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

/// Supervisor → control plane: the app's status line and headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewHead {
    pub request_id: String,
    pub status: u16,
    pub headers: Vec<Header>,
}

/// Supervisor → control plane: the next piece of the body; `end` on the last (which may be
/// empty). `error` ends it early (the app closed the connection, the body was too long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewBody {
    pub request_id: String,
    /// Base64 (standard alphabet).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data: String,
    #[serde(default)]
    pub end: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/sessions/:id/previews/:port` → 201: where a person enters a preview. The URL is
/// on the preview's own origin and works once, within a minute; it leaves a pass cookie there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLink {
    pub url: String,
    /// The preview's origin (`http://p-<session>-<port>.localhost:8787`).
    pub origin: String,
    /// Milliseconds since the Unix epoch when `url` stops working.
    pub expires_at: i64,
}

/// Ports a repository may list for previews, at most.
pub const MAX_PREVIEW_PORTS: usize = 10;

/// Whether `port` may be previewed: a listed port, not a privileged one, and not one the
/// sandbox's own machinery uses (`reserved`).
pub fn check_port(port: u16, listed: &[u16], reserved: &[u16]) -> Result<(), String> {
    if port < 1024 {
        return Err(format!("port {port} is below 1024; previews are for the app's own ports"));
    }
    if reserved.contains(&port) {
        return Err(format!("port {port} belongs to the sandbox's supervisor"));
    }
    if !listed.contains(&port) {
        let listed: Vec<String> = listed.iter().map(u16::to_string).collect();
        let listed = if listed.is_empty() { "none".to_string() } else { listed.join(", ") };
        return Err(format!(
            "port {port} is not listed for previews (listed: {listed}); list it in .openinspect/config.json"
        ));
    }
    Ok(())
}

/// The preview ports of a repository's `.openinspect/config.json` (`{"preview_ports": [3000]}`):
/// each 1024–65535, no repeats, at most [`MAX_PREVIEW_PORTS`].
pub fn parse_ports(config_json: &str) -> Result<Vec<u16>, String> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        preview_ports: Vec<u32>,
    }
    let config: Config =
        serde_json::from_str(config_json).map_err(|e| format!(".openinspect/config.json does not read: {e}"))?;
    if config.preview_ports.len() > MAX_PREVIEW_PORTS {
        return Err(format!("preview_ports lists {} ports; at most {MAX_PREVIEW_PORTS}", config.preview_ports.len()));
    }
    let mut ports: Vec<u16> = Vec::new();
    for port in config.preview_ports {
        let Ok(port) = u16::try_from(port).map_err(drop).and_then(|p| if p >= 1024 { Ok(p) } else { Err(()) }) else {
            return Err(format!("preview_ports: {port} is not a port from 1024 to 65535"));
        };
        if ports.contains(&port) {
            return Err(format!("preview_ports: {port} is listed twice"));
        }
        ports.push(port);
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_unprivileged_ports_of_the_app_are_previewed() {
        let listed = [3000, 5173];
        let reserved = [4096];
        let cases: &[(u16, Result<(), &str>)] = &[
            (3000, Ok(())),
            (5173, Ok(())),
            (80, Err("below 1024")),
            (4096, Err("supervisor")),
            (8080, Err("not listed for previews (listed: 3000, 5173)")),
        ];
        for (port, want) in cases {
            match (check_port(*port, &listed, &reserved), want) {
                (Ok(()), Ok(())) => {}
                (Err(why), Err(part)) => assert!(why.contains(part), "{port}: {why}"),
                (got, want) => panic!("{port}: {got:?}, expected {want:?}"),
            }
        }
        assert!(check_port(3000, &[], &[]).unwrap_err().contains("listed: none"));
    }

    #[test]
    fn the_repositorys_config_lists_its_ports() {
        let cases: &[(&str, Result<Vec<u16>, &str>)] = &[
            (r#"{"preview_ports": [3000, 5173]}"#, Ok(vec![3000, 5173])),
            (r#"{}"#, Ok(vec![])),
            (r#"{"preview_ports": [3000, 3000]}"#, Err("listed twice")),
            (r#"{"preview_ports": [22]}"#, Err("22 is not a port")),
            (r#"{"preview_ports": [70000]}"#, Err("70000 is not a port")),
            (r#"{"preview_ports": [1024,1025,1026,1027,1028,1029,1030,1031,1032,1033,1034]}"#, Err("at most 10")),
            (r#"{"preview_ports": "3000"}"#, Err("does not read")),
            ("not json", Err("does not read")),
        ];
        for (json, want) in cases {
            match (parse_ports(json), want) {
                (Ok(got), Ok(expected)) => assert_eq!(&got, expected, "{json}"),
                (Err(why), Err(part)) => assert!(why.contains(part), "{json}: {why}"),
                (got, want) => panic!("{json}: {got:?}, expected {want:?}"),
            }
        }
    }
}
