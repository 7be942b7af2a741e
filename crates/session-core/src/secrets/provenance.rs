//! Who set the secrets a sandbox receives, told to the session (names and people, never values).
//! A repository's secrets reach every session on it, and any member may set them; the session's
//! log says which ones its sandbox got and who last set each, and warns when a repository secret
//! was last set by someone other than the session's owner.
//!
//! Invariant: the notice names secrets and people only.

use oi_protocol::events::NoticeLevel;

/// One secret a sandbox receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub name: String,
    /// Set for this repository (else global, which only admins set).
    pub repository: bool,
    /// The user id who last set it.
    pub updated_by: String,
}

/// The session's notice about its sandbox's secrets, if it gets any.
pub fn notice(secrets: &[Provenance], owner_id: &str) -> Option<(NoticeLevel, String)> {
    if secrets.is_empty() {
        return None;
    }
    let described: Vec<String> = secrets
        .iter()
        .map(|s| {
            let scope = if s.repository { "this repository" } else { "global" };
            format!("{} ({scope}, set by {})", s.name, s.updated_by)
        })
        .collect();
    let others: Vec<&str> =
        secrets.iter().filter(|s| s.repository && s.updated_by != owner_id).map(|s| s.name.as_str()).collect();
    let mut text = format!("the sandbox gets {} secret(s): {}", secrets.len(), described.join(", "));
    if others.is_empty() {
        return Some((NoticeLevel::Info, text));
    }
    text.push_str(&format!(
        "; {} set by someone other than this session's owner",
        if others.len() == 1 { format!("{} was", others[0]) } else { format!("{} were", others.join(", ")) }
    ));
    Some((NoticeLevel::Warning, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, repository: bool, by: &str) -> Provenance {
        Provenance { name: name.into(), repository, updated_by: by.into() }
    }

    #[test]
    fn the_session_is_told_who_set_what() {
        assert_eq!(notice(&[], "gh-1"), None);
        let (level, text) =
            notice(&[secret("DATABASE_URL", true, "gh-1"), secret("SENTRY_DSN", false, "gh-9")], "gh-1").unwrap();
        assert_eq!(level, NoticeLevel::Info);
        assert_eq!(
            text,
            "the sandbox gets 2 secret(s): DATABASE_URL (this repository, set by gh-1), SENTRY_DSN (global, set by gh-9)"
        );
        let (level, text) = notice(&[secret("DATABASE_URL", true, "gh-2")], "gh-1").unwrap();
        assert_eq!(level, NoticeLevel::Warning);
        assert!(text.ends_with("DATABASE_URL was set by someone other than this session's owner"), "{text}");
    }
}
