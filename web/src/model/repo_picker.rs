//! The new-session page's repository picker: whether it shows at all (`/api/repos` says a
//! source-control host is configured), filtering the list, the words of each choice, the branch
//! endpoint of a repository and which branch a choice starts on.

use oi_protocol::source_control::{BranchList, Repository, RepositoryList};
use oi_protocol::{ApiError, ErrorCode};

/// `GET /api/repos`
pub const REPOS_PATH: &str = "/api/repos";

/// How the repository is given: picked from the host's list, or typed (a URL, a path, `owner/name`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RepoMode {
    #[default]
    Type,
    Pick,
}

/// What the picker knows once `/api/repos` answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoChoices {
    /// Empty when no host is configured (or the list could not be loaded): type it.
    pub repositories: Vec<Repository>,
    /// Why there is no list, when that is worth saying (a failure, not "not configured").
    pub note: Option<String>,
}

impl RepoChoices {
    /// From the answer of `/api/repos`. A deployment without the route (404) or without a host
    /// is the same as an empty list: the page keeps the typed field.
    pub fn from_result(result: Result<RepositoryList, ApiError>) -> Self {
        match result {
            Ok(list) if list.configured => Self { repositories: list.repositories, note: None },
            Ok(_) => Self::default(),
            Err(e) if e.code == ErrorCode::NotFound => Self::default(),
            Err(e) => Self { repositories: vec![], note: Some(format!("Could not list repositories: {}", e.message)) },
        }
    }

    /// Whether the picker is offered at all.
    pub fn can_pick(&self) -> bool {
        !self.repositories.is_empty()
    }

    /// The repository whose `full_name` is `name` (any case).
    pub fn find(&self, name: &str) -> Option<&Repository> {
        let name = name.trim();
        self.repositories.iter().find(|r| r.full_name.eq_ignore_ascii_case(name))
    }

    /// How the page starts once the list is there, given what the repository field holds
    /// (`typed`: the last repository used, or what the person typed meanwhile) and whether the
    /// person typed it (`touched`). A listed repository is picked; the only one is picked; a
    /// name the person typed that is not listed keeps the typed field.
    pub fn start(&self, typed: &str, touched: bool) -> (RepoMode, Option<String>) {
        if !self.can_pick() {
            return (RepoMode::Type, None);
        }
        if let Some(repo) = self.find(&github_full_name(typed)) {
            return (RepoMode::Pick, Some(repo.full_name.clone()));
        }
        if touched && !typed.trim().is_empty() {
            return (RepoMode::Type, None);
        }
        let only = match self.repositories.as_slice() {
            [one] => Some(one.full_name.clone()),
            _ => None,
        };
        (RepoMode::Pick, only)
    }
}

/// `owner/name` for `https://github.com/owner/name(.git)` or `git@github.com:owner/name.git`;
/// anything else trimmed as it is.
pub fn github_full_name(repo: &str) -> String {
    let repo = repo.trim();
    let rest = ["https://github.com/", "http://github.com/", "git@github.com:"]
        .iter()
        .find_map(|prefix| repo.strip_prefix(prefix))
        .unwrap_or(repo);
    let rest = rest.trim_end_matches('/');
    rest.strip_suffix(".git").unwrap_or(rest).to_string()
}

