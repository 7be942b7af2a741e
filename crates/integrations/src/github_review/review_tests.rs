use oi_protocol::review::InlineComment;
use serde_json::{json, Value};

use super::super::diff::DiffEntry;
use super::*;

/// The contract's OpenAPI subset (a byte-for-byte copy the GitHub double's tests keep).
const OPENAPI: &str = include_str!("../../../testing/github-double/tests/fixtures/github/openapi-subset.json");

const PATCH: &str = "@@ -10,3 +10,4 @@\n let a = 1;\n-let b = 2;\n+let b = 3;\n+let c = 4;\n let d = 5;";

fn lines() -> CommentableLines {
    CommentableLines::from_files(&[DiffEntry {
        filename: "src/lib.rs".into(),
        status: "modified".into(),
        previous_filename: None,
        patch: Some(PATCH.into()),
    }])
}

fn app() -> AppIdentity {
    AppIdentity::new("open-inspect")
}

fn prepare(args: &SubmitReview, author: &str, asker: &str) -> Result<PreparedReview, String> {
    let (app, lines) = (app(), lines());
    let context =
        ReviewContext { head_sha: "abc123", pr_author: author, requested_by: asker, app: &app, lines: &lines };
    prepare_review(args, &context)
}

fn comment(path: &str, line: u64, side: Option<DiffSide>, start_line: Option<u64>, body: &str) -> InlineComment {
    InlineComment { path: path.into(), line, side, start_line, body: body.into() }
}

fn review(event: ReviewAction, comments: Vec<InlineComment>) -> SubmitReview {
    SubmitReview { summary: " Two small things. ".into(), event, comments }
}

#[test]
fn a_review_with_inline_comments() {
    let args = review(
        ReviewAction::RequestChanges,
        vec![
            comment("src/lib.rs", 11, None, None, "why 3?"),
            comment("src/lib.rs", 11, Some(DiffSide::Left), None, " was 2 "),
            comment("src/lib.rs", 12, Some(DiffSide::Right), Some(10), "this block"),
            comment("src/lib.rs", 12, None, Some(12), "a range of one line is a line"),
        ],
    );
    let prepared = prepare(&args, "ada", "grace").unwrap();
    assert!(prepared.moved.is_empty() && prepared.moved_note().is_none());
    assert_eq!(
        serde_json::to_value(&prepared.request).unwrap(),
        json!({
            "commit_id": "abc123",
            "body": "Two small things.",
            "event": "REQUEST_CHANGES",
            "comments": [
                {"path": "src/lib.rs", "line": 11, "side": "RIGHT", "body": "why 3?"},
                {"path": "src/lib.rs", "line": 11, "side": "LEFT", "body": "was 2"},
                {"path": "src/lib.rs", "line": 12, "side": "RIGHT", "start_line": 10, "start_side": "RIGHT", "body": "this block"},
                {"path": "src/lib.rs", "line": 12, "side": "RIGHT", "body": "a range of one line is a line"},
            ]
        })
    );
    assert_eq!(review_path("acme/api", 7), "/repos/acme/api/pulls/7/reviews");
}

#[test]
fn comments_off_the_diff_move_into_the_body() {
    let args = review(
        ReviewAction::Comment,
        vec![
            comment("src/lib.rs", 11, None, None, "on the diff"),
            comment("src/lib.rs", 40, None, None, "far below"),
            comment("README.md", 1, None, None, "not in the pull request"),
            comment("src/lib.rs", 13, Some(DiffSide::Left), Some(9), "a range starting before the hunk"),
        ],
    );
    let prepared = prepare(&args, "ada", "grace").unwrap();
    assert_eq!(prepared.request.comments.len(), 1);
    assert_eq!(prepared.moved, ["src/lib.rs:40", "README.md:1", "src/lib.rs:9-13"]);
    assert_eq!(
        prepared.request.body,
        "Two small things.\n\n---\n\nComments on lines outside the diff:\n\n**src/lib.rs:40**\n\nfar below\n\n\
         **README.md:1**\n\nnot in the pull request\n\n**src/lib.rs:9-13**\n\na range starting before the hunk"
    );
    assert_eq!(
        prepared.moved_note().unwrap(),
        "These comments were not on lines of the diff, so they were added to the review's body instead: src/lib.rs:40, README.md:1, src/lib.rs:9-13"
    );
}

#[test]
fn moved_comments_stay_within_githubs_limit() {
    let long = "x".repeat(MAX_INLINE_COMMENT_CHARS);
    let args = SubmitReview {
        summary: "s".repeat(MAX_SUMMARY_CHARS),
        event: ReviewAction::Comment,
        comments: (0..MAX_INLINE_COMMENTS).map(|i| comment("other.rs", i as u64 + 1, None, None, &long)).collect(),
    };
    let prepared = prepare(&args, "ada", "grace").unwrap();
    let body = &prepared.request.body;
    assert!(body.chars().count() <= GITHUB_MAX_BODY_CHARS, "{}", body.chars().count());
    assert!(body.ends_with("more comments left out._"), "{}", &body[body.len() - 60..]);
    assert!(body.contains("**other.rs:1**") && !body.contains("**other.rs:50**"));
    assert_eq!(prepared.moved.len(), MAX_INLINE_COMMENTS, "the agent is told about every one");
}

