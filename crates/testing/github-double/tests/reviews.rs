//! Reviewing pull requests: the files from git, reviews and their refusals, review comments and
//! replies, issue comments, reactions and collaborator permissions.

mod common;

use common::app::*;
use common::*;
use oi_github_double::{GithubDouble, OpenPull, ReactionTarget, Writer};
use serde_json::{json, Value};

const README_PATCH: &str = "@@ -1 +1,3 @@\n # widgets\n+\n+Widgets for everyone.";
const SHOP_PATCH: &str = "@@ -0,0 +1,3 @@\n+fn main() {\n+    sell();\n+}";

/// A branch `review/shop` that changes `README.md` and adds `src/shop.rs`, with pull request #1
/// from it opened by `octocat` (or the App's bot). Returns the branch's sha.
fn shop_pull(github: &GithubDouble, repo: &Repo, by_app: bool) -> String {
    let files = [
        ("README.md", Some("# widgets\n\nWidgets for everyone.\n")),
        ("src/shop.rs", Some("fn main() {\n    sell();\n}\n")),
    ];
    let sha = repo.branch("review/shop", &files);
    let pull = OpenPull::new("review/shop", "main").title("Open the shop").author("octocat");
    let pull = if by_app { pull.by_app() } else { pull };
    assert_eq!(github.open_pull("acme/widgets", pull), 1);
    sha
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn post(github: &GithubDouble, path: &str, token: &str, body: Value) -> (u16, Value) {
    json_of(api(github, "POST", path, token, Some(body)).await).await
}

const REVIEWS: &str = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews";

#[tokio::test]
async fn the_files_are_the_diff_from_git() {
    let (github, repo) = start_app().await;
    let head = shop_pull(&github, &repo, false);
    let token = mint(&github).await;
    let (status, files) = json_of(api(&github, "GET", "/repos/acme/widgets/pulls/1/files", &token, None).await).await;
    assert_eq!(status, 200);
    Spec::load().check_response("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files", 200, &files);
    let names: Vec<_> = files.as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["README.md", "src/shop.rs"]);
    let (readme, shop) = (&files[0], &files[1]);
    assert_eq!((readme["status"].as_str(), readme["additions"].as_u64()), (Some("modified"), Some(2)));
    assert_eq!((readme["deletions"].as_u64(), readme["changes"].as_u64()), (Some(0), Some(2)));
    assert_eq!(readme["patch"], README_PATCH);
    assert_eq!(readme["blob_url"], format!("{}/acme/widgets/blob/{head}/README.md", github.url));
    assert_eq!(readme["contents_url"], format!("{}/repos/acme/widgets/contents/README.md?ref={head}", github.url));
    assert_eq!((shop["status"].as_str(), shop["additions"].as_u64()), (Some("added"), Some(3)));
    assert_eq!(shop["patch"], SHOP_PATCH);
    assert_eq!(shop["sha"], git(repo.dir.path().join("work").as_path(), &["rev-parse", "HEAD:src/shop.rs"]));
    let missing = api(&github, "GET", "/repos/acme/widgets/pulls/9/files", &token, None).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_app_comments_with_a_review_on_the_diff() {
    let (github, repo) = start_app().await;
    let head = shop_pull(&github, &repo, false);
    let token = mint(&github).await;
    let review = json!({
        "body": "Two notes.",
        "event": "COMMENT",
        "comments": [
            { "path": "src/shop.rs", "line": 2, "side": "RIGHT", "body": "Who buys?" },
            { "path": "README.md", "start_line": 2, "line": 3, "side": "RIGHT", "body": "Say more." }
        ]
    });
    let (status, answer) = post(&github, "/repos/acme/widgets/pulls/1/reviews", &token, review).await;
    assert_eq!(status, 200, "{answer}");
    Spec::load().check_response("post", REVIEWS, 200, &answer);
    assert_eq!(answer["state"], "COMMENTED");
    assert_eq!(answer["user"]["login"], "open-inspect[bot]");
    assert_eq!(answer["commit_id"], head.as_str());
    assert!(answer["submitted_at"].is_string());
    assert_eq!(answer["html_url"], format!("{}/acme/widgets/pull/1#pullrequestreview-{}", github.url, answer["id"]));

    let reviews = github.reviews("acme/widgets", 1);
    assert_eq!(reviews.len(), 1);
    let bot = Writer { login: "open-inspect[bot]".into(), by_app: true };
    assert_eq!((reviews[0].author.clone(), reviews[0].body.as_str()), (bot, "Two notes."));
    let comments = github.review_comments("acme/widgets", 1);
    let placed: Vec<_> = comments.iter().map(|c| (c.path.as_str(), c.line, c.start_line, c.review_id)).collect();
    assert_eq!(placed, [("src/shop.rs", 2, None, reviews[0].id), ("README.md", 3, Some(2), reviews[0].id)]);
}

#[tokio::test]
async fn review_states_follow_the_event() {
    let (github, repo) = start_app().await;
    shop_pull(&github, &repo, false);
    let token = mint(&github).await;
    let path = "/repos/acme/widgets/pulls/1/reviews";
    let (_, approved) = post(&github, path, &token, json!({ "event": "APPROVE" })).await;
    assert_eq!(approved["state"], "APPROVED");
    let (_, changes) = post(&github, path, &token, json!({ "event": "REQUEST_CHANGES", "body": "No." })).await;
    assert_eq!(changes["state"], "CHANGES_REQUESTED");
    let (status, pending) = post(&github, path, &token, json!({ "body": "Later." })).await;
    assert_eq!(status, 200);
    Spec::load().check_response("post", REVIEWS, 200, &pending);
    assert_eq!(pending["state"], "PENDING");
    assert!(pending.get("submitted_at").is_none());
    let (status, again) = post(&github, path, &token, json!({ "body": "Also later." })).await;
    assert_eq!(status, 422);
    assert_eq!(again["errors"], json!(["User can only have one pending review per pull request"]));
    let states: Vec<_> = github.reviews("acme/widgets", 1).into_iter().map(|r| r.state).collect();
    assert_eq!(states, ["APPROVED", "CHANGES_REQUESTED", "PENDING"]);
}

#[tokio::test]
async fn reviews_are_refused_as_github_refuses_them() {
    let (github, repo) = start_app().await;
    shop_pull(&github, &repo, true);
    let token = mint(&github).await;
    let spec = Spec::load();
    let path = "/repos/acme/widgets/pulls/1/reviews";
    let comment = |path: &str, line: u64| json!({ "path": path, "line": line, "body": "Here." });
    let refusals = [
        (json!({ "event": "COMMENT", "body": "x", "comments": [comment("src/shop.rs", 9)] }),
            "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"),
        (json!({ "event": "COMMENT", "body": "x", "comments": [comment("Cargo.toml", 1)] }),
            "Pull request review thread path is invalid and Pull request review thread diff hunk can't be blank"),
        (json!({ "event": "COMMENT", "body": "x",
                 "comments": [{ "path": "README.md", "start_line": 1, "line": 2, "side": "LEFT", "body": "x" }] }),
            "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"),
        (json!({ "event": "APPROVE" }), "Can not approve your own pull request"),
        (json!({ "event": "REQUEST_CHANGES", "body": "Fix it." }), "Can not request changes on your own pull request"),
        (json!({ "event": "COMMENT" }), "Body can't be blank"),
    ];
    for (request, message) in refusals {
        let (status, answer) = post(&github, path, &token, request.clone()).await;
        assert_eq!(status, 422, "{request}: {answer}");
        spec.check_response("post", REVIEWS, 422, &answer);
        assert_eq!(answer["errors"], json!([message]), "{request}");
    }
    assert!(github.reviews("acme/widgets", 1).is_empty());
    assert!(github.review_comments("acme/widgets", 1).is_empty());
    // The App may still comment on its own pull request.
    let (status, _) = post(&github, path, &token, json!({ "event": "COMMENT", "body": "Notes." })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn review_comments_and_replies() {
    let (github, repo) = start_app().await;
    let head = shop_pull(&github, &repo, false);
    let token = mint(&github).await;
    let spec = Spec::load();
    let comments = "/repos/acme/widgets/pulls/1/comments";
    let request = json!({ "body": "Why?", "commit_id": head, "path": "src/shop.rs", "line": 2, "side": "RIGHT" });
    let (status, first) = post(&github, comments, &token, request).await;
    assert_eq!(status, 201, "{first}");
    spec.check_response("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments", 201, &first);
    assert_eq!(first["diff_hunk"], "@@ -0,0 +1,3 @@\n+fn main() {\n+    sell();");
    assert_eq!((first["line"].as_u64(), first["position"].as_u64()), (Some(2), Some(2)));

    let replies = format!("/repos/acme/widgets/pulls/1/comments/{}/replies", first["id"]);
    let (status, reply) = post(&github, &replies, &token, json!({ "body": "Because." })).await;
    assert_eq!(status, 201, "{reply}");
    spec.check_response("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies", 201, &reply);
    assert_eq!(reply["in_reply_to_id"], first["id"]);
    assert_eq!((reply["path"].as_str(), reply["line"].as_u64()), (Some("src/shop.rs"), Some(2)));
    let (status, missing) =
        post(&github, "/repos/acme/widgets/pulls/1/comments/7/replies", &token, json!({ "body": "?" })).await;
    assert_eq!(status, 404);
    spec.check_response(
        "post",
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
        404,
        &missing,
    );

    let off = json!({ "body": "?", "commit_id": head, "path": "src/shop.rs", "line": 40 });
    let (status, refused) = post(&github, comments, &token, off).await;
    assert_eq!(status, 422);
    spec.check_response("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments", 422, &refused);
    let stored: Vec<_> =
        github.review_comments("acme/widgets", 1).into_iter().map(|c| (c.body, c.in_reply_to)).collect();
    assert_eq!(stored, [("Why?".to_string(), None), ("Because.".to_string(), first["id"].as_u64())]);
}

#[tokio::test]
async fn issue_comments_on_pull_requests_and_issues() {
    let (github, repo) = start_app().await;
    shop_pull(&github, &repo, false);
    let issue = github.open_issue("acme/widgets", "hubot", "Broken", "It broke.");
    assert_eq!(issue, 2);
    let token = mint(&github).await;
    let spec = Spec::load();
    let operation = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
    let (status, on_pull) =
        post(&github, "/repos/acme/widgets/issues/1/comments", &token, json!({ "body": "On it." })).await;
    assert_eq!(status, 201);
    spec.check_response("post", operation, 201, &on_pull);
    assert_eq!(on_pull["html_url"], format!("{}/acme/widgets/pull/1#issuecomment-{}", github.url, on_pull["id"]));
    assert_eq!(on_pull["user"]["login"], "open-inspect[bot]");
    let (status, on_issue) =
        post(&github, "/repos/acme/widgets/issues/2/comments", &token, json!({ "body": "Hm." })).await;
    assert_eq!(status, 403, "an installation needs issues: write for an issue: {on_issue}");
    let user = github.issue_token("octocat", "repo");
    let (status, on_issue) =
        post(&github, "/repos/acme/widgets/issues/2/comments", &user, json!({ "body": "Hm." })).await;
    assert_eq!(status, 201);
    assert_eq!(on_issue["issue_url"], format!("{}/repos/acme/widgets/issues/2", github.url));
    let (status, missing) =
        post(&github, "/repos/acme/widgets/issues/3/comments", &token, json!({ "body": "?" })).await;
    assert_eq!(status, 404);
    spec.check_response("post", operation, 404, &missing);
    let said: Vec<_> = github.issue_comments("acme/widgets", 1).into_iter().map(|c| (c.author.login, c.body)).collect();
    assert_eq!(said, [("open-inspect[bot]".to_string(), "On it.".to_string())]);
    assert_eq!(github.issue_comments("acme/widgets", 2)[0].author.login, "octocat");
}

#[tokio::test]
async fn reactions_are_created_once() {
    let (github, repo) = start_app().await;
    shop_pull(&github, &repo, false);
    let comment = github.comment_on_issue("acme/widgets", 1, "hubot", "@open-inspect have a look");
    let review_comment = github.comment_on_diff(
        "acme/widgets",
        1,
        "hubot",
        oi_github_double::DiffComment::new("src/shop.rs", 1, "@open-inspect why?"),
    );
    let token = mint(&github).await;
    let spec = Spec::load();
    let eyes = json!({ "content": "eyes" });
    let targets = [
        (
            format!("/repos/acme/widgets/issues/comments/{comment}/reactions"),
            "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        ),
        (
            format!("/repos/acme/widgets/pulls/comments/{review_comment}/reactions"),
            "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
        ),
        ("/repos/acme/widgets/issues/1/reactions".to_string(), "/repos/{owner}/{repo}/issues/{issue_number}/reactions"),
    ];
    for (path, operation) in &targets {
        let (status, first) = post(&github, path, &token, eyes.clone()).await;
        assert_eq!(status, 201, "{path}: {first}");
        spec.check_response("post", operation, 201, &first);
        assert_eq!(
            (first["content"].as_str(), first["user"]["login"].as_str()),
            (Some("eyes"), Some("open-inspect[bot]"))
        );
        let (status, again) = post(&github, path, &token, eyes.clone()).await;
        assert_eq!(status, 200);
        spec.check_response("post", operation, 200, &again);
        assert_eq!(again["id"], first["id"]);
        let (status, refused) = post(&github, path, &token, json!({ "content": "thumbsup" })).await;
        assert_eq!(status, 422);
        spec.check_response("post", operation, 422, &refused);
    }
    let targets: Vec<_> = github.reactions("acme/widgets").into_iter().map(|r| (r.target, r.content)).collect();
    assert_eq!(
        targets,
        [
            (ReactionTarget::IssueComment(comment), "eyes".to_string()),
            (ReactionTarget::ReviewComment(review_comment), "eyes".to_string()),
            (ReactionTarget::Issue(1), "eyes".to_string()),
        ]
    );
    let missing = post(&github, "/repos/acme/widgets/issues/comments/5/reactions", &token, eyes).await;
    assert_eq!(missing.0, 404);
}

#[tokio::test]
async fn collaborator_permissions_follow_the_roles_set() {
    let (github, _repo) = start_app().await;
    let token = mint(&github).await;
    let spec = Spec::load();
    let operation = "/repos/{owner}/{repo}/collaborators/{username}/permission";
    let cases = [
        ("admin", "admin"),
        ("maintain", "write"),
        ("write", "write"),
        ("triage", "read"),
        ("read", "read"),
        ("none", "none"),
    ];
    for (role, legacy) in cases {
        github.set_user_access("acme/widgets", "hubot", role).unwrap();
        let path = "/repos/acme/widgets/collaborators/hubot/permission";
        let (status, answer) = json_of(api(&github, "GET", path, &token, None).await).await;
        assert_eq!(status, 200);
        spec.check_response("get", operation, 200, &answer);
        assert_eq!((answer["permission"].as_str(), answer["role_name"].as_str()), (Some(legacy), Some(role)));
        assert_eq!(answer["user"]["login"], "hubot");
    }
    let (_, default) =
        json_of(api(&github, "GET", "/repos/acme/widgets/collaborators/octocat/permission", &token, None).await).await;
    assert_eq!(default["permission"], "write");
    assert_eq!(
        default["user"]["permissions"],
        json!({ "admin": false, "maintain": false, "push": true, "triage": true, "pull": true })
    );
    let (status, unknown) =
        json_of(api(&github, "GET", "/repos/acme/widgets/collaborators/ghost/permission", &token, None).await).await;
    assert_eq!(status, 404);
    spec.check_response("get", operation, 404, &unknown);
    assert!(github.set_user_access("acme/widgets", "hubot", "owner").is_err());
}
