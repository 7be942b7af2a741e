//! OAuth scopes: parsing what the authorize request asked for, and the documented implications
//! (`user` covers `user:email`, `admin:org` covers `read:org`, …).

/// The scopes granted to a token, in the order they were requested.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

/// Scopes that include others.
const IMPLIED: &[(&str, &[&str])] = &[
    ("user", &["read:user", "user:email", "user:follow"]),
    ("admin:org", &["write:org", "read:org"]),
    ("write:org", &["read:org"]),
    ("repo", &["repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"]),
    ("admin:repo_hook", &["write:repo_hook", "read:repo_hook"]),
    ("write:repo_hook", &["read:repo_hook"]),
];

impl Scopes {
    /// Parses an authorize `scope` parameter: scopes separated by spaces (or commas).
    pub fn parse(raw: &str) -> Self {
        let mut scopes: Vec<String> = Vec::new();
        for scope in raw.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        Self(scopes)
    }

    /// Whether the token may act with `scope`, directly or through a broader scope.
    pub fn allows(&self, scope: &str) -> bool {
        self.0.iter().any(|granted| {
            granted == scope || IMPLIED.iter().any(|(broad, narrow)| granted == broad && narrow.contains(&scope))
        })
    }

    /// The `scope` field of the token response: comma-separated, no spaces (`repo,gist`).
    pub fn to_response(&self) -> String {
        self.0.join(",")
    }

    /// The `x-oauth-scopes` header: comma and space separated (`repo, user`).
    pub fn to_header(&self) -> String {
        self.0.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn parses_and_implies() {
        let scopes = Scopes::parse("read:user user:email,admin:org  read:user");
        assert_eq!(scopes.to_response(), "read:user,user:email,admin:org");
        assert_eq!(scopes.to_header(), "read:user, user:email, admin:org");
        assert!(scopes.allows("read:org"));
        assert!(!scopes.allows("user"));
        assert!(Scopes::parse("user").allows("user:email"));
        assert!(!Scopes::parse("").allows("read:user"));
    }
}
