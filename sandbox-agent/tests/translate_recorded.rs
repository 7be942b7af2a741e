//! The translation on event streams recorded from OpenCode 1.18.33 (tests/fixtures).

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{PromptOutcome, ToolStatus};
use oi_sandbox_agent::translate::{Output, Translator};
use serde_json::Value;

const SESSION: &str = "ses_df66dcef4ffewWqiIjmoKpuDGS";

fn frames(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/opencode-1.18.33/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run(name: &str, opencode_message_id: &str) -> Vec<Output> {
    run_with(name, opencode_message_id, false)
}

fn run_with(name: &str, opencode_message_id: &str, stop: bool) -> Vec<Output> {
    let mut t = Translator::new(SESSION);
    t.start("msg_ours", opencode_message_id);
    if stop {
        t.stop_requested();
    }
    let out: Vec<Output> = frames(name).iter().flat_map(|f| t.on_event(f)).collect();
    assert!(t.active().is_none(), "{name}: the run ended");
    out
}

fn texts(out: &[Output]) -> String {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(AgentEvent::TextDelta(d)) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn tool_call_then_text() {
    let out = run("tool-call-then-text.sse", "msg_0aaaaaaaaaaaAbcdefghijklmn");
    assert_eq!(texts(&out), "Let me create it.Done: wrote the file.");
    let tools: Vec<(ToolStatus, String)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(AgentEvent::ToolCall(c)) => {
                Some((c.status, c.input["command"].as_str().unwrap_or("").into()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        tools,
        vec![
            (ToolStatus::Running, "echo hi > hello.txt".into()),
            (ToolStatus::Completed, "echo hi > hello.txt".into())
        ],
        "pending without input skipped, the repeated running state dropped"
    );
    let completed = out.iter().find_map(|o| match o {
        Output::Event(AgentEvent::ToolCall(c)) if c.status == ToolStatus::Completed => Some(c.clone()),
        _ => None,
    });
    let completed = completed.unwrap();
    assert_eq!((completed.tool.as_str(), completed.output.as_deref()), ("bash", Some("(no output)")));
    assert!(completed.started_at.is_some() && completed.ended_at.is_some());
    let steps: Vec<(u64, u64)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(AgentEvent::StepFinished(s)) => Some((s.tokens.input, s.tokens.output)),
            _ => None,
        })
        .collect();
    assert_eq!(steps, vec![(100, 7), (100, 7)], "one step per model call");
    match out.last().unwrap() {
        Output::Ended(end) => {
            assert_eq!(
                (end.message_id.as_str(), end.outcome, end.error.as_deref()),
                ("msg_ours", PromptOutcome::Completed, None)
            )
        }
        other => panic!("{other:?}"),
    }
    // Every event belongs to our prompt.
    for o in &out {
        if let Output::Event(AgentEvent::TextDelta(d)) = o {
            assert_eq!(d.message_id, "msg_ours");
        }
    }
}

#[test]
fn slow_stream_then_abort() {
    let mut t = Translator::new(SESSION);
    t.start("msg_ours", "msg_0bbbbbbbbbbbAbcdefghijklmn");
    let mut out = vec![];
    for (i, f) in frames("slow-then-abort.sse").iter().enumerate() {
        if i == 20 {
            t.stop_requested();
        }
        out.extend(t.on_event(f));
    }
    assert!(texts(&out).starts_with("word0 word1 "));
    assert!(!out.iter().any(|o| matches!(o, Output::Event(AgentEvent::AgentError(_)))), "an abort is not an error");
    let ends: Vec<_> = out.iter().filter(|o| matches!(o, Output::Ended(_))).collect();
    assert_eq!(ends.len(), 1, "idle is sent twice after an abort; the run ends once");
    assert!(matches!(ends[0], Output::Ended(e) if e.outcome == PromptOutcome::Stopped));
}

#[test]
fn unreachable_model_retries() {
    // The recording ends with the user stopping the prompt while it retried.
    let out = run_with("unreachable-retry-abort.sse", "msg_0cccccccccccAbcdefghijklmn", true);
    let retries: Vec<u32> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(AgentEvent::Retry(r)) => Some(r.attempt),
            _ => None,
        })
        .collect();
    assert!(!retries.is_empty(), "retries surface");
    assert!(retries.windows(2).all(|w| w[0] < w[1]), "each attempt once: {retries:?}");
    assert!(matches!(out.last(), Some(Output::Ended(e)) if e.outcome == PromptOutcome::Stopped));
}

#[test]
fn api_error_fails_the_prompt() {
    let out = run("api-error-400.sse", "msg_0dddddddddddAbcdefghijklmn");
    let errors: Vec<&str> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(AgentEvent::AgentError(e)) => Some(e.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec!["APIError: bad request from fake"]);
    match out.last().unwrap() {
        Output::Ended(e) => {
            assert_eq!(e.outcome, PromptOutcome::Failed);
            assert_eq!(e.error.as_deref(), Some("APIError: bad request from fake"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn other_sessions_and_prompts_are_ignored() {
    let mut t = Translator::new("ses_other");
    t.start("msg_ours", "msg_0aaaaaaaaaaaAbcdefghijklmn");
    let out: Vec<Output> = frames("tool-call-then-text.sse").iter().flat_map(|f| t.on_event(f)).collect();
    assert!(out.is_empty());
    let mut t = Translator::new(SESSION);
    t.start("msg_ours", "msg_not_the_one_we_sent");
    let out: Vec<Output> = frames("tool-call-then-text.sse").iter().flat_map(|f| t.on_event(f)).collect();
    assert_eq!(texts(&out), "", "replies to another prompt are not ours");
    let mut idle = Translator::new(SESSION);
    assert!(frames("tool-call-then-text.sse").iter().all(|f| idle.on_event(f).is_empty()), "no prompt, no output");
}

#[test]
fn an_aborted_runs_late_idle_does_not_end_the_next_prompt() {
    // OpenCode sends `session.idle` twice after an abort; the next prompt may start in between
    // (it waited for the stopped one to end).
    let mut t = Translator::new(SESSION);
    t.start("msg_stopped", "msg_0bbbbbbbbbbbAbcdefghijklmn");
    let mut frames = frames("slow-then-abort.sse").into_iter();
    t.stop_requested();
    let first_end = frames.by_ref().position(|f| t.on_event(&f).iter().any(|o| matches!(o, Output::Ended(_))));
    assert!(first_end.is_some(), "the stopped run ends at the first idle");
    t.start("msg_next", "msg_0aaaaaaaaaaaAbcdefghijklmn");
    let late: Vec<Output> = frames.flat_map(|f| t.on_event(&f)).collect();
    assert!(late.is_empty(), "the rest of the aborted run is not the next prompt's: {late:?}");
    assert_eq!(t.active(), Some("msg_next"));
    let out: Vec<Output> = self::frames("tool-call-then-text.sse").iter().flat_map(|f| t.on_event(f)).collect();
    assert_eq!(texts(&out), "Let me create it.Done: wrote the file.");
    assert!(
        matches!(out.last(), Some(Output::Ended(e)) if e.message_id == "msg_next" && e.outcome == PromptOutcome::Completed)
    );
}
