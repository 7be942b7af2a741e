//! Previews: a look at the app a session's sandbox serves, for the people who may view the
//! session. Each preview lives on an origin of its own (`p-<session>-<port>.<preview domain>`),
//! never the control plane's, so the app's pages (the agent's work, untrusted) cannot read the
//! control plane's cookies or call its API as the viewer. A person enters through a short-lived
//! ticket minted on the control plane's origin; the preview origin swaps it for a pass (its
//! own cookie), checked on every request together with the session's access rules.
//!
//! - [`address`]: the preview origin's host name, to and from a session and port.
//! - [`pass`]: the signed ticket and pass (HS256 JWTs).
//! - [`headers`]: which request and response headers cross the tunnel.
//!
//! Invariant: a preview request reaches a sandbox only with a pass for that session and port,
//! for a person the session's access rules let view it; the host name alone opens nothing.

pub mod address;
pub mod headers;
pub mod pass;

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
        return Err(format!("port {port} is not listed for previews (listed: {listed}); list it in .openinspect/config.json"));
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
