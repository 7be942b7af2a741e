//! Who may sign in, and the role a new user starts with.
//!
//! A GitHub user may sign in when their login is listed (`ALLOWED_GITHUB_LOGINS`), when they
//! belong to a listed organisation (`ALLOWED_GITHUB_ORGS`), or when one of their **verified**
//! emails is in a listed domain (`ALLOWED_EMAIL_DOMAINS`). Everything is case-insensitive. An
//! empty allowlist lets nobody in: a deployment must say who its users are.

use super::access::Role;

/// The settings that fill the allowlist, for messages.
pub const LOGINS_SETTING: &str = "ALLOWED_GITHUB_LOGINS";
pub const ORGS_SETTING: &str = "ALLOWED_GITHUB_ORGS";
pub const DOMAINS_SETTING: &str = "ALLOWED_EMAIL_DOMAINS";

/// Who may sign in. Every entry is lowercase, trimmed and non-empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    pub logins: Vec<String>,
    pub orgs: Vec<String>,
    pub email_domains: Vec<String>,
}

/// Splits a setting on commas and whitespace, lowercases, drops empty entries and repeats.
/// A leading `@` is dropped too (`@octocat`, `@example.com`).
fn entries(setting: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in setting.unwrap_or_default().split(|c: char| c == ',' || c.is_whitespace()) {
        let entry = entry.trim().trim_start_matches('@').to_lowercase();
        if !entry.is_empty() && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

impl Allowlist {
    /// Reads the three settings (each comma- or whitespace-separated).
    pub fn parse(logins: Option<&str>, orgs: Option<&str>, domains: Option<&str>) -> Allowlist {
        Allowlist { logins: entries(logins), orgs: entries(orgs), email_domains: entries(domains) }
    }

    /// Whether nobody is allowed.
    pub fn is_empty(&self) -> bool {
        self.logins.is_empty() && self.orgs.is_empty() && self.email_domains.is_empty()
    }
}

/// What GitHub says about the person signing in (kept, so a rotation checks them again).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GithubIdentity {
    pub login: String,
    /// Only the emails GitHub marks verified.
    pub verified_emails: Vec<String>,
    /// Organisation logins (empty when [`needs_orgs`] said not to fetch them).
    pub orgs: Vec<String>,
}

refusal! {
    /// A refused sign-in.
    NotAllowed => Forbidden
}

/// The domain of an email: the part after the last `@`, lowercase; `None` when either side is
/// empty.
fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty()).then(|| domain.to_lowercase())
}

/// Whether `who` may sign in.
pub fn check_allowed(list: &Allowlist, who: &GithubIdentity) -> Result<(), NotAllowed> {
    if list.is_empty() {
        return Err(NotAllowed {
            message: format!(
                "sign-in is closed: this deployment allows nobody yet; set {LOGINS_SETTING}, {ORGS_SETTING} \
                 or {DOMAINS_SETTING}"
            ),
        });
    }
    let login = who.login.trim().to_lowercase();
    if !login.is_empty() && list.logins.contains(&login) {
        return Ok(());
    }
    if who.orgs.iter().any(|org| list.orgs.contains(&org.trim().to_lowercase())) {
        return Ok(());
    }
    if who.verified_emails.iter().filter_map(|e| email_domain(e)).any(|d| list.email_domains.contains(&d)) {
        return Ok(());
    }
    let mut ways = Vec::new();
    if !list.logins.is_empty() {
        ways.push("a listed login");
    }
    if !list.orgs.is_empty() {
        ways.push("a member of an allowed organisation");
    }
    if !list.email_domains.is_empty() {
        ways.push("the owner of a verified email in an allowed domain");
    }
    Err(NotAllowed {
        message: format!(
            "the GitHub user {} may not sign in to this deployment: they are not {}",
            who.login.trim(),
            ways.join(", nor ")
        ),
    })
}

/// Whether the caller must fetch the user's organisations from GitHub before [`check_allowed`].
pub fn needs_orgs(list: &Allowlist) -> bool {
    !list.orgs.is_empty()
}

