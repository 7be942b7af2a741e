//! Git in the workspace: bring the checkout up to date at boot, and commit and push each
//! prompt's work to the session branch with the prompting user as author.
//!
//! Invariant: the only ref ever pushed is [`Config::session_branch`] (`oi/<session>`, or the
//! work branch a provider set), and never with force: a push that is not a fast-forward of the
//! remote branch fails. A work branch must exist on the remote; its checkout starts at the
//! remote's tip, so every push of it is a fast-forward unless someone else moved it meanwhile.

use anyhow::{bail, Context, Result};
use oi_protocol::events::Commit;
use oi_protocol::source_control::{CommitAttribution, CommitPerson};
use oi_protocol::User;
use tokio::process::Command;

use crate::boot_plan::GitSync;
use crate::config::Config;
use crate::endpoints::Remote;

/// The committer of every commit (the author is the person who prompted).
pub const COMMITTER_NAME: &str = "Open Inspect";
pub const COMMITTER_EMAIL: &str = "agent@open-inspect.invalid";

/// The workspace's checkout and the remote it syncs with (the boot's
/// [`Endpoints::repo`](crate::endpoints::Endpoints::repo)).
#[derive(Debug, Clone, Copy)]
pub struct Checkout<'a> {
    pub config: &'a Config,
    pub remote: &'a Remote,
}

impl<'a> Checkout<'a> {
    pub fn new(config: &'a Config, remote: &'a Remote) -> Self {
        Self { config, remote }
    }

    /// A git command in the workspace, non-interactive, authenticated to the remote when the
    /// remote takes a token.
    fn git(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.config.workspace).env("GIT_TERMINAL_PROMPT", "0").kill_on_drop(true);
        if let Some(token) = &self.remote.bearer {
            // Scoped to the remote's URL, so the token goes nowhere else; not written to disk.
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", format!("http.{}.extraHeader", self.remote.url))
                .env("GIT_CONFIG_VALUE_0", format!("Authorization: Bearer {token}"));
        }
        cmd
    }

    /// Runs git in the workspace; returns stdout, or an error with git's own message.
    async fn run(&self, args: &[&str]) -> Result<String> {
        let out = self.git().args(args).output().await.with_context(|| format!("run git {}", args.join(" ")))?;
        if !out.status.success() {
            bail!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    async fn remote_branch_exists(&self, branch: &str) -> bool {
        self.run(&["rev-parse", "--verify", "--quiet", &format!("refs/remotes/origin/{branch}")]).await.is_ok()
    }

    /// Fetches the base branch and the session branch, from this sandbox's remote (a restored
    /// checkout still names the remote of the sandbox it came from). `oi/<session>` exists only
    /// after an earlier sandbox pushed it, so it is fetched if the remote has it; a work branch
    /// must be there. (The `+` only lets the remote-tracking refs follow the remote.)
    async fn fetch(&self) -> Result<()> {
        let config = self.config;
        self.run(&["remote", "set-url", "origin", &self.remote.url]).await?;
        let spec = |branch: &str| format!("+refs/heads/{branch}:refs/remotes/origin/{branch}");
        self.run(&["fetch", "--quiet", "origin", &spec(&config.branch)]).await?;
        match &config.work_branch {
            Some(work) if *work == config.branch => {}
            Some(work) => {
                self.run(&["fetch", "--quiet", "origin", &spec(work)])
                    .await
                    .with_context(|| format!("the work branch {work} is not on the remote"))?;
            }
            None => {
                let _ = self.run(&["fetch", "--quiet", "origin", &spec(&config.session_branch())]).await;
            }
        }
        Ok(())
    }

    /// Brings the checkout up to date for this boot; returns a line for the log.
    pub async fn sync(&self, how: GitSync) -> Result<String> {
        let ws = &self.config.workspace;
        let session = self.config.checkout_branch();
        if how == GitSync::KeepAndFetch && ws.join(".git").exists() {
            self.fetch().await?;
            let head = self.run(&["rev-parse", "--short", "HEAD"]).await?;
            return Ok(format!("kept the checkout at {} on {session}", head.trim()));
        }
        if !ws.join(".git").exists() {
            std::fs::create_dir_all(ws)?;
            self.run(&["init", "--quiet"]).await?;
            self.run(&["remote", "add", "origin", &self.remote.url]).await?;
        }
        self.fetch().await?;
        // Continue the session branch if an earlier sandbox pushed it (a work branch always
        // is there: `fetch` made sure), else start from the base.
        let start = if self.remote_branch_exists(&session).await {
            format!("origin/{session}")
        } else if self.config.work_branch.is_some() {
            bail!("the work branch {session} is not on the remote");
        } else {
            format!("origin/{}", self.config.branch)
        };
        self.run(&["checkout", "--quiet", "-B", &session, &start]).await?;
        self.run(&["reset", "--quiet", "--hard", &start]).await?;
        let head = self.run(&["rev-parse", "--short", "HEAD"]).await?;
        Ok(format!("checked out {session} at {} (from {start})", head.trim()))
    }

    /// The commit the checkout is at.
    pub async fn head(&self) -> Result<String> {
        Ok(self.run(&["rev-parse", "HEAD"]).await?.trim().to_string())
    }
}

/// `git diff --shortstat` → (files, insertions, deletions).
pub fn parse_shortstat(s: &str) -> (u32, u32, u32) {
    let mut out = (0, 0, 0);
    for part in s.split(',') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse().ok()), words.next()) else {
            continue;
        };
        if what.starts_with("file") {
            out.0 = n;
        } else if what.starts_with("insertion") {
            out.1 = n;
        } else if what.starts_with("deletion") {
            out.2 = n;
        }
    }
    out
}

