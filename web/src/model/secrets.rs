//! The secrets settings: which scope the page manages, the API paths for it, the checks made
//! before sending (the server decides the rest, and its message is shown as it is) and the
//! words the page shows. Values are never shown: nothing here takes a value except to count
//! its bytes.

use oi_protocol::limits::{MAX_SECRET_NAME_CHARS, MAX_SECRET_VALUE_BYTES};
use oi_protocol::secrets::{ImportSecretsResult, SecretAction, SecretList, SecretScope};
use oi_protocol::SessionSummary;

/// What the scope picker shows: `global` or `repo` (the `value` of its options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeChoice {
    Global,
    Repo,
}

impl ScopeChoice {
    /// The picker's starting choice: admins manage the global secrets, members only a repo's.
    pub fn initial(admin: bool) -> Self {
        if admin {
            ScopeChoice::Global
        } else {
            ScopeChoice::Repo
        }
    }

    pub fn from_value(value: &str) -> Self {
        if value == "global" {
            ScopeChoice::Global
        } else {
            ScopeChoice::Repo
        }
    }

    pub fn value(self) -> &'static str {
        match self {
            ScopeChoice::Global => "global",
            ScopeChoice::Repo => "repo",
        }
    }

    /// The scope chosen, given the repository field; `None` until a repository is entered.
    pub fn scope(self, repo: &str) -> Option<SecretScope> {
        match self {
            ScopeChoice::Global => Some(SecretScope::Global),
            ScopeChoice::Repo => {
                let repo = repo.trim();
                (!repo.is_empty()).then(|| SecretScope::Repo { repo: repo.to_string() })
            }
        }
    }
}

/// `?repo=…` (URL-encoded) for a repository's scope, nothing for the global one.
fn query(scope: &SecretScope) -> String {
    match scope {
        SecretScope::Global => String::new(),
        SecretScope::Repo { repo } => {
            format!("?{}", serde_urlencoded::to_string([("repo", repo.as_str())]).unwrap_or_default())
        }
    }
}

/// Percent-encodes everything but unreserved characters, for a path segment.
fn segment(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// `GET /api/secrets[?repo=]`
pub fn list_path(scope: &SecretScope) -> String {
    format!("/api/secrets{}", query(scope))
}

/// `PUT` and `DELETE /api/secrets/:name[?repo=]`
pub fn secret_path(scope: &SecretScope, name: &str) -> String {
    format!("/api/secrets/{}{}", segment(name), query(scope))
}

/// `POST /api/secrets/import[?repo=]`
pub fn import_path(scope: &SecretScope) -> String {
    format!("/api/secrets/import{}", query(scope))
}

/// `GET /api/secrets/audit[?repo=]`
pub fn audit_path(scope: &SecretScope) -> String {
    format!("/api/secrets/audit{}", query(scope))
}

/// Checks a name's syntax (`[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters) before sending.
/// Reserved names are left to the server, whose message says which.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Enter a name for the secret.".to_string());
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or('0');
    if first.is_ascii_digit() {
        return Err(format!("{name} starts with a digit; a name starts with a letter or _."));
    }
    let valid = (first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "{name:?} is not an environment variable name: use only letters A–Z, digits and _ (for example DATABASE_URL)."
        ));
    }
    if name.chars().count() > MAX_SECRET_NAME_CHARS {
        return Err(format!("The name is longer than {MAX_SECRET_NAME_CHARS} characters."));
    }
    Ok(())
}

/// Checks a value's size in bytes (UTF-8) against the 16 KiB limit before sending.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_SECRET_VALUE_BYTES {
        return Err(format!(
            "The value is {} bytes; a value may be at most {} ({MAX_SECRET_VALUE_BYTES} bytes).",
            value.len(),
            bytes(MAX_SECRET_VALUE_BYTES as u64)
        ));
    }
    Ok(())
}

/// The value field's size note: `12 bytes of 16 KiB`, and whether it is over (then in bytes).
pub fn value_size(value: &str) -> (String, bool) {
    let size = value.len();
    let limit = bytes(MAX_SECRET_VALUE_BYTES as u64);
    if size > MAX_SECRET_VALUE_BYTES {
        (format!("{size} bytes: over the limit of {limit}"), true)
    } else {
        (format!("{} of {limit}", bytes(size as u64)), false)
    }
}

