//! Webhook deliveries: signatures, headers and payloads built from GitHub's examples.

mod common;

use std::time::Duration;

use common::app::*;
use oi_github_double::{webhook_signature, RepoConfig};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_opened_pull_request_is_delivered_signed() {
    let (github, repo) = start_app().await;
    let (hook, got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    let token = mint(&github).await;
    let pull = json!({ "title": "Add a feature", "head": "oi/ses_1", "base": "main" });
    let answer: Value =
        api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(pull)).await.json().await.unwrap();

    let deliveries = github.wait_for_deliveries(1, WAIT).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!((deliveries[0].event.as_str(), deliveries[0].action.as_deref()), ("pull_request", Some("opened")));
    assert_eq!(deliveries[0].status, Some(200));
    assert!(deliveries[0].finished);

    let received = got.lock().unwrap()[0].clone();
    assert_eq!(received.header("x-hub-signature-256"), webhook_signature(WEBHOOK_SECRET, &received.body));
    assert!(received.header("x-hub-signature-256").starts_with("sha256="));
    assert_eq!(received.header("x-github-event"), "pull_request");
    assert_eq!(received.header("x-github-delivery"), deliveries[0].id);
    assert_eq!(received.header("x-github-delivery").len(), 36);
    assert!(!received.header("x-github-hook-id").is_empty());
    assert_eq!(received.header("x-github-hook-installation-target-id"), APP_ID.to_string());
    assert_eq!(received.header("x-github-hook-installation-target-type"), "integration");
    assert!(received.header("user-agent").starts_with("GitHub-Hookshot/"));
    assert_eq!(received.header("content-type"), "application/json");

    let payload = received.json();
    assert_eq!(payload, deliveries[0].payload);
    assert_eq!(payload["action"], "opened");
    assert_eq!(payload["number"], 1);
    assert_eq!(payload["installation"]["id"], INSTALLATION_ID);
    assert!(payload["installation"]["node_id"].is_string());
    assert_eq!(payload["repository"]["full_name"], "acme/widgets");
    assert_eq!(payload["repository"]["private"], true);
    assert_eq!(payload["sender"]["login"], "open-inspect[bot]");
    assert_eq!(payload["pull_request"]["head"]["sha"], repo.branch_sha.as_str());
    assert_eq!(payload["pull_request"]["html_url"], answer["html_url"]);
    assert_eq!(payload["pull_request"]["merged"], false);
    // Nothing of the example's own data is left.
    let text = String::from_utf8_lossy(&received.body);
    assert!(!text.contains("Codertocat") && !text.contains("api.github.com"), "{text}");
}

#[tokio::test]
async fn edits_closes_and_merges() {
    let (github, _repo) = start_app().await;
    let (hook, _got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    let token = github.issue_token("octocat", "repo");
    let pull = json!({ "title": "One", "head": "oi/ses_1", "base": "main" });
    api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(pull)).await;
    api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "title": "Two" }))).await;
    api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "closed" }))).await;
    api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "open" }))).await;
    github.merge_pull("acme/widgets", 1);

    let deliveries = github.wait_for_deliveries(5, WAIT).await;
    let actions: Vec<_> = deliveries.iter().map(|d| d.action.clone().unwrap()).collect();
    assert_eq!(actions, ["opened", "edited", "closed", "reopened", "closed"]);
    assert!(deliveries.iter().all(|d| d.status == Some(200)));
    assert_eq!(deliveries[0].payload["sender"]["login"], "octocat");
    assert_eq!(deliveries[1].payload["changes"], json!({ "title": { "from": "One" } }));
    assert_eq!(deliveries[1].payload["pull_request"]["title"], "Two");
    assert_eq!(deliveries[2].payload["pull_request"]["merged"], false);
    let merged = &deliveries[4].payload;
    assert_eq!(merged["pull_request"]["state"], "closed");
    assert_eq!(merged["pull_request"]["merged"], true);
    assert!(merged["pull_request"]["merged_at"].is_string());
}

