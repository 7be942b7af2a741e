//! What the integrations that route a request to a repository (Slack, Linear) share: finding
//! configured repositories named in free text, and the classifier (a small model's prompt and
//! its answer) for when nothing names one.
//!
//! Invariant: every repository returned is a configured one, spelled as configured (matching is
//! case-insensitive); a name only counts at a boundary (`acme/api` is not found in
//! `otheracme/api` or `acme/apis`), and only in the first [`MAX_ROUTE_TEXT_CHARS`] characters.

use oi_session_core::validation::validate_branch_name;

/// The part of a request routing looks at.
pub const MAX_ROUTE_TEXT_CHARS: usize = 4_000;
/// The part of a request the classifier sees.
pub const MAX_CLASSIFIER_TEXT_CHARS: usize = 2_000;
/// The answer that means "ask the person".
pub const UNSURE: &str = "unsure";

/// A request's plain text as routing sees it: cut to [`MAX_ROUTE_TEXT_CHARS`]; `low` is the
/// same text lowercased character for character.
pub(crate) struct RouteText {
    orig: Vec<char>,
    low: Vec<char>,
}

impl RouteText {
    pub(crate) fn new(plain: &str) -> RouteText {
        let orig: Vec<char> = plain.chars().take(MAX_ROUTE_TEXT_CHARS).collect();
        let low = orig.iter().map(|c| lower(*c)).collect();
        RouteText { orig, low }
    }

    /// Where `needle` (lowercase) starts, at every occurrence.
    fn find(&self, needle: &[char]) -> impl Iterator<Item = usize> + '_ {
        let needle = needle.to_vec();
        (0..self.low.len()).filter(move |&at| !needle.is_empty() && self.low[at..].starts_with(&needle))
    }

    fn before_ends_with(&self, at: usize, suffix: &str) -> bool {
        let suffix: Vec<char> = suffix.chars().collect();
        self.low[..at].ends_with(&suffix)
    }
}

fn lower(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

fn lowered(s: &str) -> Vec<char> {
    s.chars().map(lower).collect()
}

/// Characters of repository names and paths.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// Characters of words (aliases, keywords).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_')
}

/// How a configured repository is written in a message (lowercase), each with whether it may
/// follow a host (`github.com/acme/api`, `https://gitlab.com/acme/api`). A remote's URL is
/// matched without its scheme (which covers it with the scheme too), and by its path alone
/// (`https://github.com/acme/api` as `acme/api`); `.git` and a trailing `/` are optional.
fn forms(repo: &str) -> Vec<(Vec<char>, bool)> {
    let repo = repo.trim().trim_end_matches('/');
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    match repo.strip_prefix("https://").or_else(|| repo.strip_prefix("http://")) {
        Some(rest) => {
            let mut forms = vec![(lowered(rest), true)];
            if let Some((_, path)) = rest.split_once('/').filter(|(_, path)| path.contains('/')) {
                forms.push((lowered(path), true));
            }
            forms
        }
        None => vec![(lowered(repo), !repo.starts_with('/'))],
    }
}

/// Where a name ends, if it ends at a boundary: the name may be followed by `.git`, by a path
/// (only after a host), by a sentence's end, or by `@branch`. Returns the branch, if any.
fn name_ends(text: &RouteText, end: usize, after_host: bool) -> Option<Option<String>> {
    let at = |i: usize| text.low.get(i).copied();
    let mut end = end;
    if text.low[end..].starts_with(&['.', 'g', 'i', 't']) && !at(end + 4).is_some_and(is_name_char) {
        end += 4;
    }
    match at(end) {
        None => Some(None),
        Some('@') => Some(branch_at(text, end + 1)),
        Some('/') if after_host => Some(None),
        Some('.') if !at(end + 1).is_some_and(char::is_alphanumeric) => Some(None),
        Some(c) if is_name_char(c) => None,
        Some(_) => Some(None),
    }
}

