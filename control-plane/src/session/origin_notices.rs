//! Telling a session's origin what happened (an automation run, later a Slack thread, a pull
//! request's conversation, a Linear issue): a prompt's end, its pull request opened or merged.
//!
//! Invariant: a notice is written to the session's SQLite in the same turn as the event it
//! reports, under an id that names that news, so it is neither lost nor doubled here; it leaves
//! the object only through the `JOBS` queue ([`crate::jobs`]), which delivers it at least once,
//! and the receiver drops an id it has seen. Sessions started from the web or the API have
//! no origin to tell and write nothing.

use oi_protocol::events::ToolStatus;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::origin::{NoticeEvent, OriginKind, OriginNotice, SessionOrigin};
use oi_protocol::source_control::PullRequestState;
use worker::Result;

use super::effects::{Effect, Turn};
use super::store::SqlExec;

/// The agent's summary in a notice is cut to this many characters.
pub const SUMMARY_CHARS: usize = 4_000;

/// Whether an event may be news for the origin (cheap: decides whether to look further).
pub fn may_concern(body: &EventBody) -> bool {
    match body {
        EventBody::PromptFinished(_) | EventBody::PullRequest(_) => true,
        EventBody::ToolCall(call) => matches!(call.status, ToolStatus::Completed | ToolStatus::Error),
        _ => false,
    }
}

/// Working notices go out at most once in this window per prompt.
pub const WORKING_WINDOW_MS: i64 = 15_000;
/// How many recent tool actions a working notice carries.
pub const RECENT_ACTIONS: usize = 5;

/// Keeps the notice an event makes for the session's origin, if any.
pub fn observe<S: SqlExec>(turn: &mut Turn<S>, body: &EventBody) -> Result<()> {
    let Some((session_id, origin)) = turn.store.meta_field(|m| (m.summary.id.clone(), m.summary.origin.clone()))?
    else {
        return Ok(());
    };
    if !origin.kind.is_integration() {
        return Ok(());
    }
    let working = matches!(body, EventBody::ToolCall(_));
    if working && !matches!(origin.kind, OriginKind::Slack | OriginKind::Linear) {
        return Ok(());
    }
    let Some((key, event)) = news(turn, body)? else { return Ok(()) };
    keep(turn, session_id, origin, &key, event).map(|_| ())
}

/// Keeps `event` as the notice named `key` (nothing when one by that name is kept already) and
/// asks for it to be sent; the notice's id.
pub fn keep<S: SqlExec>(
    turn: &mut Turn<S>,
    session_id: String,
    origin: SessionOrigin,
    key: &str,
    event: NoticeEvent,
) -> Result<String> {
    let notice =
        OriginNotice { id: format!("{}{key}", notice_prefix(&session_id)), session_id, origin, at: turn.now, event };
    let json = serde_json::to_string(&notice).map_err(|e| worker::Error::RustError(e.to_string()))?;
    if turn.store.insert_notice(&notice.id, &json)? {
        turn.emit(Effect::NoticesWaiting);
    }
    Ok(notice.id)
}

/// `ntc_<session>_`: what every notice id of the session starts with.
pub fn notice_prefix(session_id: &str) -> String {
    format!("ntc_{}_", session_id.trim_start_matches("ses_"))
}

