//! The GitHub App side of the configuration: the App, its installations and the repositories
//! each installation may use (each backed by a bare git repository on disk).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::config::DoubleConfig;

/// Bot user ids are this plus the App id (GitHub's are unrelated numbers; any stable id will do).
const BOT_USER_ID_BASE: u64 = 41_000_000;
/// The permission levels of an installation, weakest first.
const LEVELS: &[&str] = &["read", "write", "admin"];
/// A person's roles on a repository, weakest first: GitHub's base roles, as
/// `repos/get-collaborator-permission-level` (`tests/fixtures/github/openapi-subset.json`) names
/// them in its description.
pub(crate) const ROLES: &[&str] = &["none", "read", "triage", "write", "maintain", "admin"];

/// A GitHub App: its id (the JWT's `iss`), slug (its bot is `<slug>[bot]`) and the public half
/// of its private key, which verifies the App's JWTs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    pub id: u64,
    pub slug: String,
    /// The display name (the slug unless set).
    pub name: String,
    /// `-----BEGIN PUBLIC KEY-----` (SPKI) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1).
    pub public_key_pem: String,
    /// The id of the bot user `<slug>[bot]` that installation tokens act as.
    pub bot_user_id: u64,
}

impl AppConfig {
    /// An App named after its slug.
    pub fn new(id: u64, slug: impl Into<String>, public_key_pem: impl Into<String>) -> Self {
        let slug = slug.into();
        Self { id, name: slug.clone(), slug, public_key_pem: public_key_pem.into(), bot_user_id: BOT_USER_ID_BASE + id }
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the bot user's id.
    pub fn bot_user_id(mut self, id: u64) -> Self {
        self.bot_user_id = id;
        self
    }

    /// `<slug>[bot]`: the login installation tokens act as.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }
}

/// An installation of the App on an account, with the repositories it was granted
/// (`repository_selection: selected`) and its permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationConfig {
    pub id: u64,
    /// The user or organization the App is installed on.
    pub account_login: String,
    pub repos: Vec<RepoConfig>,
    /// Permission name → `read`/`write`/`admin`. Default: `contents: write`,
    /// `pull_requests: write`, `metadata: read`, `checks: read`.
    pub permissions: BTreeMap<String, String>,
}

impl InstallationConfig {
    /// An installation with no repositories and the default permissions.
    pub fn new(id: u64, account_login: impl Into<String>) -> Self {
        let permissions = [("checks", "read"), ("contents", "write"), ("metadata", "read"), ("pull_requests", "write")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self { id, account_login: account_login.into(), repos: Vec::new(), permissions }
    }

    /// Grants a repository.
    pub fn repo(mut self, repo: RepoConfig) -> Self {
        self.repos.push(repo);
        self
    }

    /// Sets a permission (`"contents"`, `"write"`); `level` `""` removes it.
    pub fn permission(mut self, name: impl Into<String>, level: &str) -> Self {
        let name = name.into();
        if level.is_empty() {
            self.permissions.remove(&name);
        } else {
            self.permissions.insert(name, level.to_string());
        }
        self
    }

    /// The granted repository `owner/name` (case-insensitive).
    pub fn find_repo(&self, owner: &str, name: &str) -> Option<&RepoConfig> {
        self.repos.iter().find(|r| r.is(owner, name))
    }
}

/// A repository. Its id is stable: derived from `owner/name` unless set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoConfig {
    pub owner: String,
    pub name: String,
    pub id: u64,
    pub default_branch: String,
    pub private: bool,
    pub description: Option<String>,
    /// The bare git repository behind it: branches, commits and git smart HTTP come from here.
    pub git_dir: Option<PathBuf>,
    /// Each user's own role (login, lower-case → `none`, `read`, `triage`, `write`, `maintain` or
    /// `admin`); a user not named has `write`.
    pub user_access: BTreeMap<String, String>,
}

impl RepoConfig {
    /// A public repository with default branch `main` and no git directory yet.
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        let (owner, name) = (owner.into(), name.into());
        let id = stable_repo_id(&owner, &name);
        Self {
            owner,
            name,
            id,
            default_branch: "main".into(),
            private: false,
            description: None,
            git_dir: None,
            user_access: BTreeMap::new(),
        }
    }

    /// Sets `login`'s own role: `none` (the repository is hidden from them, 404), `read`,
    /// `triage`, `write`, `maintain` or `admin`.
    ///
    /// # Panics
    /// On any other role.
    pub fn user_access(mut self, login: &str, level: &str) -> Self {
        assert!(ROLES.contains(&level), "unknown access level {level:?}");
        self.user_access.insert(login.to_ascii_lowercase(), level.to_string());
        self
    }

    /// `login`'s own access level (`write` unless set).
    pub fn access_of(&self, login: &str) -> &str {
        self.user_access.get(&login.to_ascii_lowercase()).map_or("write", String::as_str)
    }

    /// `permissions` of a `full-repository` as `login` sees it.
    pub fn permissions_of(&self, login: &str) -> serde_json::Value {
        let role = self.access_of(login);
        let has = |needed: &str| role_allows(role, needed);
        serde_json::json!({
            "admin": has("admin"),
            "maintain": has("maintain"),
            "push": has("write"),
            "triage": has("triage"),
            "pull": has("read")
        })
    }

    pub fn id(mut self, id: u64) -> Self {
        self.id = id;
        self
    }

    pub fn default_branch(mut self, branch: impl Into<String>) -> Self {
        self.default_branch = branch.into();
        self
    }

    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the bare git repository (e.g. made with `git init --bare`).
    pub fn git_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.git_dir = Some(path.into());
        self
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Whether this is `owner/name` (GitHub's names are case-insensitive).
    pub fn is(&self, owner: &str, name: &str) -> bool {
        self.owner.eq_ignore_ascii_case(owner) && self.name.eq_ignore_ascii_case(name)
    }
}

