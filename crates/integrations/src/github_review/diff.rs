//! A pull request's diff, from its files as `pulls/list-files` lists them (`filename`,
//! `status`, `previous_filename`, and `patch`: the file's unified-diff hunks): the text the
//! agent reads, and which lines take inline review comments.
//!
//! Invariant: a line takes a comment only when a hunk of its file shows it on that side: `LEFT`
//! lines are the base's (context and removed), `RIGHT` the head's (context and added). A file
//! without a patch (binary, or too large for GitHub to show) takes none.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use oi_protocol::review::DiffSide;
use serde::Deserialize;

/// One file of `pulls/list-files` (the fields used).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiffEntry {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`.
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
    #[serde(default)]
    pub patch: Option<String>,
}

/// The pull request's files as one unified diff (`--- a/…` / `+++ b/…` headers, then each
/// file's hunks; a file without a patch says so).
pub fn unified_diff(files: &[DiffEntry]) -> String {
    let mut out = String::new();
    for file in files {
        let old = file.previous_filename.as_deref().unwrap_or(&file.filename);
        let old = if file.status == "added" { "/dev/null".to_string() } else { format!("a/{old}") };
        let new = if file.status == "removed" { "/dev/null".to_string() } else { format!("b/{}", file.filename) };
        out.push_str(&format!("--- {old}\n+++ {new}\n"));
        match file.patch.as_deref().filter(|p| !p.is_empty()) {
            Some(patch) => {
                out.push_str(patch);
                if !patch.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(&format!("(no patch: {} is binary or too large to show)\n", file.filename)),
        }
    }
    out
}

/// The lines one hunk shows, per side (each side's lines are consecutive).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hunk {
    left: Option<RangeInclusive<u64>>,
    right: Option<RangeInclusive<u64>>,
}

impl Hunk {
    fn side(&self, side: DiffSide) -> Option<&RangeInclusive<u64>> {
        match side {
            DiffSide::Left => self.left.as_ref(),
            DiffSide::Right => self.right.as_ref(),
        }
    }
}

/// The lines of a pull request's diff that take inline comments, by file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentableLines {
    files: BTreeMap<String, Vec<Hunk>>,
}

impl CommentableLines {
    pub fn from_files(files: &[DiffEntry]) -> Self {
        let files =
            files.iter().map(|f| (f.filename.clone(), f.patch.as_deref().map(hunks).unwrap_or_default())).collect();
        CommentableLines { files }
    }

    /// Whether `start..=line` (one line when `start` is `None`) on `side` of `path` lies in one
    /// hunk, as GitHub requires of a comment (a range must not span hunks).
    pub fn contains(&self, path: &str, side: DiffSide, start: Option<u64>, line: u64) -> bool {
        let start = start.unwrap_or(line);
        start <= line
            && self.files.get(path).is_some_and(|hunks| {
                hunks.iter().filter_map(|h| h.side(side)).any(|r| r.contains(&start) && r.contains(&line))
            })
    }
}

/// `@@ -a[,b] +c[,d] @@`: the first line of each side.
fn hunk_starts(header: &str) -> Option<(u64, u64)> {
    let ranges = header.strip_prefix("@@ ")?.split(" @@").next()?;
    let (old, new) = ranges.split_once(' ')?;
    let first = |r: &str, sign: char| -> Option<u64> { r.strip_prefix(sign)?.split(',').next()?.parse().ok() };
    Some((first(old, '-')?, first(new, '+')?))
}

/// The hunks of a file's patch, counting the lines each really shows (a patch GitHub cut short
/// shows fewer than its header says).
fn hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks = Vec::new();
    // The current hunk: the next line on each side, and the first.
    let mut current: Option<(u64, u64, u64, u64)> = None;
    let close = |current: Option<(u64, u64, u64, u64)>, hunks: &mut Vec<Hunk>| {
        if let Some((left_first, left_next, right_first, right_next)) = current {
            let span = |first: u64, next: u64| (next > first).then(|| first..=next - 1);
            hunks.push(Hunk { left: span(left_first, left_next), right: span(right_first, right_next) });
        }
    };
    for line in patch.lines() {
        if line.starts_with("@@") {
            close(current.take(), &mut hunks);
            current = hunk_starts(line).map(|(old, new)| (old, old, new, new));
            continue;
        }
        let Some((_, left, _, right)) = current.as_mut() else { continue };
        match line.chars().next() {
            Some('+') => *right += 1,
            Some('-') => *left += 1,
            Some('\\') => {}
            // Context (an empty line is a context line whose space was trimmed).
            _ => {
                *left += 1;
                *right += 1;
            }
        }
    }
    close(current, &mut hunks);
    hunks
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
