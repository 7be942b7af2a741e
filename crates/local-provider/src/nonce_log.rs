//! The durable half of the replay check: every accepted nonce is appended to
//! `<root>/nonces.log` (mode 0600) before its request is served, so a provider restarted on the
//! same root still rejects a request captured within the ±5 minute window.
//!
//! The log is one line per nonce, `<ts> <nonce>\n`, where `ts` is the request's own timestamp.
//! At start the in-window lines are loaded and the file is rewritten with only them; the same
//! compaction runs when the file grows past [`MAX_LOG_LINES`] lines (and past twice the live
//! entries, so a busy provider does not compact on every request). A line that does not parse
//! (a torn last write, corruption) is skipped.
//!
//! The pure parts ([`parse_line`], [`format_line`], [`live_entries`], [`should_compact`]) are
//! plain functions; [`NonceStore`] does the I/O around an [`auth::NonceCache`](NonceCache).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::auth::{in_window, NonceCache};

/// The log's name under the provider's root.
pub const NONCE_LOG: &str = "nonces.log";

/// The log is compacted once it has more lines than this (and more than twice the live ones).
pub const MAX_LOG_LINES: usize = 10_000;

/// The log file's mode: it is nobody else's business which requests were made.
const MODE: u32 = 0o600;

/// `<root>/nonces.log`.
pub fn log_path(root: &Path) -> PathBuf {
    root.join(NONCE_LOG)
}

