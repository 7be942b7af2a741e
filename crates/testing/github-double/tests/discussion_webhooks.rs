//! Deliveries about pull request conversations: opened by someone else and as a draft, ready
//! for review, a review requested from the App, comments mentioning it, and a redelivery.

mod common;

use std::time::Duration;

use common::app::*;
use oi_github_double::{webhook_signature, DiffComment, OpenPull};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn pull_requests_open_become_ready_and_ask_the_app_for_a_review() {
    let (github, repo) = start_app().await;
    let (hook, got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    let draft = OpenPull::new("oi/ses_1", "main").title("Add a feature").author("hubot").draft(true);
    assert_eq!(github.open_pull("acme/widgets", draft.clone()), 1);
    assert_eq!(github.open_pull("acme/widgets", draft), 1, "already open: nothing new");
    github.mark_ready_for_review("acme/widgets", 1);
    github.request_app_review("acme/widgets", 1, "octocat");

    let deliveries = github.wait_for_deliveries(3, WAIT).await;
    let seen: Vec<_> = deliveries.iter().map(|d| format!("{}.{}", d.event, d.action.clone().unwrap())).collect();
    assert_eq!(seen, ["pull_request.opened", "pull_request.ready_for_review", "pull_request.review_requested"]);
    let opened = &deliveries[0].payload;
    assert_eq!(
        (opened["pull_request"]["draft"].as_bool(), opened["sender"]["login"].as_str()),
        (Some(true), Some("hubot"))
    );
    assert_eq!(opened["pull_request"]["user"]["login"], "hubot");
    assert_eq!(opened["pull_request"]["head"]["sha"], repo.branch_sha.as_str());
    assert_eq!(deliveries[1].payload["pull_request"]["draft"], false);
    let requested = &deliveries[2].payload;
    assert_eq!(requested["requested_reviewer"]["login"], "open-inspect[bot]");
    assert_eq!(requested["requested_reviewer"]["type"], "Bot");
    assert_eq!(requested["pull_request"]["requested_reviewers"][0]["login"], "open-inspect[bot]");
    assert_eq!(requested["sender"]["login"], "octocat");
    assert_eq!(requested["organization"]["login"], "acme");
    assert_eq!(requested["installation"]["id"], INSTALLATION_ID);
    for received in got.lock().unwrap().iter() {
        let text = String::from_utf8_lossy(&received.body);
        assert!(!text.contains("Codertocat") && !text.contains("api.github.com"), "{text}");
        assert_eq!(received.header("x-hub-signature-256"), webhook_signature(WEBHOOK_SECRET, &received.body));
    }
}

#[tokio::test]
async fn mentions_in_comments_are_delivered_and_can_be_redelivered() {
    let (github, repo) = start_app().await;
    let (hook, got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    github.open_pull("acme/widgets", OpenPull::new("oi/ses_1", "main").author("hubot"));
    let issue = github.open_issue("acme/widgets", "hubot", "A bug", "It broke.");
    let comment = github.comment_on_issue("acme/widgets", 1, "octocat", "@open-inspect please review");
    github.comment_on_issue("acme/widgets", issue, "octocat", "@open-inspect look");
    let on_diff = DiffComment::new("feature.txt", 2, "@open-inspect why two?");
    let review_comment = github.comment_on_diff("acme/widgets", 1, "octocat", on_diff);

    let deliveries = github.wait_for_deliveries(5, WAIT).await;
    let seen: Vec<_> = deliveries.iter().map(|d| format!("{}.{}", d.event, d.action.clone().unwrap())).collect();
    assert_eq!(
        seen,
        [
            "pull_request.opened",
            "issue_comment.created",
            "issue_comment.created",
            "pull_request_review.submitted",
            "pull_request_review_comment.created"
        ]
    );
    let on_pull = &deliveries[1].payload;
    assert_eq!(on_pull["comment"]["id"], comment);
    assert_eq!(on_pull["comment"]["body"], "@open-inspect please review");
    assert_eq!(on_pull["comment"]["user"]["login"], "octocat");
    assert_eq!(on_pull["issue"]["number"], 1);
    assert_eq!(on_pull["issue"]["user"]["login"], "hubot");
    assert_eq!(on_pull["issue"]["pull_request"]["url"], format!("{}/repos/acme/widgets/pulls/1", github.url));
    assert_eq!(on_pull["issue"]["comments"], 1);
    assert_eq!(on_pull["sender"]["login"], "octocat");
    assert_eq!(on_pull["installation"]["id"], INSTALLATION_ID);
    let on_issue = &deliveries[2].payload;
    assert_eq!(on_issue["issue"]["number"], issue);
    assert!(on_issue["issue"].get("pull_request").is_none());
    assert_eq!(deliveries[3].payload["review"]["state"], "commented");
    let review_comment_payload = &deliveries[4].payload;
    let delivered = &review_comment_payload["comment"];
    assert_eq!(delivered["id"], review_comment);
    assert_eq!((delivered["path"].as_str(), delivered["line"].as_u64()), (Some("feature.txt"), Some(2)));
    assert_eq!(delivered["diff_hunk"], "@@ -0,0 +1,2 @@\n+one\n+two");
    assert_eq!(delivered["commit_id"], repo.branch_sha.as_str());
    assert_eq!(delivered["side"], "RIGHT");
    assert_eq!(review_comment_payload["pull_request"]["number"], 1);
    assert_eq!(github.reviews("acme/widgets", 1)[0].state, "COMMENTED");

    github.redeliver(&deliveries[1].id);
    let all = github.wait_for_deliveries(6, WAIT).await;
    assert_eq!((all[5].id.as_str(), all[5].status), (deliveries[1].id.as_str(), Some(200)));
    let received = got.lock().unwrap().clone();
    assert_eq!(received.len(), 6);
    let (first, again) = (&received[1], &received[5]);
    assert_eq!(again.header("x-github-delivery"), first.header("x-github-delivery"));
    assert_eq!(again.header("x-github-event"), "issue_comment");
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("x-hub-signature-256"), webhook_signature(WEBHOOK_SECRET, &again.body));
    for received in &received {
        let text = String::from_utf8_lossy(&received.body);
        assert!(!text.contains("Codertocat") && !text.contains("api.github.com"), "{text}");
    }
}

#[tokio::test]
async fn what_the_app_writes_is_delivered_back_to_it() {
    let (github, _repo) = start_app().await;
    let (hook, _got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    github.open_pull("acme/widgets", OpenPull::new("oi/ses_1", "main"));
    let token = mint(&github).await;
    let body = json!({ "body": "Looking.", "event": "COMMENT",
                       "comments": [{ "path": "feature.txt", "line": 1, "body": "One?" }] });
    assert_eq!(api(&github, "POST", "/repos/acme/widgets/pulls/1/reviews", &token, Some(body)).await.status(), 200);
    let reply = json!({ "body": "Done." });
    assert_eq!(api(&github, "POST", "/repos/acme/widgets/issues/1/comments", &token, Some(reply)).await.status(), 201);

    let deliveries = github.wait_for_deliveries(4, WAIT).await;
    let seen: Vec<_> = deliveries.iter().map(|d| d.event.as_str()).collect();
    assert_eq!(seen, ["pull_request", "pull_request_review", "pull_request_review_comment", "issue_comment"]);
    for delivery in &deliveries[1..] {
        assert_eq!(delivery.payload["sender"]["login"], "open-inspect[bot]");
        assert_eq!(delivery.payload["sender"]["type"], "Bot");
    }
    assert_eq!(deliveries[0].payload["sender"]["login"], "octocat");
}