/// The first line of a prompt, shortened, as a commit subject.
pub fn commit_subject(prompt: &str) -> String {
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Agent changes");
    if line.chars().count() > 72 {
        format!("{}…", line.chars().take(71).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Who a prompt's commit is by: what the control plane decided, else the prompting user as is.
pub fn attribution_or_author(attribution: Option<&CommitAttribution>, author: &User) -> CommitAttribution {
    attribution.cloned().unwrap_or_else(|| CommitAttribution {
        author: CommitPerson { name: author.name.clone(), email: author.email.clone() },
        trailers: vec![],
    })
}

/// The commit message: the prompt's first line, who prompted, then the co-author trailers.
pub fn commit_message(prompt: &str, attribution: &CommitAttribution, session_id: &str) -> String {
    let mut message = format!(
        "{}\n\nPrompted by {} in Open Inspect session {session_id}.",
        commit_subject(prompt),
        attribution.author.name
    );
    let trailers: Vec<&str> =
        attribution.trailers.iter().map(|t| t.trim()).filter(|t| !t.is_empty() && !t.contains('\n')).collect();
    if !trailers.is_empty() {
        message.push_str("\n\n");
        message.push_str(&trailers.join("\n"));
    }
    message
}

impl Checkout<'_> {
    /// Commits everything the prompt changed (author: the prompting user, with the session's
    /// other prompters as co-authors) and pushes the session branch. Failures are reported in
    /// the event, not raised: the work stays in the workspace.
    pub async fn commit_and_push(&self, message_id: &str, author: &CommitAttribution, prompt: &str) -> Commit {
        let branch = self.config.session_branch();
        let mut commit = Commit {
            message_id: message_id.to_string(),
            branch: branch.clone(),
            sha: None,
            author: Some(format!("{} <{}>", author.author.name, author.author.email)),
            files_changed: 0,
            insertions: 0,
            deletions: 0,
            files: vec![],
            pushed: false,
            error: None,
        };
        if let Err(e) = self.commit_inner(author, prompt, &mut commit).await {
            commit.error = Some(format!("{e:#}"));
        }
        commit
    }

    async fn commit_inner(&self, author: &CommitAttribution, prompt: &str, commit: &mut Commit) -> Result<()> {
        let before = self.run(&["rev-parse", "HEAD"]).await?.trim().to_string();
        self.run(&["add", "-A"]).await?;
        let staged = !self.git().args(["diff", "--cached", "--quiet"]).status().await?.success();
        if staged {
            let message = commit_message(prompt, author, &self.config.session_id);
            let out = self
                .git()
                .args(["commit", "--quiet", "--no-verify", "-m", &message])
                .env("GIT_AUTHOR_NAME", &author.author.name)
                .env("GIT_AUTHOR_EMAIL", &author.author.email)
                .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
                .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
                .output()
                .await?;
            if !out.status.success() {
                bail!("git commit failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
        let head = self.run(&["rev-parse", "HEAD"]).await?.trim().to_string();
        // Commits not yet on the remote: this prompt's, and any the agent made itself.
        let pushed = if self.remote_branch_exists(&commit.branch).await {
            format!("origin/{}", commit.branch)
        } else {
            format!("origin/{}", self.config.branch)
        };
        let ahead = self.run(&["rev-list", "--count", &format!("{pushed}..HEAD")]).await?;
        if ahead.trim() == "0" {
            return Ok(()); // Nothing new; nothing to push.
        }
        commit.sha = Some(head.clone());
        if head != before {
            let stat = self.run(&["diff", "--shortstat", &before, &head]).await?;
            (commit.files_changed, commit.insertions, commit.deletions) = parse_shortstat(&stat);
            let numstat = self.run(&["diff", "--numstat", "-M", &before, &head]).await?;
            let patch = self.run(&["diff", "--no-color", "-M", &before, &head]).await?;
            commit.files = crate::diff::file_changes(&numstat, &patch);
        }
        // No `--force` and no `+`: git refuses to push what is not a fast-forward.
        let refspec = format!("HEAD:refs/heads/{}", commit.branch);
        self.run(&["push", "--quiet", "origin", &refspec]).await?;
        commit.pushed = true;
        Ok(())
    }
}

#[cfg(test)]
#[path = "git_work_branch_tests.rs"]
mod work_branch_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_the_prompter_and_lists_co_authors() {
        let user = User { id: "u1".into(), name: "Ada".into(), email: "ada@acme.test".into(), login: None };
        let plain = attribution_or_author(None, &user);
        assert_eq!(plain.author.email, "ada@acme.test");
        assert_eq!(
            commit_message("Fix the bug\nmore", &plain, "ses_1"),
            "Fix the bug\n\nPrompted by Ada in Open Inspect session ses_1."
        );
        let with = CommitAttribution {
            author: CommitPerson { name: "Ada".into(), email: "1+ada@users.noreply.github.com".into() },
            trailers: vec!["Co-authored-by: Grace <2+grace@users.noreply.github.com>".into(), "bad\nline".into()],
        };
        assert_eq!(
            commit_message("Fix", &with, "ses_1"),
            "Fix\n\nPrompted by Ada in Open Inspect session ses_1.\n\n\
             Co-authored-by: Grace <2+grace@users.noreply.github.com>"
        );
    }

    #[test]
    fn shortstat() {
        assert_eq!(parse_shortstat(" 1 file changed, 1 insertion(+)\n"), (1, 1, 0));
        assert_eq!(parse_shortstat(" 3 files changed, 10 insertions(+), 2 deletions(-)"), (3, 10, 2));
        assert_eq!(parse_shortstat(" 2 files changed, 5 deletions(-)"), (2, 0, 5));
        assert_eq!(parse_shortstat(""), (0, 0, 0));
    }

    #[test]
    fn subjects() {
        assert_eq!(commit_subject("\n  Create hello.txt \nand more"), "Create hello.txt");
        assert_eq!(commit_subject(""), "Agent changes");
        let long = "x".repeat(100);
        assert_eq!(commit_subject(&long).chars().count(), 72);
    }
}