/// A branch name written after `@`, if it is a valid one (trailing punctuation dropped).
fn branch_at(text: &RouteText, start: usize) -> Option<String> {
    let raw: String = text.orig[start.min(text.orig.len())..]
        .iter()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`' | '<' | '>' | '|'))
        .collect();
    let branch = raw.trim_end_matches(['.', '!', '?', ':', ']']);
    validate_branch_name(branch).is_ok().then(|| branch.to_string())
}

/// Configured repositories named in `text`, in the order of `repos`, each once, with the first
/// branch named with it.
pub(crate) fn named(text: &RouteText, repos: &[String]) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for repo in repos {
        let mut hit: Option<Option<String>> = None;
        for (form, may_follow_host) in forms(repo) {
            for start in text.find(&form) {
                let after_host = may_follow_host
                    && (text.before_ends_with(start, "github.com/") || text.before_ends_with(start, "://"));
                if start > 0 && is_name_char(text.low[start - 1]) && !after_host {
                    continue;
                }
                if let Some(branch) = name_ends(text, start + form.len(), after_host) {
                    if hit.as_ref().is_none_or(|b| b.is_none()) {
                        hit = Some(branch);
                    }
                }
            }
        }
        if let Some(branch) = hit {
            found.push((repo.clone(), branch));
        }
    }
    found
}

/// Whether `word` occurs in `text` as a whole word; the branch written after it with `@`.
pub(crate) fn word_at(text: &RouteText, word: &str) -> Option<Option<String>> {
    let needle = lowered(word.trim());
    text.find(&needle).find_map(|start| {
        let end = start + needle.len();
        let clean_start = start == 0 || !is_word_char(text.low[start - 1]);
        let clean_end = text.low.get(end).is_none_or(|c| !is_word_char(*c));
        (clean_start && clean_end)
            .then(|| if text.low.get(end) == Some(&'@') { branch_at(text, end + 1) } else { None })
    })
}

/// The configured spelling of `repo`, if it is configured.
pub(crate) fn configured(repos: &[String], repo: &str) -> Option<String> {
    repos.iter().find(|r| r.eq_ignore_ascii_case(repo.trim())).cloned()
}

/// The configured repositories, trimmed, without empty entries and case-insensitive repeats
/// (the first spelling kept).
pub(crate) fn distinct_repos(repos: &[String]) -> Vec<String> {
    let mut distinct: Vec<String> = Vec::new();
    for repo in repos.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if configured(&distinct, repo).is_none() {
            distinct.push(repo.to_string());
        }
    }
    distinct
}

/// What one routing step found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Nothing,
    /// One repository (however often it matched), with the first branch named with it.
    One {
        repo: String,
        branch: Option<String>,
    },
    /// Several repositories, each once, in the order found: someone must choose.
    Several(Vec<String>),
}

/// Several matches of one step, settled.
pub(crate) fn settle(found: Vec<(String, Option<String>)>) -> Found {
    let mut repos: Vec<String> = Vec::new();
    for (repo, _) in &found {
        if !repos.contains(repo) {
            repos.push(repo.clone());
        }
    }
    match repos.len() {
        0 => Found::Nothing,
        1 => Found::One { repo: repos.remove(0), branch: found.into_iter().find_map(|(_, b)| b) },
        _ => Found::Several(repos),
    }
}

/// The classifier: the prompt to a small model (system, user), asking it to answer with exactly
/// one repository from the list or [`UNSURE`]. `requests` says what is routed, in words ("requests
/// from a team chat", "issues from an issue tracker").
pub fn classifier_prompt(requests: &str, text: &str, candidates: &[String]) -> (String, String) {
    let system = format!(
        "You route {requests} to the code repository they are about. \
         Answer with exactly one repository from the list, copied exactly as written there, and nothing else. \
         If the request does not clearly belong to one of them, answer with the single word {UNSURE}."
    );
    let mut user = String::from("Repositories:\n");
    for candidate in candidates {
        user.push_str(&format!("- {candidate}\n"));
    }
    let request = crate::cut_chars(text.trim(), MAX_CLASSIFIER_TEXT_CHARS);
    user.push_str(&format!("\nRequest:\n{request}\n\nAnswer with one repository from the list, or {UNSURE}."));
    (system, user)
}

/// Parses the model's answer: a configured repository (exact, or the answer contains exactly
/// one candidate name) → Some(repo, spelled as in `candidates`); "unsure", anything else, or a
/// repository not in the list → None (then the person is asked).
pub fn parse_classifier_answer(answer: &str, candidates: &[String]) -> Option<String> {
    let bare = answer.trim().trim_matches(|c: char| matches!(c, '`' | '"' | '\'' | '*' | '“' | '”')).trim();
    let bare = bare.strip_suffix('.').unwrap_or(bare).trim();
    if let Some(exact) = configured(candidates, bare) {
        return Some(exact);
    }
    let text = RouteText::new(answer);
    if word_at(&text, UNSURE).is_some() {
        return None;
    }
    let mut found = named(&text, candidates).into_iter();
    match (found.next(), found.next()) {
        (Some((repo, _)), None) => Some(repo),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_in_markdown() {
        let repos = strings(&["acme/api", "https://github.com/acme/web.git"]);
        /// A text, and the repositories (with branches) named in it.
        type Case<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)]);
        let cases: &[Case] = &[
            ("see [the API](https://github.com/acme/api/blob/main/x.rs)", &[("acme/api", None)]),
            ("fix `acme/api@release/2`", &[("acme/api", Some("release/2"))]),
            ("in [acme/api@dev]", &[("acme/api", Some("dev"))]),
            ("**acme/web** and acme/api", &[("acme/api", None), ("https://github.com/acme/web.git", None)]),
            ("otheracme/api acme/apis", &[]),
        ];
        for (text, want) in cases {
            let want: Vec<(String, Option<String>)> =
                want.iter().map(|(r, b)| (r.to_string(), b.map(str::to_string))).collect();
            assert_eq!(named(&RouteText::new(text), &repos), want, "{text:?}");
        }
    }

    #[test]
    fn settling_and_distinct_repos() {
        let one = vec![("a/b".to_string(), None), ("a/b".to_string(), Some("dev".to_string()))];
        assert_eq!(settle(one), Found::One { repo: "a/b".into(), branch: Some("dev".into()) });
        let two = vec![("a/b".to_string(), None), ("c/d".to_string(), None)];
        assert_eq!(settle(two), Found::Several(strings(&["a/b", "c/d"])));
        assert_eq!(settle(Vec::new()), Found::Nothing);
        assert_eq!(distinct_repos(&strings(&[" a/b ", "", "A/B", "c/d"])), strings(&["a/b", "c/d"]));
    }

    #[test]
    fn the_prompt_says_what_is_routed() {
        let (system, user) = classifier_prompt("issues from an issue tracker", "title", &strings(&["a/b"]));
        assert!(system.starts_with("You route issues from an issue tracker to"), "{system}");
        assert!(user.contains("- a/b\n") && user.contains("Request:\ntitle\n"), "{user}");
    }
}