#[test]
fn refusals_say_what_to_change() {
    let long_summary =
        SubmitReview { summary: "s".repeat(MAX_SUMMARY_CHARS + 1), ..review(ReviewAction::Comment, vec![]) };
    let too_many = review(
        ReviewAction::Comment,
        (0..=MAX_INLINE_COMMENTS).map(|_| comment("src/lib.rs", 11, None, None, "x")).collect(),
    );
    let one = |c: InlineComment| review(ReviewAction::Comment, vec![c]);
    let long_body = "b".repeat(MAX_INLINE_COMMENT_CHARS + 1);
    let cases: Vec<(&str, SubmitReview, &str)> = vec![
        ("a long summary", long_summary, "`summary` is longer than 20000 characters"),
        (
            "no summary",
            SubmitReview { summary: "  ".into(), ..review(ReviewAction::RequestChanges, vec![]) },
            "`summary` is empty; a REQUEST_CHANGES review needs one",
        ),
        ("too many comments", too_many, "51 inline comments; at most 50"),
        ("no path", one(comment(" ", 11, None, None, "x")), "`comments[0]` needs a `path` and a `body`"),
        ("no body", one(comment("src/lib.rs", 11, None, None, " ")), "`comments[0]` needs a `path` and a `body`"),
        (
            "a long comment",
            one(comment("src/lib.rs", 11, None, None, &long_body)),
            "`comments[0].body` is longer than 4000",
        ),
        ("line zero", one(comment("src/lib.rs", 0, None, None, "x")), "`comments[0].line` must be 1 or more"),
        (
            "a backwards range",
            one(comment("src/lib.rs", 11, None, Some(12), "x")),
            "`comments[0].start_line` must come before",
        ),
    ];
    for (name, args, want) in cases {
        let error = prepare(&args, "ada", "grace").unwrap_err();
        assert!(error.contains(want), "{name}: {error}");
    }
}

#[test]
fn who_may_be_approved() {
    let approve = SubmitReview { summary: String::new(), ..review(ReviewAction::Approve, vec![]) };
    let cases: &[(&str, &str, bool)] = &[
        ("ada", "grace", true),
        ("open-inspect[bot]", "grace", false),
        ("Open-Inspect[bot]", "grace", false),
        ("ada", "ada", false),
        ("Ada", "ada", false),
        ("dependabot[bot]", "grace", true),
    ];
    for (author, asker, allowed) in cases {
        assert_eq!(may_approve(author, asker, &app()), *allowed, "{author} asked by {asker}");
        let result = prepare(&approve, author, asker);
        assert_eq!(result.is_ok(), *allowed, "{author} asked by {asker}");
        if let Err(error) = result {
            assert!(error.starts_with("`APPROVE` is not allowed on this pull request"), "{error}");
        }
    }
    // An approval may have an empty body; the others need one.
    let approved = prepare(&approve, "ada", "grace").unwrap();
    assert_eq!(
        serde_json::to_value(&approved.request).unwrap(),
        json!({"commit_id": "abc123", "body": "", "event": "APPROVE"})
    );
}

/// `pulls/create-review`'s request schema, from the contract.
fn request_schema() -> Value {
    let openapi: Value = serde_json::from_str(OPENAPI).unwrap();
    openapi["paths"]["/repos/{owner}/{repo}/pulls/{pull_number}/reviews"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]
        .clone()
}

/// Every property of `value` is in `schema` with its type (and enum); required ones present.
fn assert_fits(value: &Value, schema: &Value, at: &str) {
    match schema["type"].as_str() {
        Some("object") => {
            let object = value.as_object().unwrap_or_else(|| panic!("{at} is not an object"));
            for (key, item) in object {
                let property = &schema["properties"][key];
                assert!(!property.is_null(), "{at}.{key} is not in the schema");
                assert_fits(item, property, &format!("{at}.{key}"));
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                assert!(object.contains_key(required.as_str().unwrap()), "{at} lacks {required}");
            }
        }
        Some("array") => value.as_array().unwrap().iter().for_each(|item| assert_fits(item, &schema["items"], at)),
        Some("string") => {
            assert!(value.is_string(), "{at} is not a string");
            if let Some(allowed) = schema["enum"].as_array() {
                assert!(allowed.contains(value), "{at} = {value} is not one of {allowed:?}");
            }
        }
        Some("integer") => assert!(value.is_u64(), "{at} is not an integer"),
        other => panic!("{at}: schema type {other:?} not expected"),
    }
}

#[test]
fn the_request_matches_the_contracts_schema() {
    let schema = request_schema();
    for event in [ReviewAction::Comment, ReviewAction::RequestChanges, ReviewAction::Approve] {
        let args = review(
            event,
            vec![
                comment("src/lib.rs", 12, None, Some(10), "range"),
                comment("src/lib.rs", 11, Some(DiffSide::Left), None, "left"),
            ],
        );
        let prepared = prepare(&args, "ada", "grace").unwrap();
        let body = serde_json::to_value(&prepared.request).unwrap();
        assert_fits(&body, &schema, "body");
        // Each comment names its line and side (not the deprecated `position`).
        for comment in body["comments"].as_array().unwrap() {
            assert!(
                comment.get("line").is_some() && comment.get("side").is_some() && comment.get("position").is_none()
            );
        }
    }
}
