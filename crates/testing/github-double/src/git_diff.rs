//! What a pull request changes, file by file, read from the bare git directory with
//! `git diff base...head` (the merge base against the head, as GitHub compares a pull request),
//! and where in those diffs a review comment may point.

use std::path::Path;
use std::process::Command;

/// One changed file: the fields of a `diff-entry` (`openapi-subset.json`) that come from git.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileDiff {
    pub filename: String,
    /// The old name of a renamed or copied file.
    pub previous_filename: Option<String>,
    /// `added`, `removed`, `modified`, `renamed`, `copied` or `changed` (`diff-entry.status`).
    pub status: &'static str,
    /// The blob at the head (at the base for a removed file).
    pub blob_sha: String,
    pub additions: u64,
    pub deletions: u64,
    /// The hunks, from the first `@@` on (`None` for binary files and pure renames, as GitHub
    /// leaves `patch` out for them).
    pub patch: Option<String>,
}

/// The files `base...head` changes, in git's order (empty when git cannot tell).
pub(crate) fn diff_files(dir: &Path, base: &str, head: &str) -> Vec<FileDiff> {
    let mut command = Command::new("git");
    command.arg("-c").arg("safe.directory=*").arg("-c").arg("core.quotePath=false");
    command.arg("--git-dir").arg(dir).env("GIT_CONFIG_NOSYSTEM", "1");
    command.args(["diff", "--no-color", "--no-ext-diff", "--full-index", "-M", "--end-of-options"]);
    command.arg(format!("{base}...{head}"));
    let Ok(out) = command.output() else { return Vec::new() };
    if !out.status.success() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&out.stdout);
    split_sections(&text).into_iter().filter_map(parse_section).collect()
}

/// The diff split at each `diff --git` line.
fn split_sections(text: &str) -> Vec<Vec<&str>> {
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("diff --git ") {
            sections.push(Vec::new());
        }
        if let Some(section) = sections.last_mut() {
            section.push(line);
        }
    }
    sections
}

fn parse_section(lines: Vec<&str>) -> Option<FileDiff> {
    let (mut old_path, mut new_path) = (None, None);
    let (mut old_blob, mut new_blob) = (String::new(), String::new());
    let mut hunks_start = None;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("@@") {
            hunks_start = Some(i);
            break;
        }
        if let Some(path) = line.strip_prefix("--- a/") {
            old_path = Some(path.to_string());
        } else if let Some(path) = line.strip_prefix("+++ b/") {
            new_path = Some(path.to_string());
        } else if let Some(path) = line.strip_prefix("rename from ").or(line.strip_prefix("copy from ")) {
            old_path = Some(path.to_string());
        } else if let Some(path) = line.strip_prefix("rename to ").or(line.strip_prefix("copy to ")) {
            new_path = Some(path.to_string());
        } else if let Some(range) = line.strip_prefix("index ") {
            let range = range.split(' ').next().unwrap_or_default();
            if let Some((old, new)) = range.split_once("..") {
                (old_blob, new_blob) = (old.to_string(), new.to_string());
            }
        } else if let Some(names) = line.strip_prefix("Binary files ") {
            // `Binary files a/x and b/y differ` (or `/dev/null` on one side).
            let names = names.trim_end_matches(" differ");
            if let Some((old, new)) = names.split_once(" and ") {
                old_path = old_path.or(old.strip_prefix("a/").map(str::to_string));
                new_path = new_path.or(new.strip_prefix("b/").map(str::to_string));
            }
        }
    }
    let header = &lines[..hunks_start.unwrap_or(lines.len())];
    let has = |prefix: &str| header.iter().any(|l| l.starts_with(prefix));
    let status = if has("new file mode") {
        "added"
    } else if has("deleted file mode") {
        "removed"
    } else if has("rename from ") {
        "renamed"
    } else if has("copy from ") {
        "copied"
    } else if has("old mode") && hunks_start.is_none() {
        "changed"
    } else {
        "modified"
    };
    let header_path = || lines.first()?.strip_prefix("diff --git a/")?.split(" b/").next().map(str::to_string);
    let filename = new_path.clone().or(old_path.clone()).or_else(header_path)?;
    let previous_filename = old_path.filter(|old| *old != filename && matches!(status, "renamed" | "copied"));
    let hunks = hunks_start.map(|start| &lines[start..]).unwrap_or_default();
    let additions = hunks.iter().filter(|l| l.starts_with('+')).count() as u64;
    let deletions = hunks.iter().filter(|l| l.starts_with('-')).count() as u64;
    let zero = |sha: &str| sha.bytes().all(|b| b == b'0');
    let blob_sha = if zero(&new_blob) { old_blob } else { new_blob };
    let patch = (!hunks.is_empty()).then(|| hunks.join("\n"));
    Some(FileDiff { filename, previous_filename, status, blob_sha, additions, deletions, patch })
}

