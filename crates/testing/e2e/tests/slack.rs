//! Slack through the whole local stack, with the Slack double for Slack: an @-mention starts a
//! session that pushes a branch, the thread gets a status message updated in place to the
//! final answer with its buttons; a reply in the thread is a follow-up prompt in the same
//! session; Stop from Slack stops a running prompt; a request naming no repository gets a menu
//! and starts after the choice; Slack being down for a while still gets the final message; the
//! agent's `slack_notify` posts in its thread only when the settings allow it.

mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use common::*;
use oi_scripted_model::Turn;
use oi_slack_double::{SlackConfig, SlackDouble, UserConfig};
use oi_testkit::{BareRepo, Stack};
use serde_json::{json, Value};

const CHANNEL: &str = "C0123GENERAL";
const ADA: &str = "U0ADA";

async fn slack_stack(repos: &[String]) -> Result<(Stack, SlackDouble)> {
    slack_stack_with(repos, None, false).await
}

async fn slack_stack_with(
    repos: &[String],
    classifier: Option<&str>,
    agent_may_post: bool,
) -> Result<(Stack, SlackDouble)> {
    let slack = SlackDouble::start(
        SlackConfig::default().user(UserConfig::new(ADA, "ada").email("local@open-inspect.invalid")),
    )
    .await?;
    let stack = Stack::start_with(vars(&[("SLACK_API_BASE", &format!("{}/api", slack.url()))])).await?;
    let base = stack.cp.base_url();
    slack.set_events_url(&format!("{base}/api/integrations/slack/events"));
    slack.set_interactions_url(&format!("{base}/api/integrations/slack/interactions"));
    let config = slack.config();
    let settings = json!({
        "enabled": true,
        "secrets": { "signing_secret": config.signing_secret, "bot_token": config.bot_token },
        "config": {
            "repos": repos,
            "bot_user_id": config.bot_user_id,
            "classifier_model": classifier,
            "agent_may_post": agent_may_post,
        },
    });
    let answer = stack.cp.api().raw("PUT", "/api/integrations/slack", Some(&settings.to_string())).await?;
    if answer.status != 200 {
        bail!("turning Slack on: {} {}", answer.status, answer.body);
    }
    Ok((stack, slack))
}

