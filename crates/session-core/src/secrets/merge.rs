//! What a sandbox receives: the global secrets, overlaid by its repository's.

use std::collections::BTreeMap;

use super::limits::check_session;
use super::SecretRefusal;

/// Merges the two scopes (a repository secret wins over a global one of the same name) and
/// checks the session limit.
pub fn sandbox_env(
    global: BTreeMap<String, String>,
    repo: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SecretRefusal> {
    let mut merged = global;
    merged.extend(repo);
    check_session(&merged)?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_repository_overrides_global() {
        let merged = sandbox_env(map(&[("A", "global"), ("B", "b")]), map(&[("A", "repo"), ("C", "c")])).unwrap();
        assert_eq!(merged, map(&[("A", "repo"), ("B", "b"), ("C", "c")]));
    }

    #[test]
    fn too_much_is_refused() {
        let global: BTreeMap<String, String> = (0..5).map(|i| (format!("G{i}"), "x".repeat(16_000))).collect();
        let repo: BTreeMap<String, String> = (0..4).map(|i| (format!("R{i}"), "x".repeat(16_000))).collect();
        assert!(sandbox_env(global, repo).is_err());
    }
}
