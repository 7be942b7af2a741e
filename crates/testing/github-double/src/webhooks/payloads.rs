//! Delivery payloads, built from GitHub's real examples (`payloads/*.json`, copied from
//! octokit/webhooks): each keeps its example's shape, and the fields the double knows
//! (`action`, `number`, `pull_request`, `repository`, `installation`, `sender`, …) are replaced
//! with the double's own objects. Repository deliveries of an App carry
//! `"installation": {"id", "node_id"}`.

use serde_json::{json, Map, Value};

use crate::app::pulls::author_json;
use crate::app::state::Author;
use crate::app_config::{InstallationConfig, RepoConfig};
use crate::ids::node_id;
use crate::rest::json::account;
use crate::rest::repo_json;
use crate::state::{Inner, Shared};

const PULL_REQUEST: &str = include_str!("../../payloads/pull_request.opened.json");
const PULL_REQUEST_REVIEW_REQUESTED: &str = include_str!("../../payloads/pull_request.review_requested.json");
const CHECK_RUN: &str = include_str!("../../payloads/check_run.completed.json");
const CHECK_SUITE: &str = include_str!("../../payloads/check_suite.completed.json");
const INSTALLATION: &str = include_str!("../../payloads/installation.created.json");
const INSTALLATION_REPOSITORIES: &str = include_str!("../../payloads/installation_repositories.added.json");

pub(super) fn template(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => panic!("github-double: a payload template is not a JSON object"),
    }
}

/// `template` with each of `ours`' fields put in (the example's other fields stay).
pub(super) fn overlay(template: &Value, ours: Value) -> Value {
    let mut merged = template.as_object().cloned().unwrap_or_default();
    if let Value::Object(ours) = ours {
        merged.extend(ours);
    }
    Value::Object(merged)
}

/// `{"id", "node_id"}` of an installation, as repository deliveries carry it.
pub(super) fn installation_ref(id: u64) -> Value {
    json!({ "id": id, "node_id": node_id("IntegrationInstallation", id) })
}

pub(super) fn app_id(inner: &Inner) -> u64 {
    inner.config.app.as_ref().map_or(0, |a| a.id)
}

/// The id of the installation that has `repo`.
pub(super) fn installation_of(inner: &Inner, repo: &RepoConfig) -> Option<u64> {
    inner.config.find_repo(&repo.owner, &repo.name).map(|(i, _)| i.id)
}

/// `pull_request` `action`: `pull_request` is the REST `pull-request` object. `review_requested`
/// is built on its own example (it has `requested_reviewer` and `organization`), every other
/// action on `opened`'s.
pub(crate) fn pull_request(
    shared: &Shared,
    repo: &RepoConfig,
    action: &str,
    number: u64,
    pull_request: Value,
    sender: &Author,
    extra: Value,
) {
    let base = shared.base_url.as_str();
    let example = if action == "review_requested" { PULL_REQUEST_REVIEW_REQUESTED } else { PULL_REQUEST };
    let mut payload = template(example);
    let (repository, sender, installation, target, organization) = {
        let mut inner = shared.lock();
        let repository = repo_json::repository_for(&mut inner, base, repo);
        let organization = organization_of(&mut inner, base, repo);
        let sender = author_json(&mut inner, base, sender);
        (repository, sender, installation_of(&inner, repo), app_id(&inner), organization)
    };
    set_organization(&mut payload, organization);
    payload.insert("action".into(), json!(action));
    payload.insert("number".into(), json!(number));
    let pull_template = payload["pull_request"].clone();
    payload.insert("pull_request".into(), overlay(&pull_template, pull_request));
    let repository_template = payload["repository"].clone();
    payload.insert("repository".into(), overlay(&repository_template, repository));
    payload.insert("sender".into(), sender);
    match installation {
        Some(id) => payload.insert("installation".into(), installation_ref(id)),
        None => payload.remove("installation"),
    };
    if let Value::Object(extra) = extra {
        payload.extend(extra);
    }
    shared.webhooks.send("pull_request", Value::Object(payload), target);
}

/// `organization-simple` of the repository's owner when it is an organization (not a user).
pub(super) fn organization_of(inner: &mut Inner, base: &str, repo: &RepoConfig) -> Option<Value> {
    if inner.config.find_user(&repo.owner).is_some() {
        return None;
    }
    let id = inner.org_id(&repo.owner);
    Some(crate::rest::json::organization(base, &repo.owner, id))
}

/// Puts the owner's organization in a payload whose example has one (and takes the example's
/// out when the owner is a user).
pub(super) fn set_organization(payload: &mut Map<String, Value>, organization: Option<Value>) {
    if !payload.contains_key("organization") {
        return;
    }
    match organization {
        Some(organization) => payload.insert("organization".into(), organization),
        None => payload.remove("organization"),
    };
}