/// The news an event is (with the key that names it), if it is news.
fn news<S: SqlExec>(turn: &Turn<S>, body: &EventBody) -> Result<Option<(String, NoticeEvent)>> {
    Ok(match body {
        EventBody::PromptFinished(finished) => {
            let prompt_id = finished.message_id.clone();
            let event = match finished.outcome {
                PromptOutcome::Completed => {
                    let pushed = turn.store.last_pushed_commit()?.filter(|c| c.message_id == prompt_id);
                    NoticeEvent::PromptFinished {
                        summary: turn.store.last_agent_text_of(&prompt_id)?.map(|t| cut(&t, SUMMARY_CHARS)),
                        files_changed: pushed.as_ref().map_or(0, |c| c.files_changed),
                        branch: pushed.map(|c| c.branch),
                        pull_request_url: turn.store.pull_request()?.map(|pr| pr.url),
                        prompt_id: prompt_id.clone(),
                    }
                }
                PromptOutcome::Failed | PromptOutcome::Stopped => NoticeEvent::PromptFailed {
                    reason: finished.error.clone().unwrap_or_else(|| match finished.outcome {
                        PromptOutcome::Stopped => "the prompt was stopped".into(),
                        _ => "the prompt failed".into(),
                    }),
                    prompt_id: prompt_id.clone(),
                },
            };
            Some((format!("prompt_{}", prompt_id.trim_start_matches("msg_")), event))
        }
        EventBody::ToolCall(call) => {
            let window = turn.now / WORKING_WINDOW_MS;
            let recent_actions = turn.store.recent_actions_of(&call.message_id, RECENT_ACTIONS)?;
            Some((
                format!("work_{}_{window}", call.message_id.trim_start_matches("msg_")),
                NoticeEvent::PromptWorking { prompt_id: call.message_id.clone(), recent_actions },
            ))
        }
        EventBody::PullRequest(pr) => match pr.state {
            PullRequestState::Open => Some((
                format!("pr{}_opened", pr.number),
                NoticeEvent::PullRequestOpened { url: pr.url.clone(), number: pr.number },
            )),
            PullRequestState::Merged => Some((
                format!("pr{}_merged", pr.number),
                NoticeEvent::PullRequestMerged { url: pr.url.clone(), number: pr.number },
            )),
            PullRequestState::Closed => None,
        },
        _ => None,
    })
}