/// The role a new user starts with: admin when listed in `admin_logins` (case-insensitive) or
/// when they are the deployment's first user; member otherwise.
pub fn initial_role(login: &str, admin_logins: &[String], existing_users: u64) -> Role {
    let login = login.trim();
    let listed = !login.is_empty() && admin_logins.iter().any(|a| a.trim().eq_ignore_ascii_case(login));
    if listed || existing_users == 0 {
        Role::Admin
    } else {
        Role::Member
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn who(login: &str, emails: &[&str], orgs: &[&str]) -> GithubIdentity {
        GithubIdentity { login: login.into(), verified_emails: strings(emails), orgs: strings(orgs) }
    }

    #[test]
    fn parse_splits_trims_lowercases_and_drops_empties() {
        let cases: [(Option<&str>, &[&str]); 7] = [
            (None, &[]),
            (Some(""), &[]),
            (Some(" , ,, "), &[]),
            (Some("Octocat"), &["octocat"]),
            (Some(" alice, BOB ,carol\tdave\n erin "), &["alice", "bob", "carol", "dave", "erin"]),
            (Some("alice,ALICE, alice"), &["alice"]),
            (Some("@Example.COM, @acme"), &["example.com", "acme"]),
        ];
        for (input, expected) in cases {
            let list = Allowlist::parse(input, input, input);
            assert_eq!(list.logins, strings(expected), "{input:?}");
            assert_eq!(list.orgs, strings(expected), "{input:?}");
            assert_eq!(list.email_domains, strings(expected), "{input:?}");
            assert_eq!(list.is_empty(), expected.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn check_allowed_table() {
        let list = Allowlist::parse(Some("Alice, bob"), Some("Acme-Corp"), Some("example.com, Team.IO"));
        let cases: [(GithubIdentity, bool); 17] = [
            (who("alice", &[], &[]), true),
            (who("ALICE", &[], &[]), true),
            (who(" Bob ", &[], &[]), true),
            (who("mallory", &[], &[]), false),
            (who("alice2", &[], &[]), false),
            (who("", &[], &[]), false),
            (who("mallory", &[], &["acme-corp"]), true),
            (who("mallory", &[], &["ACME-CORP"]), true),
            (who("mallory", &[], &["acme"]), false),
            (who("mallory", &["m@example.com"], &[]), true),
            (who("mallory", &["M@EXAMPLE.COM"], &[]), true),
            (who("mallory", &["m@team.io"], &[]), true),
            (who("mallory", &["m@evil-example.com"], &[]), false),
            (who("mallory", &["m@sub.example.com"], &[]), false),
            (who("mallory", &["a@example.com.evil.io"], &[]), false),
            (who("mallory", &["example.com", "@example.com", "m@"], &[]), false),
            (who("mallory", &["a\"@\"example.com@evil.io"], &[]), false),
        ];
        for (identity, expected) in cases {
            assert_eq!(check_allowed(&list, &identity).is_ok(), expected, "{identity:?}");
        }
    }

    #[test]
    fn the_last_at_sign_decides_the_domain() {
        let list = Allowlist::parse(None, None, Some("example.com"));
        assert!(check_allowed(&list, &who("m", &["\"evil.io@\"@example.com"], &[])).is_ok());
        assert!(check_allowed(&list, &who("m", &["m@example.com@evil.io"], &[])).is_err());
    }

    #[test]
    fn an_empty_allowlist_lets_nobody_in_and_names_the_settings() {
        let list = Allowlist::parse(Some(" , "), None, Some(""));
        assert!(list.is_empty());
        let refused = check_allowed(&list, &who("alice", &["alice@example.com"], &["acme"])).unwrap_err();
        for setting in [LOGINS_SETTING, ORGS_SETTING, DOMAINS_SETTING] {
            assert!(refused.message.contains(setting), "{refused}");
        }
    }

    #[test]
    fn refusals_say_which_ways_in_were_tried() {
        let refused = check_allowed(&Allowlist::parse(Some("alice"), None, None), &who("Mallory", &[], &[]));
        assert_eq!(
            refused.unwrap_err().message,
            "the GitHub user Mallory may not sign in to this deployment: they are not a listed login"
        );
        let refused =
            check_allowed(&Allowlist::parse(Some("alice"), Some("acme"), Some("example.com")), &who("m", &[], &[]));
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("a listed login, nor a member of an allowed organisation, nor the owner of a verified email in an allowed domain"), "{message}");
    }

    #[test]
    fn orgs_are_fetched_only_when_listed() {
        assert!(!needs_orgs(&Allowlist::parse(Some("alice"), None, Some("example.com"))));
        assert!(needs_orgs(&Allowlist::parse(None, Some("acme"), None)));
        assert!(!needs_orgs(&Allowlist::parse(None, Some(" , "), None)));
    }

    #[test]
    fn initial_role_table() {
        let admins = strings(&["Root", " ops "]);
        let cases: [(&str, &[String], u64, Role); 7] = [
            ("root", &admins, 5, Role::Admin),
            ("ROOT", &admins, 5, Role::Admin),
            ("ops", &admins, 1, Role::Admin),
            ("alice", &admins, 5, Role::Member),
            ("alice", &admins, 0, Role::Admin),
            ("alice", &[], 0, Role::Admin),
            ("", &[String::new()], 3, Role::Member),
        ];
        for (login, admins, existing, expected) in cases {
            assert_eq!(initial_role(login, admins, existing), expected, "{login:?} {admins:?} {existing}");
        }
    }
}