/// A size for people: `1 byte`, `900 bytes`, `1.5 KiB`, `16 KiB`.
pub fn bytes(n: u64) -> String {
    match n {
        1 => "1 byte".to_string(),
        0..=1023 => format!("{n} bytes"),
        _ if n.is_multiple_of(1024) => format!("{} KiB", n / 1024),
        _ => format!("{:.1} KiB", n as f64 / 1024.0),
    }
}

/// `3 of 50 secrets, 1.2 KiB of 64 KiB`.
pub fn usage(list: &SecretList) -> String {
    format!(
        "{} of {} secrets, {} of {}",
        list.secrets.len(),
        list.limits.per_scope,
        bytes(u64::from(list.used_bytes)),
        bytes(u64::from(list.limits.scope_bytes))
    )
}

/// How the page names a scope: `Global secrets (every session)`, `Secrets of acme/app`.
pub fn scope_label(scope: &SecretScope) -> String {
    match scope {
        SecretScope::Global => "Global secrets (every session)".to_string(),
        SecretScope::Repo { repo } => format!("Secrets of {repo}"),
    }
}

/// The status after saving one secret.
pub fn saved_message(name: &str, replaced: bool) -> String {
    if replaced {
        format!("Replaced the value of {name}.")
    } else {
        format!("Saved {name}.")
    }
}

/// The status after an import: how many were new and how many replaced, by name.
pub fn import_message(result: &ImportSecretsResult) -> String {
    let list = |names: &[String]| names.join(", ");
    match (result.created.len(), result.updated.len()) {
        (0, 0) => "The file had no variables; nothing changed.".to_string(),
        (c, 0) => format!("Imported {c} new: {}.", list(&result.created)),
        (0, u) => format!("Replaced {u}: {}.", list(&result.updated)),
        (c, u) => format!("Imported {c} new: {}; replaced {u}: {}.", list(&result.created), list(&result.updated)),
    }
}

/// The audit log's verb.
pub fn action_label(action: SecretAction) -> &'static str {
    match action {
        SecretAction::Created => "created",
        SecretAction::Updated => "replaced",
        SecretAction::Deleted => "deleted",
        SecretAction::Reencrypted => "re-encrypted",
    }
}