/// A nonce as [`oi_protocol::signing::verify`] accepts it: 1 to 64 hex digits.
fn is_nonce(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One log line (without its newline) as `(ts, nonce)`; `None` for anything else.
pub fn parse_line(line: &str) -> Option<(i64, &str)> {
    let (ts, nonce) = line.split_once(' ')?;
    let ts_ok = !ts.is_empty() && ts.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
    if !ts_ok || !is_nonce(nonce) {
        return None;
    }
    Some((ts.parse().ok()?, nonce))
}

/// The line recording `nonce` (already checked by the verifier), newline included.
pub fn format_line(ts: i64, nonce: &str) -> String {
    format!("{ts} {nonce}\n")
}

/// The entries of a log's text still inside the window at `now_ms`, in file order, and how many
/// lines the text had. Only complete lines count: a last line without its newline is a torn
/// write and is skipped, as is any line that does not parse.
pub fn live_entries(text: &str, now_ms: i64) -> (Vec<(i64, &str)>, usize) {
    let complete = text.rfind('\n').map_or("", |end| &text[..=end]);
    let mut lines = 0;
    let live = complete
        .split_terminator('\n')
        .inspect(|_| lines += 1)
        .filter_map(parse_line)
        .filter(|&(ts, _)| in_window(ts, now_ms))
        .collect();
    (live, lines)
}

/// Whether a log of `lines` lines, `live` of them still needed, should be rewritten.
pub fn should_compact(lines: usize, live: usize, bound: usize) -> bool {
    lines > bound && lines > 2 * live
}

/// The replay check's nonces, in memory and in `<root>/nonces.log`.
///
/// When the log cannot be opened or written, [`NonceStore::check_and_insert`] fails (the caller
/// rejects the request: fail closed) and the next call tries to open it again.
#[derive(Debug)]
pub struct NonceStore {
    cache: NonceCache,
    path: PathBuf,
    /// The log, open for appending; `None` until it could be (re)opened.
    file: Option<File>,
    /// Lines in the log.
    lines: usize,
    /// No compaction before the log has this many lines (raised after a failed one).
    compact_at: usize,
    bound: usize,
}

impl NonceStore {
    /// The store of `<root>/nonces.log`, loaded and compacted. A log that cannot be opened is
    /// reported here and retried on the first request.
    pub fn open(root: &Path, now_ms: i64) -> Self {
        Self::open_with_bound(root, now_ms, MAX_LOG_LINES)
    }

    /// [`NonceStore::open`] compacting past `bound` lines instead of [`MAX_LOG_LINES`].
    pub fn open_with_bound(root: &Path, now_ms: i64, bound: usize) -> Self {
        let mut store =
            Self { cache: NonceCache::default(), path: log_path(root), file: None, lines: 0, compact_at: bound, bound };
        match store.reopen(now_ms) {
            Ok(()) => tracing::info!(path = %store.path.display(), live = store.cache.len(), "nonce log loaded"),
            Err(e) => tracing::error!("{e}; signed requests are refused until it can be opened"),
        }
        store
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Nonces remembered (after the last prune).
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Lines in the log file.
    pub fn log_lines(&self) -> usize {
        self.lines
    }

    /// [`NonceCache::check_and_insert`], with a new nonce appended to the log before this
    /// returns `Ok(true)`. `Err` when the log cannot be written: the nonce is still remembered in
    /// memory (and written with the next compaction), but the request must not be served.
    pub fn check_and_insert(&mut self, nonce: &str, ts: i64, now_ms: i64) -> Result<bool, String> {
        if self.file.is_none() {
            self.reopen(now_ms)?;
        }
        if !self.cache.check_and_insert(nonce, ts, now_ms) {
            return Ok(false);
        }
        if let Err(e) = self.append(&format_line(ts, nonce)) {
            // Start over from the file on the next request: it may have been replaced or lost.
            self.file = None;
            return Err(format!("cannot write the nonce log {}: {e}", self.path.display()));
        }
        self.lines += 1;
        if self.lines >= self.compact_at && should_compact(self.lines, self.cache.len(), self.bound) {
            if let Err(e) = self.compact(now_ms) {
                tracing::warn!("{e}; retried after {} more lines", self.bound);
                self.compact_at = self.lines + self.bound;
            }
        }
        Ok(true)
    }

    fn append(&mut self, line: &str) -> std::io::Result<()> {
        let file = self.file.as_mut().ok_or_else(|| std::io::Error::other("the log is not open"))?;
        file.write_all(line.as_bytes())?;
        file.flush()
    }

    /// Loads the log's in-window entries (on top of those in memory) and compacts it.
    fn reopen(&mut self, now_ms: i64) -> Result<(), String> {
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read the nonce log {}: {e}", self.path.display())),
        };
        let (live, lines) = live_entries(&text, now_ms);
        if lines > live.len() {
            tracing::info!(dropped = lines - live.len(), "stale or unreadable lines dropped from the nonce log");
        }
        for (ts, nonce) in live {
            self.cache.check_and_insert(nonce, ts, now_ms);
        }
        self.compact(now_ms)
    }

    /// Rewrites the log with the nonces in memory still inside the window (through a temporary
    /// file renamed over it) and reopens it for appending.
    fn compact(&mut self, now_ms: i64) -> Result<(), String> {
        let fail = |what: &str, path: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", path.display());
        self.cache.prune(now_ms);
        let mut entries: Vec<(i64, &str)> = self.cache.entries().collect();
        entries.sort_unstable();
        let text: String = entries.iter().map(|&(ts, nonce)| format_line(ts, nonce)).collect();
        let tmp = self.path.with_extension("log.tmp");
        let written = write_private(&tmp, &text);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail("write the nonce log", &tmp, e));
        }
        // From here on the old handle names a replaced file.
        self.file = None;
        std::fs::rename(&tmp, &self.path).map_err(|e| fail("replace the nonce log", &self.path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(MODE)
            .open(&self.path)
            .map_err(|e| fail("open the nonce log", &self.path, e))?;
        self.file = Some(file);
        self.lines = entries.len();
        self.compact_at = self.bound;
        Ok(())
    }
}

/// Writes `text` to `path` (created or truncated) with mode 0600, to the disk.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(MODE).open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(MODE))?;
    f.write_all(text.as_bytes())?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::signing::MAX_SKEW_MS;

    const NOW: i64 = 1_795_455_544_882;

    #[test]
    fn lines_parse_only_when_well_formed() {
        assert_eq!(parse_line("1795455544882 00ff"), Some((1_795_455_544_882, "00ff")));
        assert_eq!(parse_line(format_line(-5, "AbC").trim_end()), Some((-5, "AbC")));
        assert_eq!(format_line(7, "ab"), "7 ab\n");
        let long = "a".repeat(65);
        for bad in [
            "",
            "1795455544882",
            "1795455544882 ",
            " 00ff",
            "1795455544882 00ff extra",
            "1795455544882  00ff",
            "17954x5544882 00ff",
            "+1 00ff",
            "1 xyz",
            "99999999999999999999999 00ff",
            &format!("1 {long}"),
        ] {
            assert_eq!(parse_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_complete_in_window_lines_are_live() {
        let stale = NOW - MAX_SKEW_MS - 1;
        let future = NOW + MAX_SKEW_MS;
        let text = format!("{NOW} aa\ngarbage\n{stale} bb\n{future} cc\n\n{} dd\n{NOW} e", NOW - MAX_SKEW_MS);
        let (live, lines) = live_entries(&text, NOW);
        assert_eq!(live, vec![(NOW, "aa"), (future, "cc"), (NOW - MAX_SKEW_MS, "dd")]);
        assert_eq!(lines, 6, "the torn last line is not one");
        assert_eq!(live_entries("", NOW), (vec![], 0));
        assert_eq!(live_entries("12345 a", NOW), (vec![], 0), "a lone torn line");
        assert_eq!(live_entries(&format!("{NOW} aa\n"), NOW), (vec![(NOW, "aa")], 1));
    }

    #[test]
    fn compaction_waits_for_the_bound_and_for_dead_lines() {
        assert!(!should_compact(10_000, 0, MAX_LOG_LINES));
        assert!(should_compact(10_001, 0, MAX_LOG_LINES));
        assert!(should_compact(10_001, 5_000, MAX_LOG_LINES));
        assert!(!should_compact(10_001, 5_001, MAX_LOG_LINES), "mostly live: rewriting would gain little");
        assert!(should_compact(30_001, 15_000, MAX_LOG_LINES));
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn nonces_survive_a_reopen_and_the_log_is_private() {
        let root = tempfile::tempdir().unwrap();
        let mut store = NonceStore::open(root.path(), NOW);
        assert!(store.check_and_insert("ab", NOW, NOW).unwrap());
        assert!(!store.check_and_insert("ab", NOW, NOW + 1).unwrap());
        assert!(store.check_and_insert("cd", NOW - 1000, NOW + 2).unwrap());
        let path = root.path().join(NONCE_LOG);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{NOW} ab\n{} cd\n", NOW - 1000));
        drop(store);

        let mut again = NonceStore::open(root.path(), NOW + 10);
        assert_eq!(again.len(), 2);
        assert!(!again.check_and_insert("ab", NOW, NOW + 20).unwrap(), "a replay after a restart");
        assert!(!again.check_and_insert("cd", NOW - 1000, NOW + 20).unwrap());
        assert!(again.check_and_insert("ef", NOW + 20, NOW + 20).unwrap());
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn opening_drops_stale_torn_and_corrupt_lines() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join(NONCE_LOG);
        let stale = NOW - MAX_SKEW_MS - 1;
        std::fs::write(&path, format!("{stale} aa\n{NOW} bb\nnot a line\n{NOW} bb\n{NOW} cc\n{NOW} d")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut store = NonceStore::open(root.path(), NOW);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{NOW} bb\n{NOW} cc\n"));
        assert_eq!((store.len(), store.log_lines()), (2, 2));
        assert_eq!(mode(&path), 0o600, "rewritten private");
        assert!(!root.path().join("nonces.log.tmp").exists());
        // The torn nonce was never served; the stale one would fail the timestamp check anyway.
        assert!(store.check_and_insert("d", NOW, NOW).unwrap());
        assert!(store.check_and_insert("aa", NOW, NOW).unwrap());
        assert!(!store.check_and_insert("bb", NOW, NOW).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{NOW} bb\n{NOW} cc\n{NOW} d\n{NOW} aa\n"));
    }

    #[test]
    fn the_log_is_compacted_past_its_bound() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join(NONCE_LOG);
        let mut store = NonceStore::open_with_bound(root.path(), NOW, 10);
        // Ten nonces, then time moves past their window: the next ones make them dead lines.
        for i in 0..10 {
            assert!(store.check_and_insert(&format!("a{i}"), NOW, NOW).unwrap());
        }
        assert_eq!(store.log_lines(), 10);
        let later = NOW + MAX_SKEW_MS + 1;
        assert!(store.check_and_insert("b0", later, later).unwrap());
        assert_eq!(store.log_lines(), 1, "11 lines, 1 live: compacted");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{later} b0\n"));
        assert_eq!(mode(&path), 0o600);
        // Appending goes on into the new file.
        assert!(store.check_and_insert("b1", later, later).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{later} b0\n{later} b1\n"));
        assert!(!store.check_and_insert("b0", later, later).unwrap());
        // All live: no rewrite on every request.
        for i in 2..30 {
            assert!(store.check_and_insert(&format!("b{i}"), later, later).unwrap());
        }
        assert_eq!(store.log_lines(), 30);
    }

    #[test]
    fn a_log_that_cannot_be_opened_refuses_and_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("not-yet");
        let mut store = NonceStore::open(&root, NOW);
        let err = store.check_and_insert("ab", NOW, NOW).unwrap_err();
        assert!(err.contains("nonce log") && err.contains("not-yet"), "{err}");
        std::fs::create_dir(&root).unwrap();
        assert!(store.check_and_insert("ab", NOW, NOW).unwrap(), "retried once the directory exists");
        assert!(!store.check_and_insert("ab", NOW, NOW).unwrap());
        assert_eq!(std::fs::read_to_string(root.join(NONCE_LOG)).unwrap(), format!("{NOW} ab\n"));
    }
}