#[tokio::test]
async fn check_runs_and_suites() {
    let (github, repo) = start_app().await;
    let (hook, got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    let token = mint(&github).await;
    let pull = json!({ "title": "One", "head": "oi/ses_1", "base": "main" });
    api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(pull)).await;

    github.set_check_run("acme/widgets", &repo.branch_sha, "ci", "in_progress", None);
    github.set_check_run("acme/widgets", &repo.branch_sha, "lint", "completed", Some("success"));
    github.set_check_run("acme/widgets", &repo.branch_sha, "ci", "completed", Some("failure"));
    let deliveries = github.wait_for_deliveries(6, WAIT).await;
    let seen: Vec<_> = deliveries.iter().map(|d| format!("{}.{}", d.event, d.action.clone().unwrap())).collect();
    assert_eq!(
        seen,
        [
            "pull_request.opened",
            "check_run.created",
            "check_run.created",
            "check_run.completed",
            "check_run.completed",
            "check_suite.completed"
        ]
    );
    let run = &deliveries[4].payload;
    assert_eq!(run["check_run"]["name"], "ci");
    assert_eq!(run["check_run"]["conclusion"], "failure");
    assert_eq!(run["check_run"]["head_sha"], repo.branch_sha.as_str());
    assert_eq!(run["check_run"]["check_suite"]["head_branch"], "oi/ses_1");
    assert_eq!(run["check_run"]["pull_requests"][0]["number"], 1);
    assert_eq!(run["installation"]["id"], INSTALLATION_ID);
    let suite = &deliveries[5].payload;
    assert_eq!(suite["check_suite"]["conclusion"], "failure");
    assert_eq!(suite["check_suite"]["status"], "completed");
    assert_eq!(suite["check_suite"]["head_sha"], repo.branch_sha.as_str());
    assert_eq!(suite["check_suite"]["head_commit"]["message"], "Add a feature");
    assert_eq!(suite["repository"]["full_name"], "acme/widgets");
    for received in got.lock().unwrap().iter() {
        let text = String::from_utf8_lossy(&received.body);
        assert!(!text.contains("Codertocat") && !text.contains("api.github.com"), "{text}");
        assert_eq!(received.header("x-hub-signature-256"), webhook_signature(WEBHOOK_SECRET, &received.body));
    }
}

#[tokio::test]
async fn installation_events_and_raw_ones() {
    let (github, repo) = start_app().await;
    let (hook, _got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    github.send_installation_created(INSTALLATION_ID);
    github.send_installation_repositories_added(INSTALLATION_ID, &["acme/widgets"]);
    let gadgets = RepoConfig::new("acme", "gadgets").git_dir(&repo.bare);
    github.add_installation_repo(INSTALLATION_ID, gadgets.clone()).unwrap();
    assert!(github.add_installation_repo(INSTALLATION_ID, gadgets).is_err());
    github.send_webhook("ping", json!({ "zen": "Keep it logically awesome.", "hook_id": 1 }));

    let deliveries = github.wait_for_deliveries(4, WAIT).await;
    let created = &deliveries[0].payload;
    assert_eq!((deliveries[0].event.as_str(), created["action"].as_str()), ("installation", Some("created")));
    assert_eq!(created["installation"]["id"], INSTALLATION_ID);
    assert_eq!(created["installation"]["account"]["login"], "acme");
    assert_eq!(created["installation"]["app_id"], APP_ID);
    assert_eq!(
        created["repositories"],
        json!([{
            "id": created["repositories"][0]["id"],
            "node_id": created["repositories"][0]["node_id"],
            "name": "widgets",
            "full_name": "acme/widgets",
            "private": true
        }])
    );
    let added = &deliveries[1].payload;
    assert_eq!(deliveries[1].event, "installation_repositories");
    assert_eq!(added["repositories_added"][0]["full_name"], "acme/widgets");
    assert_eq!(deliveries[2].payload["repositories_added"][0]["full_name"], "acme/gadgets");
    assert_eq!((deliveries[3].event.as_str(), deliveries[3].action.as_deref()), ("ping", None));

    // The new repository is the installation's now.
    let token = mint(&github).await;
    assert_eq!(api(&github, "GET", "/repos/acme/gadgets", &token, None).await.status(), 200);
}

#[tokio::test]
async fn nothing_is_delivered_without_a_webhook_and_failures_are_recorded() {
    let (github, _repo) = start_app().await;
    github.send_installation_created(INSTALLATION_ID);
    assert!(github.deliveries().is_empty());
    github.set_webhook("http://127.0.0.1:9/unreachable", "s");
    github.send_installation_created(INSTALLATION_ID);
    let deliveries = github.wait_for_deliveries(1, WAIT).await;
    assert!(deliveries[0].finished);
    assert_eq!(deliveries[0].status, None);
    assert!(deliveries[0].error.is_some());
}
