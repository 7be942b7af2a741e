//! Splitting `git diff` output into per-file changes for the `commit` event. Pure.

use oi_protocol::events::{FileChange, FileChangeKind};

/// The longest patch kept per file, and for a whole commit.
pub const MAX_FILE_PATCH: usize = 64 * 1024;
pub const MAX_TOTAL_PATCH: usize = 512 * 1024;

/// Parses `git diff --numstat -z`-free plain `--numstat` lines (`ins\tdel\tpath`) and the
/// matching full patch (`git diff -M`), in the same order, into file changes.
pub fn file_changes(numstat: &str, patch: &str) -> Vec<FileChange> {
    let sections = split_sections(patch);
    let mut total = 0usize;
    numstat
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let mut cols = line.splitn(3, '\t');
            let ins = cols.next().and_then(|n| n.parse().ok());
            let del = cols.next().and_then(|n| n.parse().ok());
            let raw_path = cols.next().unwrap_or_default();
            let section = sections.get(i).map(String::as_str).unwrap_or_default();
            let kind = if section.contains("\nnew file mode") {
                FileChangeKind::Added
            } else if section.contains("\ndeleted file mode") {
                FileChangeKind::Deleted
            } else if section.contains("\nrename from ") {
                FileChangeKind::Renamed
            } else {
                FileChangeKind::Modified
            };
            let binary = ins.is_none() && del.is_none();
            let (patch, truncated) = if binary || section.is_empty() {
                (None, false)
            } else if section.len() > MAX_FILE_PATCH || total + section.len() > MAX_TOTAL_PATCH {
                let room = MAX_FILE_PATCH.min(MAX_TOTAL_PATCH.saturating_sub(total));
                let mut cut = room.min(section.len());
                while !section.is_char_boundary(cut) {
                    cut -= 1;
                }
                total += cut;
                ((cut > 0).then(|| section[..cut].to_string()), true)
            } else {
                total += section.len();
                (Some(section.to_string()), false)
            };
            FileChange {
                path: renamed_target(raw_path),
                kind,
                insertions: ins.unwrap_or(0),
                deletions: del.unwrap_or(0),
                patch,
                truncated,
            }
        })
        .collect()
}

/// `old => new` and `dir/{a => b}/f` (numstat's rename forms) → the new path.
fn renamed_target(path: &str) -> String {
    if let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
        let inner = &path[open + 1..close];
        if let Some((_, new)) = inner.split_once(" => ") {
            return format!("{}{}{}", &path[..open], new, &path[close + 1..]).replace("//", "/");
        }
    }
    path.split_once(" => ").map(|(_, new)| new.to_string()).unwrap_or_else(|| path.to_string())
}

/// The `diff --git` sections of a patch, in order.
fn split_sections(patch: &str) -> Vec<String> {
    let mut sections: Vec<String> = vec![];
    for line in patch.split_inclusive('\n') {
        if line.starts_with("diff --git ") || sections.is_empty() {
            sections.push(String::new());
        }
        sections.last_mut().expect("pushed").push_str(line);
    }
    sections.retain(|s| s.starts_with("diff --git "));
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/hello.txt b/hello.txt\nnew file mode 100644\nindex 0000000..45b983b\n--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1 @@\n+hi\ndiff --git a/README.md b/README.md\nindex 1..2 100644\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # app\n+more\ndiff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\ndiff --git a/logo.png b/logo.png\nnew file mode 100644\nBinary files /dev/null and b/logo.png differ\ndiff --git a/a.txt b/docs/a.txt\nsimilarity index 100%\nrename from a.txt\nrename to docs/a.txt\n";
    const NUMSTAT: &str =
        "1\t0\thello.txt\n1\t0\tREADME.md\n0\t1\told.txt\n-\t-\tlogo.png\n0\t0\ta.txt => docs/a.txt\n";

    #[test]
    fn splits_a_commit_per_file() {
        let files = file_changes(NUMSTAT, PATCH);
        let summary: Vec<(&str, FileChangeKind, u32, u32, bool)> =
            files.iter().map(|f| (f.path.as_str(), f.kind, f.insertions, f.deletions, f.patch.is_some())).collect();
        assert_eq!(
            summary,
            vec![
                ("hello.txt", FileChangeKind::Added, 1, 0, true),
                ("README.md", FileChangeKind::Modified, 1, 0, true),
                ("old.txt", FileChangeKind::Deleted, 0, 1, true),
                ("logo.png", FileChangeKind::Added, 0, 0, false),
                ("docs/a.txt", FileChangeKind::Renamed, 0, 0, true),
            ]
        );
        assert!(files[1].patch.as_deref().unwrap().ends_with("+more\n"));
        assert!(!files[1].patch.as_deref().unwrap().contains("old.txt"));
    }

    #[test]
    fn long_patches_are_cut() {
        let body: String = (0..20_000).map(|i| format!("+line {i}\n")).collect();
        let patch = format!(
            "diff --git a/big b/big\nnew file mode 100644\n--- /dev/null\n+++ b/big\n@@ -0,0 +1,20000 @@\n{body}"
        );
        let files = file_changes("20000\t0\tbig\n", &patch);
        assert!(files[0].truncated);
        assert_eq!(files[0].patch.as_ref().unwrap().len(), MAX_FILE_PATCH);
        assert_eq!(renamed_target("src/{a => b}/f.rs"), "src/b/f.rs");
    }
}