/// Where a review comment lands in a file's patch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Lines below the first `@@` (GitHub's `position`: the first line after it is 1, later `@@`
    /// lines count too).
    pub position: u64,
    /// The hunk from its `@@` line down to the commented line (GitHub's `diff_hunk`).
    pub diff_hunk: String,
    /// Which hunk (from 0) the line is in.
    pub hunk: usize,
}

/// Finds `line` of `side` (`RIGHT`: the head's numbering, for added and context lines; `LEFT`:
/// the base's, for removed and context lines) in `patch`. `None` when the line is not part of
/// the diff, which GitHub refuses (see `rest/reviews.rs`).
pub(crate) fn anchor(patch: &str, side: &str, line: u64) -> Option<Anchor> {
    let (mut old, mut new) = (0u64, 0u64);
    let (mut hunk, mut hunk_start) = (None::<usize>, 0usize);
    let lines: Vec<&str> = patch.lines().collect();
    for (index, text) in lines.iter().enumerate() {
        if text.starts_with("@@") {
            (old, new) = hunk_starts(text)?;
            hunk = Some(hunk.map_or(0, |h| h + 1));
            hunk_start = index;
            continue;
        }
        let (on_left, on_right) = match text.chars().next() {
            Some('+') => (false, true),
            Some('-') => (true, false),
            Some('\\') => continue,
            _ => (true, true),
        };
        let found = (side == "LEFT" && on_left && old == line) || (side == "RIGHT" && on_right && new == line);
        if found {
            let diff_hunk = lines[hunk_start..=index].join("\n");
            return Some(Anchor { position: index as u64, diff_hunk, hunk: hunk? });
        }
        old += u64::from(on_left);
        new += u64::from(on_right);
    }
    None
}

/// The first old and new line numbers of `@@ -a,b +c,d @@`.
fn hunk_starts(header: &str) -> Option<(u64, u64)> {
    let mut fields = header.split(' ').skip(1);
    let start =
        |field: Option<&str>, sign: char| -> Option<u64> { field?.strip_prefix(sign)?.split(',').next()?.parse().ok() };
    Some((start(fields.next(), '-')?, start(fields.next(), '+')?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "@@ -1,3 +1,4 @@\n one\n-two\n+deux\n+trois\n three\n@@ -10,2 +11,2 @@\n ten\n-eleven\n+onze";

    #[test]
    fn anchors_count_positions_across_hunks() {
        let deux = anchor(PATCH, "RIGHT", 2).unwrap();
        assert_eq!((deux.position, deux.hunk), (3, 0));
        assert_eq!(deux.diff_hunk, "@@ -1,3 +1,4 @@\n one\n-two\n+deux");
        assert_eq!(anchor(PATCH, "LEFT", 2).unwrap().position, 2);
        assert_eq!(anchor(PATCH, "RIGHT", 4).unwrap().position, 5);
        let onze = anchor(PATCH, "RIGHT", 12).unwrap();
        assert_eq!((onze.position, onze.hunk), (9, 1));
        assert_eq!(anchor(PATCH, "LEFT", 11).unwrap().position, 8);
    }

    #[test]
    fn lines_outside_the_hunks_have_no_anchor() {
        assert_eq!(anchor(PATCH, "RIGHT", 7), None);
        assert_eq!(anchor(PATCH, "LEFT", 4), None);
        assert_eq!(anchor(PATCH, "RIGHT", 0), None);
    }

    #[test]
    fn sections_give_names_statuses_and_counts() {
        let diff = "diff --git a/old.txt b/new.txt\nsimilarity index 90%\nrename from old.txt\nrename to new.txt\n\
                    index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n\
                    --- a/old.txt\n+++ b/new.txt\n@@ -1 +1 @@\n-a\n+b\n\
                    diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n\
                    index 3333333333333333333333333333333333333333..0000000000000000000000000000000000000000\n\
                    --- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x";
        let files: Vec<FileDiff> = split_sections(diff).into_iter().filter_map(parse_section).collect();
        assert_eq!(files.len(), 2);
        assert_eq!((files[0].filename.as_str(), files[0].status), ("new.txt", "renamed"));
        assert_eq!(files[0].previous_filename.as_deref(), Some("old.txt"));
        assert_eq!((files[0].additions, files[0].deletions), (1, 1));
        assert_eq!(files[0].patch.as_deref(), Some("@@ -1 +1 @@\n-a\n+b"));
        assert_eq!((files[1].filename.as_str(), files[1].status), ("gone.txt", "removed"));
        assert_eq!(files[1].blob_sha, "3333333333333333333333333333333333333333");
        assert_eq!((files[1].additions, files[1].deletions), (0, 1));
    }
}