/// At most `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use oi_protocol::events::{Commit, PromptFinished, TextPart};
    use oi_protocol::origin::{OriginKind, SessionOrigin};
    use oi_protocol::source_control::{ChecksStatus, OpenedAs, PullRequest};

    use super::*;
    use crate::session::store::memory::{self, MemorySql};
    use crate::session::store::Store;
    use crate::session::testing::{session, T0};

    fn automation_session() -> Store<MemorySql> {
        let store = memory::store();
        let mut summary = session().meta().unwrap().unwrap().summary;
        summary.origin =
            SessionOrigin { kind: OriginKind::Automation, reference: Some("aut_1/run_1".into()), ..Default::default() };
        store.insert_meta(&summary).unwrap();
        store
    }

    fn finished(outcome: PromptOutcome, error: Option<&str>) -> EventBody {
        EventBody::PromptFinished(PromptFinished { message_id: "msg_1".into(), outcome, error: error.map(Into::into) })
    }

    fn pr(state: PullRequestState) -> EventBody {
        EventBody::PullRequest(PullRequest {
            repo: "acme/widgets".into(),
            number: 7,
            url: "https://github.test/acme/widgets/pull/7".into(),
            title: "t".into(),
            head: "oi/ses_1".into(),
            base: "main".into(),
            state,
            draft: false,
            opened_as: OpenedAs::User,
            requested_by: "ada".into(),
            head_sha: None,
            checks: ChecksStatus::default(),
            updated_at: T0,
        })
    }

    /// Records `bodies` in one turn each; the notices kept and whether any turn asked to send.
    fn run(store: &Store<MemorySql>, bodies: Vec<EventBody>) -> (Vec<OriginNotice>, bool) {
        let mut waiting = false;
        for body in bodies {
            let mut turn = Turn::new(store, T0 + 5, true);
            turn.record(body).unwrap();
            waiting |= turn.effects().iter().any(|e| matches!(e, Effect::NoticesWaiting));
        }
        let notices = store.unsent_notices().unwrap().iter().map(|(_, j)| serde_json::from_str(j).unwrap()).collect();
        (notices, waiting)
    }

    #[test]
    fn a_finished_prompt_tells_its_summary_branch_and_pull_request() {
        let store = automation_session();
        let commit = Commit {
            message_id: "msg_1".into(),
            branch: "oi/ses_1".into(),
            sha: Some("abc".into()),
            author: None,
            files_changed: 1,
            insertions: 1,
            deletions: 0,
            files: vec![],
            pushed: true,
            error: None,
        };
        let text = EventBody::Text(TextPart {
            message_id: "msg_1".into(),
            part_id: "p".into(),
            text: "Fixed it.".into(),
            started_seq: 0,
        });
        let (notices, waiting) =
            run(&store, vec![text, EventBody::Commit(commit), finished(PromptOutcome::Completed, None)]);
        assert!(waiting);
        assert_eq!(notices.len(), 1);
        let notice = &notices[0];
        assert_eq!(notice.id, "ntc_1_prompt_1");
        assert_eq!(notice.origin.reference.as_deref(), Some("aut_1/run_1"));
        assert_eq!(
            notice.event,
            NoticeEvent::PromptFinished {
                prompt_id: "msg_1".into(),
                summary: Some("Fixed it.".into()),
                branch: Some("oi/ses_1".into()),
                files_changed: 1,
                pull_request_url: None,
            }
        );
    }

    #[test]
    fn the_summary_is_the_last_part_streamed_before_compaction() {
        let store = automation_session();
        let delta = |part: &str, text: &str| {
            EventBody::TextDelta(oi_protocol::events::TextDelta {
                message_id: "msg_1".into(),
                part_id: part.into(),
                delta: text.into(),
            })
        };
        let bodies = vec![
            delta("a", "Looking."),
            delta("b", "Pinned "),
            delta("b", "the seed."),
            finished(PromptOutcome::Completed, None),
        ];
        let (notices, _) = run(&store, bodies);
        match &notices[0].event {
            NoticeEvent::PromptFinished { summary, .. } => assert_eq!(summary.as_deref(), Some("Pinned the seed.")),
            other => panic!("{other:?}"),
        }
    }

    fn tool(part: &str, command: &str, status: ToolStatus) -> EventBody {
        EventBody::ToolCall(oi_protocol::events::ToolCall {
            message_id: "msg_1".into(),
            part_id: part.into(),
            tool: "bash".into(),
            status,
            input: serde_json::json!({ "command": command }),
            output: None,
            error: None,
            title: None,
            started_at: None,
            ended_at: None,
            started_seq: None,
        })
    }

    #[test]
    fn a_slack_thread_hears_the_last_tool_actions_at_most_once_a_window() {
        let store = memory::store();
        let mut summary = session().meta().unwrap().unwrap().summary;
        summary.origin =
            SessionOrigin { kind: OriginKind::Slack, reference: Some("C1/1.2".into()), ..Default::default() };
        store.insert_meta(&summary).unwrap();
        let bodies = vec![
            tool("a", "cargo build", ToolStatus::Running),
            tool("a", "cargo build", ToolStatus::Completed),
            tool("b", "cargo test", ToolStatus::Completed),
        ];
        let (notices, waiting) = run(&store, bodies);
        assert!(waiting);
        assert_eq!(notices.len(), 1, "one working notice in the window: {notices:?}");
        assert_eq!(
            notices[0].event,
            NoticeEvent::PromptWorking { prompt_id: "msg_1".into(), recent_actions: vec!["bash: cargo build".into()] }
        );
        // An automation's callback hears no working notices.
        let automation = automation_session();
        let (notices, _) = run(&automation, vec![tool("a", "ls", ToolStatus::Completed)]);
        assert!(notices.is_empty(), "{notices:?}");
    }

    #[test]
    fn failures_and_pull_requests_are_news_once_each() {
        let store = automation_session();
        let bodies = vec![
            finished(PromptOutcome::Failed, Some("the sandbox failed to boot")),
            finished(PromptOutcome::Failed, Some("again")),
            pr(PullRequestState::Open),
            pr(PullRequestState::Open),
            pr(PullRequestState::Closed),
            pr(PullRequestState::Merged),
        ];
        let (notices, _) = run(&store, bodies);
        let events: Vec<_> = notices.into_iter().map(|n| n.event).collect();
        assert_eq!(
            events,
            vec![
                NoticeEvent::PromptFailed { prompt_id: "msg_1".into(), reason: "the sandbox failed to boot".into() },
                NoticeEvent::PullRequestOpened { url: "https://github.test/acme/widgets/pull/7".into(), number: 7 },
                NoticeEvent::PullRequestMerged { url: "https://github.test/acme/widgets/pull/7".into(), number: 7 },
            ]
        );
    }

    #[test]
    fn sessions_from_the_web_tell_nobody() {
        let store = session();
        let (notices, waiting) =
            run(&store, vec![finished(PromptOutcome::Completed, None), pr(PullRequestState::Open)]);
        assert!(notices.is_empty() && !waiting);
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("hé", 2), "hé");
    }
}
