//! What the session page derives from the transcript and the state: the boot log, notices,
//! the queue, the artifacts (branch and commits) and the session's diff per file.

use oi_protocol::events::{Commit, EventBody, FileChangeKind, LogSource, NoticeLevel};
use oi_protocol::session::{PromptStatus, QueuedPrompt};
use oi_protocol::transcript::Transcript;
use oi_protocol::{SessionState, SessionStatus};

/// One line of boot output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub source: &'static str,
    pub line: String,
}

/// The sandbox's boot and supervisor output, oldest first.
pub fn boot_log(transcript: &Transcript) -> Vec<LogEntry> {
    transcript
        .activity
        .iter()
        .filter_map(|body| match body {
            EventBody::Log(l) => Some(LogEntry {
                source: match l.source {
                    LogSource::Git => "git",
                    LogSource::Setup => "setup",
                    LogSource::Start => "start",
                    LogSource::Agent => "agent",
                    LogSource::Supervisor => "supervisor",
                },
                line: l.line.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Something to tell everyone watching: a warning, an error, a sandbox message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeView {
    /// `info`, `warning` or `error` (a CSS modifier too).
    pub level: &'static str,
    pub message: String,
}

/// Notices, agent errors outside a prompt and sandbox failures, oldest first.
pub fn notices(transcript: &Transcript) -> Vec<NoticeView> {
    let level = |l: NoticeLevel| match l {
        NoticeLevel::Info => "info",
        NoticeLevel::Warning => "warning",
        NoticeLevel::Error => "error",
    };
    transcript
        .activity
        .iter()
        .filter_map(|body| match body {
            EventBody::Notice(n) => Some(NoticeView { level: level(n.level), message: n.message.clone() }),
            EventBody::AgentError(e) => Some(NoticeView { level: "error", message: e.message.clone() }),
            EventBody::SandboxStatus(s) if s.status == oi_protocol::SandboxStatus::Failed => Some(NoticeView {
                level: "error",
                message: s.message.clone().unwrap_or_else(|| "the sandbox failed".to_string()),
            }),
            _ => None,
        })
        .collect()
}

/// The running prompt (or the one being stopped), if any.
pub fn running_prompt(state: &SessionState) -> Option<&QueuedPrompt> {
    state.queue.iter().find(|p| matches!(p.status, PromptStatus::Processing | PromptStatus::Stopping))
}

/// Prompts waiting for their turn; each can be cancelled.
pub fn waiting_prompts(state: &SessionState) -> Vec<QueuedPrompt> {
    state.queue.iter().filter(|p| p.status == PromptStatus::Queued).cloned().collect()
}

/// Whether stop makes sense: something runs or waits for a sandbox.
pub fn can_stop(state: &SessionState) -> bool {
    running_prompt(state).is_some_and(|p| p.status == PromptStatus::Processing)
        || (state.summary.status == SessionStatus::Running && !state.queue.is_empty())
}

/// Every commit of the session, oldest first.
pub fn commits(transcript: &Transcript) -> Vec<Commit> {
    transcript.turns.iter().flat_map(|t| t.commits.iter().cloned()).collect()
}

/// The session branch, once a prompt committed (or tried to).
pub fn branch(transcript: &Transcript) -> Option<String> {
    commits(transcript).last().map(|c| c.branch.clone())
}

/// One file's part of one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    pub sha: Option<String>,
    pub patch: Option<String>,
    pub truncated: bool,
}

/// A file the session changed, over all its commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub kind: FileChangeKind,
    pub insertions: u32,
    pub deletions: u32,
    /// Its patch in each commit that touched it, oldest first.
    pub patches: Vec<FilePatch>,
}

/// The session's changes per file, in the order files were first changed.
pub fn session_diff(transcript: &Transcript) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    for commit in commits(transcript) {
        for change in &commit.files {
            let patch = FilePatch { sha: commit.sha.clone(), patch: change.patch.clone(), truncated: change.truncated };
            match files.iter_mut().find(|f| f.path == change.path) {
                Some(file) => {
                    // A file the session added stays "added" until it is deleted again.
                    if !(file.kind == FileChangeKind::Added && change.kind == FileChangeKind::Modified) {
                        file.kind = change.kind;
                    }
                    file.insertions += change.insertions;
                    file.deletions += change.deletions;
                    file.patches.push(patch);
                }
                None => files.push(FileDiff {
                    path: change.path.clone(),
                    kind: change.kind,
                    insertions: change.insertions,
                    deletions: change.deletions,
                    patches: vec![patch],
                }),
            }
        }
    }
    files
}

pub fn change_kind(kind: FileChangeKind) -> &'static str {
    match kind {
        FileChangeKind::Added => "added",
        FileChangeKind::Modified => "modified",
        FileChangeKind::Deleted => "deleted",
        FileChangeKind::Renamed => "renamed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{event, state, user};
    use oi_protocol::events::{FileChange, LogLine, Notice};
    use oi_protocol::transcript::transcript_of;

    fn commit(seq: u64, sha: &str, files: Vec<FileChange>) -> oi_protocol::SessionEvent {
        event(
            seq,
            EventBody::Commit(Commit {
                message_id: format!("msg_{seq}"),
                branch: "oi/ses_1".into(),
                sha: Some(sha.into()),
                author: Some("Ada <ada@local.invalid>".into()),
                files_changed: files.len() as u32,
                insertions: 1,
                deletions: 0,
                files,
                pushed: true,
                error: None,
            }),
        )
    }

    fn change(path: &str, kind: FileChangeKind, ins: u32) -> FileChange {
        FileChange {
            path: path.into(),
            kind,
            insertions: ins,
            deletions: 0,
            patch: Some(format!("+{path}\n")),
            truncated: false,
        }
    }

    #[test]
    fn the_session_diff_adds_up_commits_per_file() {
        let t = transcript_of(&[
            commit(
                1,
                "aaa",
                vec![change("a.txt", FileChangeKind::Added, 2), change("b.txt", FileChangeKind::Modified, 1)],
            ),
            commit(2, "bbb", vec![change("a.txt", FileChangeKind::Modified, 3)]),
        ])
        .unwrap();
        let diff = session_diff(&t);
        assert_eq!(diff.len(), 2);
        assert_eq!(diff[0].path, "a.txt");
        assert_eq!(diff[0].kind, FileChangeKind::Added);
        assert_eq!(diff[0].insertions, 5);
        assert_eq!(diff[0].patches.len(), 2);
        assert_eq!(diff[0].patches[1].sha.as_deref(), Some("bbb"));
        assert_eq!(branch(&t).as_deref(), Some("oi/ses_1"));
        assert_eq!(commits(&t).len(), 2);
    }

    #[test]
    fn logs_and_notices_come_from_activity() {
        let t = transcript_of(&[
            event(1, EventBody::Log(LogLine { source: LogSource::Setup, line: "npm install".into() })),
            event(2, EventBody::Notice(Notice { level: NoticeLevel::Warning, message: "OpenCode restarted".into() })),
        ])
        .unwrap();
        assert_eq!(boot_log(&t), vec![LogEntry { source: "setup", line: "npm install".into() }]);
        assert_eq!(notices(&t)[0].level, "warning");
    }

    #[test]
    fn the_queue_splits_running_and_waiting() {
        let prompt = |id: &str, status| QueuedPrompt {
            message_id: id.into(),
            client_request_id: id.into(),
            text: "x".into(),
            author: user("ada"),
            status,
            position: 0,
            created_at: 0,
        };
        let mut s = state();
        assert!(!can_stop(&s));
        s.summary.status = SessionStatus::Running;
        s.queue = vec![prompt("a", PromptStatus::Processing), prompt("b", PromptStatus::Queued)];
        assert_eq!(running_prompt(&s).unwrap().message_id, "a");
        assert_eq!(waiting_prompts(&s).len(), 1);
        assert!(can_stop(&s));
        s.queue[0].status = PromptStatus::Stopping;
        assert_eq!(running_prompt(&s).unwrap().message_id, "a");
    }
}
