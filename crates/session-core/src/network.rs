//! Which package registries a sandbox's scripts and agent may reach, when its provider isolates
//! the network (the control plane and the provider are always reachable).
//!
//! `NETWORK_ALLOWLIST` (JSON) configures it: `"*"` replaces the built-in list of public
//! registries, and an entry per repository adds to it:
//! `{"*": ["registry.npmjs.org"], "acme/api": ["npm.pkg.example.com", "*.example-cdn.net"]}`.

use std::collections::BTreeMap;

/// The public registries of the common ecosystems: npm, PyPI, crates.io, Go, RubyGems, Maven
/// Central, Debian.
pub const DEFAULT_REGISTRIES: &[&str] = &[
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "pypi.org",
    "files.pythonhosted.org",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "proxy.golang.org",
    "sum.golang.org",
    "rubygems.org",
    "index.rubygems.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "deb.debian.org",
    "security.debian.org",
];

/// The allowlist for a sandbox on `repo`.
pub fn registries_for(config: Option<&str>, repo: &str) -> Result<Vec<String>, String> {
    let config: BTreeMap<String, Vec<String>> = match config.map(str::trim).filter(|c| !c.is_empty()) {
        None => BTreeMap::new(),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("NETWORK_ALLOWLIST is not a map of repository (or \"*\") to host names: {e}"))?,
    };
    let mut hosts: Vec<String> = match config.get("*") {
        Some(base) => base.clone(),
        None => DEFAULT_REGISTRIES.iter().map(|h| h.to_string()).collect(),
    };
    hosts.extend(config.get(repo).cloned().unwrap_or_default());
    for host in &hosts {
        let name = host.strip_prefix("*.").unwrap_or(host);
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid {
            return Err(format!("NETWORK_ALLOWLIST: {host:?} is not a host name (or *.suffix)"));
        }
    }
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_and_per_repository_additions() {
        let default = registries_for(None, "acme/api").unwrap();
        assert!(default.contains(&"registry.npmjs.org".to_string()) && default.contains(&"pypi.org".to_string()));
        let config = r#"{"acme/api": ["npm.pkg.example.com", "*.cdn.example.net"]}"#;
        let api = registries_for(Some(config), "acme/api").unwrap();
        assert!(api.contains(&"npm.pkg.example.com".to_string()) && api.contains(&"registry.npmjs.org".to_string()));
        assert_eq!(registries_for(Some(config), "acme/web").unwrap(), default);
    }

    #[test]
    fn star_replaces_the_default_and_bad_entries_are_named() {
        assert_eq!(registries_for(Some(r#"{"*": []}"#), "x").unwrap(), Vec::<String>::new());
        assert_eq!(registries_for(Some(r#"{"*": ["a.example"]}"#), "x").unwrap(), ["a.example"]);
        assert!(registries_for(Some("[]"), "x").unwrap_err().contains("NETWORK_ALLOWLIST"));
        assert!(registries_for(Some(r#"{"*": ["http://x"]}"#), "x").unwrap_err().contains("not a host name"));
    }
}