/// The repositories whose name holds every word of `query` (any case), in the list's order.
pub fn filter<'a>(repositories: &'a [Repository], query: &str) -> Vec<&'a Repository> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    repositories
        .iter()
        .filter(|r| {
            let name = r.full_name.to_lowercase();
            words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect()
}

/// One choice of the list: `acme/app · private · main`.
pub fn option_label(repo: &Repository) -> String {
    let visibility = if repo.private { "private" } else { "public" };
    format!("{} · {visibility} · {}", repo.full_name, repo.default_branch)
}

/// Under the list: what was picked.
pub fn picked_note(repo: &Repository) -> String {
    let visibility = if repo.private { "Private" } else { "Public" };
    format!("{visibility} repository, default branch {}", repo.default_branch)
}

/// `GET /api/repos/:owner/:name/branches`; `None` for a name that is not `owner/name`.
pub fn branches_path(full_name: &str) -> Option<String> {
    let (owner, name) = full_name.split_once('/')?;
    if owner.is_empty() || name.is_empty() || name.contains('/') {
        return None;
    }
    Some(format!("/api/repos/{}/{}/branches", segment(owner), segment(name)))
}

/// Percent-encodes everything but unreserved characters, for a path segment.
pub(crate) fn segment(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The branch select's choices: the default branch first, then the others as listed.
pub fn branch_names(list: &BranchList) -> Vec<String> {
    let mut names = vec![list.default_branch.clone()];
    for b in &list.branches {
        if !names.contains(&b.name) {
            names.push(b.name.clone());
        }
    }
    names
}

/// The branch once the list arrived: the current one when the repository has it, else its
/// default branch.
pub fn branch_after_load(list: &BranchList, current: &str) -> String {
    let current = current.trim();
    if !current.is_empty() && list.branches.iter().any(|b| b.name == current) {
        current.to_string()
    } else {
        list.default_branch.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::source_control::Branch;

    fn repo(full_name: &str, private: bool, default_branch: &str) -> Repository {
        Repository { full_name: full_name.into(), default_branch: default_branch.into(), private, html_url: None }
    }

    fn listed(repos: Vec<Repository>) -> RepoChoices {
        RepoChoices::from_result(Ok(RepositoryList { repositories: repos, configured: true }))
    }

    fn branches(default_branch: &str, names: &[&str]) -> BranchList {
        BranchList {
            default_branch: default_branch.into(),
            branches: names.iter().map(|n| Branch { name: n.to_string(), sha: "abc".into() }).collect(),
        }
    }

    #[test]
    fn without_a_host_the_field_stays_typed() {
        let none = RepoChoices::from_result(Ok(RepositoryList { repositories: vec![], configured: false }));
        assert!(!none.can_pick());
        assert_eq!(none.note, None);
        assert_eq!(none.start("/srv/git/app.git", false), (RepoMode::Type, None));
        // An older control plane without the route.
        let missing = RepoChoices::from_result(Err(ApiError::new(ErrorCode::NotFound, "no route")));
        assert_eq!(missing, RepoChoices::default());
        let failed = RepoChoices::from_result(Err(ApiError::new(ErrorCode::Internal, "GitHub is down")));
        assert!(!failed.can_pick());
        assert_eq!(failed.note.as_deref(), Some("Could not list repositories: GitHub is down"));
    }

    #[test]
    fn the_start_picks_a_listed_repository() {
        let choices = listed(vec![repo("acme/app", true, "main"), repo("acme/tool", false, "trunk")]);
        assert_eq!(choices.start("acme/app", false), (RepoMode::Pick, Some("acme/app".into())));
        assert_eq!(choices.start("https://github.com/Acme/Tool.git", true), (RepoMode::Pick, Some("acme/tool".into())));
        // The last local path is forgotten; what someone typed is kept.
        assert_eq!(choices.start("/srv/git/app.git", false), (RepoMode::Pick, None));
        assert_eq!(choices.start("/srv/git/app.git", true), (RepoMode::Type, None));
        assert_eq!(choices.start("", true), (RepoMode::Pick, None));
        let one = listed(vec![repo("acme/app", false, "main")]);
        assert_eq!(one.start("", false), (RepoMode::Pick, Some("acme/app".into())));
    }

    #[test]
    fn github_urls_name_the_repository() {
        assert_eq!(github_full_name(" https://github.com/acme/app.git/ "), "acme/app");
        assert_eq!(github_full_name("git@github.com:acme/app.git"), "acme/app");
        assert_eq!(github_full_name("acme/app"), "acme/app");
        assert_eq!(github_full_name("/srv/git/app.git"), "/srv/git/app");
    }

    #[test]
    fn the_filter_matches_every_word_in_any_case() {
        let repos =
            vec![repo("acme/web-app", false, "main"), repo("acme/tool", true, "main"), repo("other/app", false, "dev")];
        let names = |q: &str| filter(&repos, q).iter().map(|r| r.full_name.clone()).collect::<Vec<_>>();
        assert_eq!(names(""), vec!["acme/web-app", "acme/tool", "other/app"]);
        assert_eq!(names("APP"), vec!["acme/web-app", "other/app"]);
        assert_eq!(names("acme app"), vec!["acme/web-app"]);
        assert!(names("nothing").is_empty());
    }

    #[test]
    fn labels_say_visibility_and_default_branch() {
        assert_eq!(option_label(&repo("acme/app", true, "main")), "acme/app · private · main");
        assert_eq!(picked_note(&repo("acme/app", false, "trunk")), "Public repository, default branch trunk");
    }

    #[test]
    fn the_branches_path_encodes_each_segment() {
        assert_eq!(branches_path("acme/app").as_deref(), Some("/api/repos/acme/app/branches"));
        assert_eq!(branches_path("a b/c.d").as_deref(), Some("/api/repos/a%20b/c.d/branches"));
        assert_eq!(branches_path("/srv/git/app.git"), None);
        assert_eq!(branches_path("app"), None);
    }

    #[test]
    fn the_branch_defaults_to_the_default_branch() {
        let list = branches("trunk", &["feature", "trunk", "dev"]);
        assert_eq!(branch_names(&list), vec!["trunk", "feature", "dev"]);
        assert_eq!(branch_after_load(&list, "dev"), "dev");
        assert_eq!(branch_after_load(&list, "main"), "trunk");
        assert_eq!(branch_after_load(&list, ""), "trunk");
        // A default branch the list left out is still offered.
        assert_eq!(branch_names(&branches("main", &["dev"])), vec!["main", "dev"]);
    }
}