/// `check_run` (`object` is the run) or `check_suite` (`object` is the suite) `action`, sent
/// by the checks App's bot.
pub(crate) fn check_event(shared: &Shared, repo: &RepoConfig, event: &str, action: &str, object: Value) {
    let base = shared.base_url.as_str();
    let mut payload = template(if event == "check_run" { CHECK_RUN } else { CHECK_SUITE });
    let (repository, installation, target) = {
        let mut inner = shared.lock();
        (repo_json::repository_for(&mut inner, base, repo), installation_of(&inner, repo), app_id(&inner))
    };
    payload.insert("action".into(), json!(action));
    let object_template = payload[event].clone();
    payload.insert(event.into(), overlay(&object_template, object));
    let repository_template = payload["repository"].clone();
    payload.insert("repository".into(), overlay(&repository_template, repository));
    payload.insert("sender".into(), account(base, "github-actions[bot]", 41_898_282, "Bot"));
    if let Some(id) = installation {
        payload.insert("installation".into(), installation_ref(id));
    }
    shared.webhooks.send(event, Value::Object(payload), target);
}

/// `{id, node_id, name, full_name, private}`: a repository in installation deliveries.
fn repo_ref(repo: &RepoConfig) -> Value {
    json!({
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name(),
        "private": repo.private
    })
}

/// The installation object of installation deliveries, and the sender (the account's user if
/// configured, else the first user, else the account).
fn installation_object(
    inner: &mut Inner,
    base: &str,
    installation: &InstallationConfig,
    template: &Value,
) -> (Value, Value) {
    let account = repo_json::account_json(inner, base, &installation.account_login);
    let app = inner.config.app.clone();
    let id = installation.id;
    let ours = json!({
        "id": id,
        "account": account,
        "repository_selection": "selected",
        "access_tokens_url": format!("{base}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{base}/installation/repositories"),
        "html_url": format!("{base}/settings/installations/{id}"),
        "app_id": app.as_ref().map_or(0, |a| a.id),
        "app_slug": app.as_ref().map(|a| a.slug.clone()),
        "target_id": account["id"],
        "target_type": account["type"],
        "permissions": installation.permissions,
        "events": ["check_run", "check_suite", "pull_request"],
        "created_at": 1_577_836_800,
        "updated_at": 1_577_836_800
    });
    let sender_login =
        inner.config.find_user(&installation.account_login).or(inner.config.users.first()).map(|u| u.login.clone());
    let sender = sender_login.map_or_else(|| account.clone(), |login| repo_json::account_json(inner, base, &login));
    (overlay(template, ours), sender)
}

/// `installation` `created` for a configured installation, listing its repositories. Returns
/// false when there is no such installation.
pub(crate) fn installation_created(shared: &Shared, installation_id: u64) -> bool {
    let base = shared.base_url.as_str();
    let mut payload = template(INSTALLATION);
    let (installation, sender, target, repos) = {
        let mut inner = shared.lock();
        let Some(config) = inner.config.find_installation(installation_id).cloned() else { return false };
        let (installation, sender) = installation_object(&mut inner, base, &config, &payload["installation"]);
        (installation, sender, app_id(&inner), config.repos.iter().map(repo_ref).collect::<Vec<_>>())
    };
    payload.insert("action".into(), json!("created"));
    payload.insert("installation".into(), installation);
    payload.insert("repositories".into(), Value::Array(repos));
    payload.insert("sender".into(), sender);
    shared.webhooks.send("installation", Value::Object(payload), target);
    true
}

/// `installation_repositories` `added` for `added` (full names of the installation's
/// repositories). Returns false when the installation or a repository is unknown.
pub(crate) fn installation_repositories_added(shared: &Shared, installation_id: u64, added: &[String]) -> bool {
    let base = shared.base_url.as_str();
    let mut payload = template(INSTALLATION_REPOSITORIES);
    let (installation, sender, target, repos) = {
        let mut inner = shared.lock();
        let Some(config) = inner.config.find_installation(installation_id).cloned() else { return false };
        let found: Option<Vec<Value>> = added
            .iter()
            .map(|full| full.split_once('/').and_then(|(o, n)| config.find_repo(o, n)).map(repo_ref))
            .collect();
        let Some(repos) = found else { return false };
        let (installation, sender) = installation_object(&mut inner, base, &config, &payload["installation"]);
        (installation, sender, app_id(&inner), repos)
    };
    payload.insert("action".into(), json!("added"));
    payload.insert("installation".into(), installation);
    payload.insert("repository_selection".into(), json!("selected"));
    payload.insert("repositories_added".into(), Value::Array(repos));
    payload.insert("repositories_removed".into(), json!([]));
    payload.insert("requester".into(), sender.clone());
    payload.insert("sender".into(), sender);
    shared.webhooks.send("installation_repositories", Value::Object(payload), target);
    true
}

/// Any event with a payload the test wrote.
pub(crate) fn raw(shared: &Shared, event: &str, payload: Value) {
    let target = app_id(&shared.lock());
    shared.webhooks.send(event, payload, target);
}
