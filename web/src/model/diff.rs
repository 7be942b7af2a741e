//! Unified diffs, line by line: what each line is (added, removed, context, hunk header, file
//! header) and its numbers in the old and new file, so the view can colour and number it.

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `diff --git`, `index`, `---`, `+++`, `new file mode`, …
    FileHeader,
    /// `@@ -1,3 +1,4 @@ …`
    Hunk,
    Added,
    Removed,
    Context,
    /// `\ No newline at end of file`
    Note,
}

impl LineKind {
    /// The CSS class of a line of this kind.
    pub fn class(self) -> &'static str {
        match self {
            LineKind::FileHeader => "diff-file",
            LineKind::Hunk => "diff-hunk",
            LineKind::Added => "diff-add",
            LineKind::Removed => "diff-del",
            LineKind::Context => "diff-ctx",
            LineKind::Note => "diff-note",
        }
    }

    /// The sign shown for screen readers, who do not see the colour.
    pub fn spoken(self) -> &'static str {
        match self {
            LineKind::Added => "added",
            LineKind::Removed => "removed",
            _ => "",
        }
    }
}

/// One line of a diff, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub text: String,
    /// The line's number in the old file (removed and context lines).
    pub old: Option<u32>,
    /// The line's number in the new file (added and context lines).
    pub new: Option<u32>,
}

/// Splits a unified diff into numbered, classified lines.
pub fn diff_lines(patch: &str) -> Vec<DiffLine> {
    let mut out = Vec::new();
    let (mut old, mut new) = (0u32, 0u32);
    let mut in_hunk = false;
    for text in patch.lines() {
        let kind = if text.starts_with("@@") {
            if let Some((o, n)) = hunk_starts(text) {
                old = o;
                new = n;
            }
            in_hunk = true;
            LineKind::Hunk
        } else if text.starts_with("diff --git") {
            in_hunk = false;
            LineKind::FileHeader
        } else if !in_hunk {
            LineKind::FileHeader
        } else if text.starts_with('+') {
            LineKind::Added
        } else if text.starts_with('-') {
            LineKind::Removed
        } else if text.starts_with('\\') {
            LineKind::Note
        } else {
            LineKind::Context
        };
        let (o, n) = match kind {
            LineKind::Added => (None, Some(next(&mut new))),
            LineKind::Removed => (Some(next(&mut old)), None),
            LineKind::Context => (Some(next(&mut old)), Some(next(&mut new))),
            _ => (None, None),
        };
        out.push(DiffLine { kind, text: text.to_string(), old: o, new: n });
    }
    out
}

fn next(counter: &mut u32) -> u32 {
    let n = *counter;
    *counter += 1;
    n
}

/// The first old and new line numbers of a hunk header `@@ -a[,b] +c[,d] @@`.
fn hunk_starts(header: &str) -> Option<(u32, u32)> {
    let mut words = header.split_whitespace().skip(1);
    let old = words.next()?.strip_prefix('-')?;
    let new = words.next()?.strip_prefix('+')?;
    let start = |range: &str| range.split(',').next()?.parse::<u32>().ok();
    Some((start(old)?, start(new)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/a.txt b/a.txt\nindex 1..2 100644\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n\\ No newline at end of file\n";

    #[test]
    fn classifies_and_numbers_each_line() {
        let lines = diff_lines(PATCH);
        let kinds: Vec<LineKind> = lines.iter().map(|l| l.kind).collect();
        use LineKind::*;
        assert_eq!(
            kinds,
            [FileHeader, FileHeader, FileHeader, FileHeader, Hunk, Context, Removed, Added, Context, Note]
        );
        // `--- a/a.txt` is a header, not a removed line.
        assert_eq!(lines[2].old, None);
        assert_eq!((lines[5].old, lines[5].new), (Some(1), Some(1)));
        assert_eq!((lines[6].old, lines[6].new), (Some(2), None));
        assert_eq!((lines[7].old, lines[7].new), (None, Some(2)));
        assert_eq!((lines[8].old, lines[8].new), (Some(3), Some(3)));
    }

    #[test]
    fn a_new_file_counts_from_its_hunk() {
        let lines = diff_lines("--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1 @@\n+hi\n");
        assert_eq!(lines[3].kind, LineKind::Added);
        assert_eq!(lines[3].new, Some(1));
        assert_eq!(LineKind::Added.class(), "diff-add");
        assert_eq!(LineKind::Removed.spoken(), "removed");
    }

    #[test]
    fn a_malformed_hunk_header_keeps_going() {
        let lines = diff_lines("@@ nonsense @@\n+x\n");
        assert_eq!(lines[1].kind, LineKind::Added);
    }
}
