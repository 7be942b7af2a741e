use oi_protocol::review::DiffSide::{Left, Right};
use serde_json::json;

use super::*;

/// Lines 10-14 of the base become 10-15 of the head: line 11 changed, one line added after 13;
/// then a second hunk far below (base 40-42, head 41-44).
const PATCH: &str = "@@ -10,5 +10,6 @@ fn upload() {\n \
     let tries = 3;\n\
     -    let wait = 1;\n\
     +    let wait = 2;\n \
     loop {\n \
     try_once()?;\n\
     +        log();\n \
     }\n\
     @@ -40,3 +41,4 @@\n \
     a\n\
     +b\n \
     c\n\
     \\ No newline at end of file\n \
     d";

fn entry(filename: &str, status: &str, patch: Option<&str>) -> DiffEntry {
    DiffEntry {
        filename: filename.into(),
        status: status.into(),
        previous_filename: None,
        patch: patch.map(Into::into),
    }
}

#[test]
fn which_lines_take_comments() {
    let lines = CommentableLines::from_files(&[
        entry("src/upload.rs", "modified", Some(PATCH)),
        entry("logo.png", "added", None),
    ]);
    let cases: &[(&str, DiffSide, Option<u64>, u64, bool)] = &[
        // The first hunk: base 10..=14, head 10..=15.
        ("src/upload.rs", Right, None, 10, true),
        ("src/upload.rs", Right, None, 11, true),
        ("src/upload.rs", Right, None, 15, true),
        ("src/upload.rs", Right, None, 16, false),
        ("src/upload.rs", Right, None, 9, false),
        ("src/upload.rs", Left, None, 11, true),
        ("src/upload.rs", Left, None, 14, true),
        ("src/upload.rs", Left, None, 15, false),
        // The second hunk: base 40..=42 (a, c, d), head 41..=44 (a, b, c, d).
        ("src/upload.rs", Right, None, 41, true),
        ("src/upload.rs", Right, None, 44, true),
        ("src/upload.rs", Right, None, 45, false),
        ("src/upload.rs", Left, None, 40, true),
        ("src/upload.rs", Left, None, 42, true),
        ("src/upload.rs", Right, None, 30, false),
        // Ranges: within one hunk only, and in order.
        ("src/upload.rs", Right, Some(10), 15, true),
        ("src/upload.rs", Right, Some(12), 12, true),
        ("src/upload.rs", Right, Some(14), 41, false),
        ("src/upload.rs", Right, Some(15), 10, false),
        ("src/upload.rs", Left, Some(9), 11, false),
        // Files without a patch, and files not in the pull request.
        ("logo.png", Right, None, 1, false),
        ("README.md", Right, None, 1, false),
        ("SRC/upload.rs", Right, None, 11, false),
    ];
    for (path, side, start, line, want) in cases {
        assert_eq!(lines.contains(path, *side, *start, *line), *want, "{path} {side:?} {start:?}..{line}");
    }
}

#[test]
fn hunk_headers_and_odd_patches() {
    assert_eq!(hunk_starts("@@ -1 +1 @@"), Some((1, 1)));
    assert_eq!(hunk_starts("@@ -132,7 +132,7 @@ module Test"), Some((132, 132)));
    assert_eq!(hunk_starts("@@ -0,0 +1,3 @@"), Some((0, 1)));
    assert_eq!(hunk_starts("@@ garbage @@"), None);
    assert_eq!(hunk_starts("@@@ -1 -1 +1 @@@"), None);

    // A new file: only the head side.
    let added = hunks("@@ -0,0 +1,3 @@\n+a\n+b\n+c");
    assert_eq!(added, vec![Hunk { left: None, right: Some(1..=3) }]);
    // A deleted file: only the base side.
    assert_eq!(hunks("@@ -1,2 +0,0 @@\n-a\n-b\n"), vec![Hunk { left: Some(1..=2), right: None }]);
    // GitHub's own example of a `patch` (headers only, no lines) shows nothing; lines before any
    // header and bad headers count for nothing.
    assert_eq!(
        hunks("@@ -132,7 +132,7 @@ module Test @@ -1000,7 +1000,7 @@ module Test"),
        vec![Hunk { left: None, right: None }]
    );
    assert!(hunks("+stray\n@@ bad @@\n+x").is_empty());
    // The contract's example review comment's hunk: base line 1 removed, head line 1 added.
    assert_eq!(
        hunks("@@ -1 +1 @@\n-# Hello-World\n+# Hello World"),
        vec![Hunk { left: Some(1..=1), right: Some(1..=1) }]
    );
}

#[test]
fn the_files_as_one_diff() {
    let mut renamed = entry("src/new.rs", "renamed", Some("@@ -1 +1 @@\n-a\n+b\n"));
    renamed.previous_filename = Some("src/old.rs".into());
    let files = [
        entry("a.txt", "added", Some("@@ -0,0 +1 @@\n+hi")),
        entry("gone.txt", "removed", Some("@@ -1 +0,0 @@\n-bye")),
        renamed,
        entry("logo.png", "modified", None),
    ];
    assert_eq!(
        unified_diff(&files),
        "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+hi\n\
         --- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n\
         --- a/src/old.rs\n+++ b/src/new.rs\n@@ -1 +1 @@\n-a\n+b\n\
         --- a/logo.png\n+++ b/logo.png\n(no patch: logo.png is binary or too large to show)\n"
    );
    assert_eq!(unified_diff(&[]), "");
}

#[test]
fn list_files_entries_read_from_githubs_json() {
    // The contract's diff-entry example fields, with the ones not used.
    let entry: DiffEntry = serde_json::from_value(json!({
        "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
        "filename": "file1.txt",
        "status": "added",
        "additions": 103,
        "deletions": 21,
        "changes": 124,
        "blob_url": "https://github.com/octocat/Hello-World/blob/6dcb09b5b57875f334f61aebed695e2e4193db5e/file1.txt",
        "raw_url": "https://github.com/octocat/Hello-World/raw/6dcb09b5b57875f334f61aebed695e2e4193db5e/file1.txt",
        "contents_url": "https://api.github.com/repos/octocat/Hello-World/contents/file1.txt?ref=6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "patch": "@@ -132,7 +132,7 @@ module Test @@ -1000,7 +1000,7 @@ module Test"
    }))
    .unwrap();
    assert_eq!((entry.filename.as_str(), entry.status.as_str(), entry.previous_filename), ("file1.txt", "added", None));
    assert!(entry.patch.is_some());
}