/// A repository id that depends only on `owner/name` (FNV-1a, case-insensitive), in
/// `100_000_000..1_100_000_000`.
fn stable_repo_id(owner: &str, name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{owner}/{name}").to_ascii_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    100_000_000 + hash % 1_000_000_000
}

/// Whether `role` is at least `needed` in [`ROLES`].
pub(crate) fn role_allows(role: &str, needed: &str) -> bool {
    let rank = |r: &str| ROLES.iter().position(|x| *x == r);
    matches!((rank(role), rank(needed)), (Some(have), Some(need)) if have >= need)
}

/// Whether `level` is at least `needed` (`read` < `write` < `admin`).
pub(crate) fn level_allows(level: Option<&str>, needed: &str) -> bool {
    let rank = |l: &str| LEVELS.iter().position(|x| *x == l);
    matches!((level.and_then(rank), rank(needed)), (Some(have), Some(need)) if have >= need)
}

impl DoubleConfig {
    /// Sets the GitHub App.
    pub fn app(mut self, app: AppConfig) -> Self {
        self.app = Some(app);
        self
    }

    /// Adds an installation of the App.
    pub fn installation(mut self, installation: InstallationConfig) -> Self {
        self.installations.push(installation);
        self
    }

    /// The installation with this id.
    pub fn find_installation(&self, id: u64) -> Option<&InstallationConfig> {
        self.installations.iter().find(|i| i.id == id)
    }

    /// The repository `owner/name` and the installation that has it.
    pub fn find_repo(&self, owner: &str, name: &str) -> Option<(&InstallationConfig, &RepoConfig)> {
        self.installations.iter().find_map(|i| i.find_repo(owner, name).map(|r| (i, r)))
    }

    /// The repository `owner/name` given as one string.
    pub fn find_repo_full(&self, full_name: &str) -> Option<(&InstallationConfig, &RepoConfig)> {
        let (owner, name) = full_name.split_once('/')?;
        self.find_repo(owner, name)
    }

    /// Checks the App side: unique installation ids, each repository in one installation, unique
    /// repository ids, known permission levels.
    pub(crate) fn validate_app(&self) -> Result<()> {
        let mut installation_ids = HashSet::new();
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for installation in &self.installations {
            if !installation_ids.insert(installation.id) {
                bail!("duplicate installation id {}", installation.id);
            }
            if let Some((name, level)) = installation.permissions.iter().find(|(_, l)| !LEVELS.contains(&l.as_str())) {
                bail!("installation {}: permission {name} has unknown level {level:?}", installation.id);
            }
            for repo in &installation.repos {
                if !names.insert(repo.full_name().to_ascii_lowercase()) {
                    bail!("repository {} is configured twice", repo.full_name());
                }
                if !ids.insert(repo.id) {
                    bail!("duplicate repository id {}", repo.id);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_stable_and_case_insensitive() {
        let a = RepoConfig::new("acme", "widgets");
        assert_eq!(a.id, RepoConfig::new("ACME", "Widgets").id);
        assert_ne!(a.id, RepoConfig::new("acme", "gadgets").id);
        assert!((100_000_000..1_100_000_000).contains(&a.id));
    }

    #[test]
    fn levels() {
        assert!(level_allows(Some("write"), "read"));
        assert!(level_allows(Some("write"), "write"));
        assert!(!level_allows(Some("read"), "write"));
        assert!(!level_allows(None, "read"));
        assert!(role_allows("maintain", "triage"));
        assert!(!role_allows("triage", "write"));
        assert!(!role_allows("none", "read"));
    }

    #[test]
    fn validation_refuses_duplicates() {
        let config = DoubleConfig::new("c", "s")
            .installation(InstallationConfig::new(1, "acme").repo(RepoConfig::new("acme", "w")))
            .installation(InstallationConfig::new(2, "acme").repo(RepoConfig::new("Acme", "W")));
        assert!(config.validate_app().is_err());
        let config = DoubleConfig::new("c", "s").installation(InstallationConfig::new(1, "a").permission("x", "all"));
        assert!(config.validate_app().is_err());
    }
}