/// Waits until the app's message `ts` in the channel satisfies `done`.
async fn wait_message(slack: &SlackDouble, ts: &str, what: &str, done: impl Fn(&Value) -> bool) -> Result<Value> {
    let started = Instant::now();
    loop {
        if let Some(m) = slack.message(CHANNEL, ts) {
            let shown = json!({ "text": m.text, "blocks": m.blocks });
            if done(&shown) {
                return Ok(shown);
            }
            if started.elapsed() > Duration::from_secs(150) {
                bail!("the message never showed {what}: {shown:#}");
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The app's replies in a thread.
async fn app_replies(slack: &SlackDouble, thread: &str, n: usize) -> Result<Vec<oi_slack_double::Message>> {
    let started = Instant::now();
    loop {
        let replies: Vec<_> = slack.thread(CHANNEL, thread).into_iter().filter(|m| m.bot_id.is_some()).collect();
        if replies.len() >= n {
            return Ok(replies);
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the app posted {} replies, not {n}: {replies:#?}\n{:?}", replies.len(), slack.requests());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn has_button(message: &Value, action_id: &str) -> bool {
    message.to_string().contains(&format!("\"action_id\":\"{action_id}\""))
}

#[tokio::test]
async fn a_mention_starts_a_session_the_thread_follows_and_a_reply_steers_it() -> Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let repo_path = repo.path().display().to_string();
    let (stack, slack) = slack_stack_with(std::slice::from_ref(&repo_path), None, true).await?;
    stack.model.push_all([
        Turn::tool_call(
            "openinspect_slack_notify",
            json!({"text": "<!channel> Found it: the seed <!here> is random."}),
        ),
        Turn::tool_call("write", json!({"filePath": "flaky.txt", "content": "fixed\n"})),
        Turn::text("I pinned the flaky test's seed."),
    ]);
    let text = format!("{} fix the flaky login test", slack.bot_mention());
    let (ts, reply) = slack.send_app_mention(CHANNEL, ADA, &text, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.elapsed < Duration::from_secs(3), "Slack's 3 s ack: {:?}", reply.elapsed);

    // 👀 at once; then the started message and the status message in the thread.
    let replies = app_replies(&slack, &ts, 2).await?;
    assert!(slack.reactions(CHANNEL, &ts).iter().any(|r| r.name == "eyes"));
    assert!(replies[0].text.contains(&repo_path), "{:?}", replies[0].text);
    let status_ts = replies[1].ts.clone();
    let done = wait_message(&slack, &status_ts, "the answer", |m| m.to_string().contains("pinned the flaky")).await?;
    assert!(has_button(&done, "oi_create_pr"), "the pushed change offers Create PR: {done:#}");
    assert!(done.to_string().contains("1 file"), "files changed: {done:#}");
    assert!(!has_button(&done, "oi_stop"), "no Stop once done: {done:#}");
    let session_id = session_of(&stack).await?;
    assert_eq!(repo.show(&format!("oi/{session_id}"), "flaky.txt")?, "fixed\n");
    // The agent's own post: in the thread, with its broadcasts stripped, marked as the agent's.
    let replies = app_replies(&slack, &ts, 3).await?;
    let post = replies.iter().find(|m| m.text.contains("Found it")).expect("the agent's post");
    assert_eq!(post.text, "Found it: the seed is random.");
    assert!(post.blocks.iter().any(|b| b.to_string().contains("Posted by the agent")), "{post:#?}");
    assert!(tool_result_told(&stack, "Posted in the Slack thread."), "the model was told it was posted");

    // A reply in the thread: a follow-up in the same session.
    stack.model.push_all([Turn::text("Also added a regression note.")]);
    let (_, reply) = slack.send_message(CHANNEL, ADA, "please also add a note", Some(&ts)).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    wait_message(&slack, &status_ts, "the second answer", |m| m.to_string().contains("regression note")).await?;
    assert_eq!(session_of(&stack).await?, session_id, "still one session");
    let asked = stack.model.requests().iter().any(|r| r.body.to_string().contains("please also add a note"));
    assert!(asked, "the reply reached the model as a prompt");
    // Slack's retry of the same event starts nothing new.
    slack.assert_no_violations();
    Ok(())
}

async fn session_of(stack: &Stack) -> Result<String> {
    let listed: oi_protocol::rest::SessionList =
        stack.cp.api().raw("GET", "/api/sessions?origin=slack", None).await?.json()?;
    match listed.sessions.as_slice() {
        [one] => Ok(one.id.clone()),
        other => bail!("expected one Slack session, got {other:#?}"),
    }
}

#[tokio::test]
async fn an_ambiguous_request_asks_and_starts_after_the_choice_and_slack_down_still_gets_the_end() -> Result<()> {
    let first = BareRepo::with_files(&[("README.md", "# one\n")])?;
    let second = BareRepo::with_files(&[("README.md", "# two\n")])?;
    let repos = [first.path().display().to_string(), second.path().display().to_string()];
    let (stack, slack) = slack_stack(&repos).await?;
    let text = format!("{} tidy things up", slack.bot_mention());
    let (ts, _) = slack.send_app_mention(CHANNEL, ADA, &text, None).await?;
    let menu = app_replies(&slack, &ts, 1).await?.remove(0);
    assert!(menu.blocks.iter().any(|b| b.to_string().contains("oi_choose_repo")), "{menu:#?}");

    // Posting is off here: the agent's post is refused, and it is told why.
    stack.model.push_all([
        Turn::tool_call("openinspect_slack_notify", json!({"text": "Starting."})),
        Turn::text("Tidied the second one."),
    ]);
    let value = format!("{CHANNEL}/{ts}|{}", repos[1]);
    let chose = slack.choose(CHANNEL, &menu.ts, "oi_choose_repo", &value, ADA).await?;
    assert_eq!(chose.status, 200, "{}", chose.body);
    let replies = app_replies(&slack, &ts, 3).await?;
    assert!(replies[1].text.contains(&repos[1]), "{:?}", replies[1].text);
    let status_ts = replies[2].ts.clone();
    // Slack goes down before the end; the final message arrives when it is back.
    slack.set_down(true);
    tokio::time::sleep(Duration::from_secs(8)).await;
    slack.set_down(false);
    wait_message(&slack, &status_ts, "the answer", |m| m.to_string().contains("Tidied the second one")).await?;
    assert!(tool_result_told(&stack, "may not post to a Slack thread"), "the model was told posting is off");
    assert!(!slack.thread(CHANNEL, &ts).iter().any(|m| m.text.contains("Starting.")), "nothing was posted");
    Ok(())
}

/// Whether a request to the model carried a tool result saying `needle`.
fn tool_result_told(stack: &Stack, needle: &str) -> bool {
    stack.model.requests().iter().any(|r| r.body.to_string().contains(needle))
}

#[tokio::test]
async fn stop_from_slack_stops_the_running_prompt() -> Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let repo_path = repo.path().display().to_string();
    let (stack, slack) = slack_stack(std::slice::from_ref(&repo_path)).await?;
    // A long command keeps the prompt running until it is stopped.
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "echo step one", "description": "first step"})),
        Turn::tool_call("bash", json!({"command": "sleep 600", "description": "wait"})),
        Turn::text("unreachable"),
    ]);
    let (ts, _) =
        slack.send_app_mention(CHANNEL, ADA, &format!("{} wait a long time", slack.bot_mention()), None).await?;
    let replies = app_replies(&slack, &ts, 2).await?;
    let status_ts = replies[1].ts.clone();
    // Working: the status shows the last tool actions, with Stop.
    let status = wait_message(&slack, &status_ts, "the first action", |m| m.to_string().contains("step one")).await?;
    assert!(has_button(&status, "oi_stop"), "{status:#}");
    // Wait until the prompt runs, then click Stop.
    let started = Instant::now();
    while !stack.model.requests().iter().any(|r| r.body.to_string().contains("wait a long time")) {
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the prompt never reached the model");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let clicked = slack.click(CHANNEL, &status_ts, "oi_stop", ADA).await?;
    assert_eq!(clicked.status, 200, "{}", clicked.body);
    wait_message(&slack, &status_ts, "that it failed or stopped", |m| {
        let s = m.to_string().to_lowercase();
        s.contains("stopped")
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn the_classifier_chooses_among_the_configured_repositories() -> Result<()> {
    let first = BareRepo::with_files(&[("README.md", "# one\n")])?;
    let second = BareRepo::with_files(&[("README.md", "# two\n")])?;
    let repos = [first.path().display().to_string(), second.path().display().to_string()];
    let (stack, slack) = slack_stack_with(&repos, Some("scripted/test-model"), false).await?;
    // The classifier's answer (its call offers no tools), then the session's.
    stack.model.push_untooled(Turn::text(&repos[1]));
    stack.model.push_all([Turn::text("Looked at the second one.")]);
    let (ts, _) =
        slack.send_app_mention(CHANNEL, ADA, &format!("{} check the readme", slack.bot_mention()), None).await?;
    let replies = app_replies(&slack, &ts, 2).await?;
    assert!(replies[0].text.contains(&repos[1]), "{:?}", replies[0].text);
    assert!(!replies.iter().any(|m| m.blocks.iter().any(|b| b.to_string().contains("oi_choose_repo"))), "no menu");
    wait_message(&slack, &replies[1].ts, "the answer", |m| m.to_string().contains("Looked at the second one")).await?;
    let asked = stack.model.requests().iter().any(|r| {
        let body = r.body.to_string();
        body.contains(&repos[0]) && body.contains("check the readme") && r.body["stream"] == json!(false)
    });
    assert!(asked, "the classifier was asked with the candidates and the request");
    Ok(())
}