/// The repositories of recent sessions, most recent first and each once, for the repo field's
/// suggestions.
pub fn recent_repos(sessions: &[SessionSummary]) -> Vec<String> {
    let mut sorted: Vec<&SessionSummary> = sessions.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
    let mut repos: Vec<String> = vec![];
    for s in sorted {
        if !s.repo.is_empty() && !repos.contains(&s.repo) {
            repos.push(s.repo.clone());
        }
    }
    repos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::summary;
    use oi_protocol::secrets::{SecretInfo, SecretLimits, MASK};

    fn repo(r: &str) -> SecretScope {
        SecretScope::Repo { repo: r.into() }
    }

    #[test]
    fn the_choice_and_the_field_make_the_scope() {
        assert_eq!(ScopeChoice::initial(true), ScopeChoice::Global);
        assert_eq!(ScopeChoice::initial(false), ScopeChoice::Repo);
        assert_eq!(ScopeChoice::from_value("global").value(), "global");
        assert_eq!(ScopeChoice::from_value("repo").value(), "repo");
        assert_eq!(ScopeChoice::Global.scope("ignored"), Some(SecretScope::Global));
        assert_eq!(ScopeChoice::Repo.scope("  "), None);
        assert_eq!(ScopeChoice::Repo.scope(" acme/app "), Some(repo("acme/app")));
    }

    #[test]
    fn paths_encode_the_repository() {
        assert_eq!(list_path(&SecretScope::Global), "/api/secrets");
        assert_eq!(audit_path(&SecretScope::Global), "/api/secrets/audit");
        let r = repo("https://host/acme/app.git?x=1&y#z");
        assert_eq!(list_path(&r), "/api/secrets?repo=https%3A%2F%2Fhost%2Facme%2Fapp.git%3Fx%3D1%26y%23z");
        assert_eq!(import_path(&repo("/srv/git/my app.git")), "/api/secrets/import?repo=%2Fsrv%2Fgit%2Fmy+app.git");
        assert_eq!(secret_path(&repo("acme/app"), "DATABASE_URL"), "/api/secrets/DATABASE_URL?repo=acme%2Fapp");
        assert_eq!(secret_path(&SecretScope::Global, "a/b c"), "/api/secrets/a%2Fb%20c");
    }

    #[test]
    fn names_are_checked_with_a_friendly_message() {
        for name in ["DATABASE_URL", "_PRIVATE", "npm_token", "A", "X1_2"] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
        for (name, says) in [
            ("", "Enter a name"),
            ("1ABC", "starts with a digit"),
            ("MY-KEY", "letters A–Z, digits and _"),
            ("MY KEY", "not an environment variable name"),
            ("KEY=1", "not an environment variable name"),
            ("ÉTÉ", "not an environment variable name"),
        ] {
            let message = check_name(name).expect_err(name);
            assert!(message.contains(says), "{name}: {message}");
        }
        assert!(check_name(&"A".repeat(129)).unwrap_err().contains("longer than 128"));
        assert_eq!(check_name(&"A".repeat(128)), Ok(()));
    }

    #[test]
    fn values_are_measured_in_bytes() {
        assert_eq!(check_value(&"x".repeat(16 * 1024)), Ok(()));
        let message = check_value(&"x".repeat(16 * 1024 + 1)).unwrap_err();
        assert_eq!(message, "The value is 16385 bytes; a value may be at most 16 KiB (16384 bytes).");
        // 6000 three-byte characters are 18000 bytes, over the limit.
        assert!(check_value(&"€".repeat(6000)).is_err());
        assert_eq!(value_size("€"), ("3 bytes of 16 KiB".to_string(), false));
        assert_eq!(value_size(&"€".repeat(6000)), ("18000 bytes: over the limit of 16 KiB".to_string(), true));
    }

    #[test]
    fn sizes_and_usage_read_well() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(1023), "1023 bytes");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(64 * 1024), "64 KiB");
        let info = SecretInfo {
            name: "TOKEN".into(),
            masked: MASK.into(),
            size: 20,
            created_at: 0,
            created_by: "local-ada".into(),
            updated_at: 0,
            updated_by: "local-ada".into(),
        };
        let list = SecretList {
            scope: SecretScope::Global,
            secrets: vec![info.clone(), info],
            used_bytes: 2048,
            limits: SecretLimits::current(),
        };
        assert_eq!(usage(&list), "2 of 50 secrets, 2 KiB of 64 KiB");
        assert_eq!(scope_label(&repo("acme/app")), "Secrets of acme/app");
    }

    #[test]
    fn messages_name_the_secrets() {
        assert_eq!(saved_message("TOKEN", false), "Saved TOKEN.");
        assert_eq!(saved_message("TOKEN", true), "Replaced the value of TOKEN.");
        let result = |c: &[&str], u: &[&str]| ImportSecretsResult {
            created: c.iter().map(|s| s.to_string()).collect(),
            updated: u.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(import_message(&result(&[], &[])), "The file had no variables; nothing changed.");
        assert_eq!(import_message(&result(&["A", "B"], &[])), "Imported 2 new: A, B.");
        assert_eq!(import_message(&result(&[], &["C"])), "Replaced 1: C.");
        assert_eq!(import_message(&result(&["A"], &["C"])), "Imported 1 new: A; replaced 1: C.");
        assert_eq!(action_label(SecretAction::Updated), "replaced");
        assert_eq!(action_label(SecretAction::Reencrypted), "re-encrypted");
    }

    #[test]
    fn recent_repositories_come_once_newest_first() {
        let at = |repo: &str, updated_at: i64| {
            let mut s = summary();
            s.repo = repo.into();
            s.updated_at = updated_at;
            s
        };
        let sessions = [at("/srv/a.git", 1), at("acme/b", 5), at("/srv/a.git", 9), at("", 10)];
        assert_eq!(recent_repos(&sessions), vec!["/srv/a.git".to_string(), "acme/b".to_string()]);
    }
}
