//! Repo-image and warm-pool decisions: when to build an image, which to keep, how many pool
//! sandboxes to start.

use oi_protocol::provider::ImageStatus;

use crate::lifecycle::Millis;

/// How images are kept fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImagePolicy {
    /// Rebuild a repo's image this often while the repo is in use (30 min).
    pub rebuild_every: Millis,
    /// A repo is in use if a session on it was active this recently (24 h).
    pub recent_use: Millis,
    /// A build still `building` after this long is abandoned (1 h).
    pub build_timeout: Millis,
    /// Ready images kept per repo and branch (3).
    pub keep_ready: usize,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        Self { rebuild_every: 30 * 60_000, recent_use: 24 * 60 * 60_000, build_timeout: 60 * 60_000, keep_ready: 3 }
    }
}

/// The newest image of a repo and branch, as far as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Newest {
    pub status: ImageStatus,
    pub created_at: Millis,
}

/// Whether to start a build for a repo now.
pub fn should_build(newest: Option<Newest>, last_used: Option<Millis>, policy: &ImagePolicy, now: Millis) -> bool {
    let in_use = last_used.is_some_and(|t| now - t < policy.recent_use);
    if !in_use {
        return false;
    }
    match newest {
        None => true,
        Some(n) if n.status == ImageStatus::Building => now - n.created_at >= policy.build_timeout,
        // Ready, failed or deleted: again once it is old (a failure is not retried in a loop).
        Some(n) => now - n.created_at >= policy.rebuild_every,
    }
}

/// Of a repo's ready images (any order), the ids to delete: all but the newest `keep`.
pub fn to_prune(mut ready: Vec<(String, Millis)>, keep: usize) -> Vec<String> {
    ready.sort_by_key(|r| std::cmp::Reverse(r.1));
    ready.into_iter().skip(keep).map(|(id, _)| id).collect()
}

/// How many pool sandboxes to start so `warming` reaches `size`.
pub fn refill(size: u32, warming: u32) -> u32 {
    size.saturating_sub(warming)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 10_000_000_000;

    fn newest(status: ImageStatus, ago: Millis) -> Option<Newest> {
        Some(Newest { status, created_at: NOW - ago })
    }

    #[test]
    fn when_to_build() {
        let p = ImagePolicy::default();
        let used = Some(NOW - 60_000);
        let cases: Vec<(&str, Option<Newest>, Option<Millis>, bool)> = vec![
            ("never built, in use", None, used, true),
            ("not in use", None, Some(NOW - 2 * p.recent_use), false),
            ("never used", None, None, false),
            ("fresh ready image", newest(ImageStatus::Ready, 60_000), used, false),
            ("stale ready image", newest(ImageStatus::Ready, p.rebuild_every), used, true),
            ("a build runs", newest(ImageStatus::Building, 60_000), used, false),
            ("a build hangs", newest(ImageStatus::Building, p.build_timeout), used, true),
            ("a recent failure waits", newest(ImageStatus::Failed, 60_000), used, false),
            ("an old failure is retried", newest(ImageStatus::Failed, p.rebuild_every + 1), used, true),
        ];
        for (name, n, last, want) in cases {
            assert_eq!(should_build(n, last, &p, NOW), want, "{name}");
        }
    }

    #[test]
    fn pruning_and_refill() {
        let ready = vec![("a".into(), 1), ("d".into(), 4), ("b".into(), 2), ("c".into(), 3)];
        assert_eq!(to_prune(ready, 3), vec!["a".to_string()]);
        assert!(to_prune(vec![("a".into(), 1)], 3).is_empty());
        assert_eq!((refill(2, 0), refill(2, 2), refill(2, 5)), (2, 0, 0));
    }
}
