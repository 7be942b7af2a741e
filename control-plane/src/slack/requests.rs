//! What the `JOBS` queue does for Slack: a message (a mention, a direct message, a reply in a
//! thread the agent works in) and a click (a repository chosen, Stop, Create PR). The events
//! route only verifies, dedupes and queues; everything slow happens here.
//!
//! Invariant: doing a job twice does no harm: a thread's session id follows from the request's
//! channel and ts, the thread keeps its first session, and a prompt carries the Slack message's
//! ts as its `client_request_id`.

use oi_integrations::slack::events::{strip_mentions, thread_of};
use oi_integrations::slack::messages::{self, Progress, Started};
use oi_integrations::slack::routing::{Route, RouteReason};
use oi_integrations::slack::{first_prompt, follow_up_allowed, thread_context};
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::rest::CreateSessionRequest;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Env, Method};

use super::act_as::person;
use super::refusals::told;
use super::web_api::{SlackApi, SlackCallError};
use super::{config_of, store};
use crate::auth::Caller;
use crate::http::Failure;
use crate::integrations::act_as::session_route;
use crate::jobs::JobError;
use crate::{ids, index_store};

/// A Slack job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlackJob {
    Message { channel: String, user: String, text: String, ts: String, thread_ts: Option<String>, reply: bool },
    ChooseRepo { request_key: String, repo: String },
    Stop { session_id: String, user: String, channel: String },
    CreatePr { session_id: String, user: String, channel: String },
}

impl From<SlackCallError> for JobError {
    fn from(e: SlackCallError) -> Self {
        match e {
            SlackCallError::RateLimited { retry_after_secs } => {
                JobError::RetryAfter { secs: retry_after_secs, why: "Slack rate-limited us".into() }
            }
            SlackCallError::Unreachable(why) => JobError::Retry(why),
            SlackCallError::Refused(code) => JobError::GiveUp(format!("Slack refused: {code}")),
        }
    }
}

async fn api(env: &Env) -> Result<SlackApi, JobError> {
    SlackApi::from_env(env).await?.map_err(JobError::GiveUp)
}

/// Posts `text` (or a Block Kit message) in a thread; its ts.
async fn post(api: &SlackApi, channel: &str, thread_ts: &str, mut message: Value) -> Result<String, SlackCallError> {
    message["channel"] = json!(channel);
    message["thread_ts"] = json!(thread_ts);
    let answer = api.post("chat.postMessage", &message).await?;
    Ok(answer["ts"].as_str().unwrap_or_default().to_string())
}

async fn say(api: &SlackApi, channel: &str, thread_ts: &str, text: &str) -> Result<(), SlackCallError> {
    post(api, channel, thread_ts, json!({ "text": text })).await.map(|_| ())
}

pub async fn run(env: &Env, job: &SlackJob) -> Result<(), JobError> {
    let api = api(env).await?;
    match job {
        SlackJob::Message { channel, user, text, ts, thread_ts, reply } => {
            message(env, &api, channel, user, text, ts, thread_ts.as_deref(), *reply).await
        }
        SlackJob::ChooseRepo { request_key, repo } => {
            let configured = config_of(env).await?.repos.iter().any(|r| r == repo);
            if !configured {
                return Err(JobError::GiveUp(format!("{repo} is not a configured repository any more")));
            }
            let Some(p) = store::take_request(env, request_key).await? else { return Ok(()) };
            let thread = thread_of(&p.ts, p.thread_ts.as_deref());
            let caller = match person(env, &api, &p.user).await? {
                Ok(caller) => caller,
                Err(why) => return Ok(say(&api, &p.channel, &thread, &messages::unmapped_user_message(&why)).await?),
            };
            let request = Request { channel: &p.channel, ts: &p.ts, thread_ts: p.thread_ts.as_deref(), text: &p.text };
            start(env, &api, &caller, &request, repo, None, RouteReason::Chosen).await
        }
        SlackJob::Stop { session_id, user, channel } => {
            act(env, &api, session_id, user, channel, Method::Post, "stop", "stop it").await
        }
        SlackJob::CreatePr { session_id, user, channel } => {
            act(env, &api, session_id, user, channel, Method::Post, "pull-request", "open its pull request").await
        }
    }
}

/// A request: where it was said and what.
struct Request<'a> {
    channel: &'a str,
    ts: &'a str,
    thread_ts: Option<&'a str>,
    text: &'a str,
}

#[allow(clippy::too_many_arguments)]
async fn message(
    env: &Env,
    api: &SlackApi,
    channel: &str,
    user: &str,
    text: &str,
    ts: &str,
    thread_ts: Option<&str>,
    reply: bool,
) -> Result<(), JobError> {
    let thread = thread_of(ts, thread_ts);
    let known = store::thread(env, channel, &thread).await?;
    if known.is_none() && reply {
        // A reply in a thread the agent does not work in.
        return Ok(());
    }
    match api.post("reactions.add", &json!({ "channel": channel, "name": "eyes", "timestamp": ts })).await {
        Ok(_) | Err(SlackCallError::Refused(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let caller = match person(env, api, user).await? {
        Ok(caller) => caller,
        Err(why) => return Ok(say(api, channel, &thread, &messages::unmapped_user_message(&why)).await?),
    };
    if let Some(t) = known {
        if !follow_up_allowed(t.started_at as i64, ids::now_ms()) {
            let old = "This thread is more than 7 days old: mention me in a new message to start again.";
            return Ok(say(api, channel, &thread, old).await?);
        }
        return follow_up(env, api, &caller, &t, text, ts).await;
    }
    let config = config_of(env).await?;
    let request = Request { channel, ts, thread_ts, text };
    match oi_integrations::slack::routing::route(text, channel, &config.routing()) {
        Route::Chosen { repo, branch, why } => start(env, api, &caller, &request, &repo, branch, why).await,
        Route::NoRepos => {
            let none = "No repositories are configured for Slack yet (Settings → Integrations → Slack).";
            Ok(say(api, channel, &thread, none).await?)
        }
        Route::Classify { candidates } if config.classifier_model.is_some() => {
            let model = config.classifier_model.as_deref().unwrap_or_default();
            let text = strip_mentions(text, config.bot_user_id.as_deref());
            match crate::integrations::classifier::classify(env, model, &text, &candidates).await {
                Some(repo) => start(env, api, &caller, &request, &repo, None, RouteReason::Classifier).await,
                None => ask(env, api, &request, user, &candidates).await,
            }
        }
        Route::Classify { candidates } | Route::Ask { candidates } => ask(env, api, &request, user, &candidates).await,
    }
}

/// Holds the request and asks in the thread which repository (a menu).
async fn ask(env: &Env, api: &SlackApi, r: &Request<'_>, user: &str, candidates: &[String]) -> Result<(), JobError> {
    let (channel, ts, thread_ts, text) = (r.channel, r.ts, r.thread_ts, r.text);
    let thread = thread_of(ts, thread_ts);
    let key = format!("{channel}/{ts}");
    let pending = store::Pending {
        key: key.clone(),
        channel: channel.into(),
        ts: ts.into(),
        thread_ts: thread_ts.map(Into::into),
        user: user.into(),
        text: text.into(),
    };
    store::hold_request(env, &pending, ids::now_ms()).await?;
    post(api, channel, &thread, messages::choose_repo_message(&key, candidates)).await?;
    Ok(())
}

/// The session a request starts: the same for a retried job.
fn session_id_of(channel: &str, ts: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("slack:{channel}:{ts}").as_bytes()));
    format!("ses_s{}", &digest[..27])
}

fn request_id(ts: &str) -> String {
    format!("slack-{}", ts.replace('.', ""))
}

async fn start(
    env: &Env,
    api: &SlackApi,
    caller: &Caller,
    r: &Request<'_>,
    repo: &str,
    branch: Option<String>,
    why: RouteReason,
) -> Result<(), JobError> {
    let thread = thread_of(r.ts, r.thread_ts);
    let id = session_id_of(r.channel, r.ts);
    let config = config_of(env).await?;
    let branch = branch.or(config.default_branch.clone()).unwrap_or_else(|| "main".into());
    if !index_store::exists(env, &id).await? {
        let title: String = r.text.chars().take(80).collect();
        let body = CreateSessionRequest {
            repo: repo.to_string(),
            branch: Some(branch.clone()),
            model: None,
            title: Some(title),
            private: None,
        };
        let origin = SessionOrigin {
            kind: OriginKind::Slack,
            reference: Some(format!("{}/{thread}", r.channel)),
            label: Some(format!("Slack thread in {}", r.channel)),
            url: None,
        };
        match crate::api::sessions::start_with_id(env, caller.user.clone(), &body, origin, &id, Default::default())
            .await
        {
            Ok(_) => {}
            Err(Failure::Api(refused)) => {
                let why = format!("I could not start a session: {}", refused.message);
                return Ok(say(api, r.channel, &thread, &why).await?);
            }
            Err(Failure::Internal(e)) => return Err(JobError::Retry(e.to_string())),
        }
    }
    let session = store::claim_thread(env, r.channel, &thread, &id, ids::now_ms()).await?;
    let url = crate::config::session_page_url(env, &session);
    let model = crate::config::default_model(env);
    let reason = why.describe();
    let started = Started { repo, branch: &branch, model: &model, session_url: &url, reason: &reason };
    // Slack refusing the thread's messages is told to the session, whose work goes on.
    let started = post(api, r.channel, &thread, messages::started_message(&started)).await;
    let status = match told(env, &session, "chat.postMessage", started).await {
        Ok(_) | Err(JobError::GiveUp(_)) => {
            let booting = messages::status_message(&url, &session, &Progress::Booting);
            told(env, &session, "chat.postMessage", post(api, r.channel, &thread, booting).await).await
        }
        Err(other) => Err(other),
    };
    match status {
        Ok(status) => store::set_status_ts(env, &session, &status).await?,
        Err(JobError::GiveUp(_)) => {}
        Err(other) => return Err(other),
    }
    let context = match r.thread_ts {
        Some(t) => {
            let replies =
                api.get("conversations.replies", &[("channel", r.channel), ("ts", t), ("limit", "50")]).await?;
            let earlier: Vec<(String, String)> = replies["messages"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter(|m| m["ts"].as_str() != Some(r.ts))
                        .map(|m| {
                            let who = m["user"].as_str().unwrap_or("someone").to_string();
                            (who, m["text"].as_str().unwrap_or_default().to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            thread_context(&earlier, 4_000)
        }
        None => String::new(),
    };
    let text = first_prompt(&strip_mentions(r.text, config.bot_user_id.as_deref()), &context);
    prompt(env, api, caller, &session, r.channel, &thread, &text, r.ts).await
}

#[allow(clippy::too_many_arguments)]
async fn prompt(
    env: &Env,
    api: &SlackApi,
    caller: &Caller,
    session: &str,
    channel: &str,
    thread: &str,
    text: &str,
    ts: &str,
) -> Result<(), JobError> {
    let body = json!({ "text": text, "client_request_id": request_id(ts) });
    let mut answer = session_route(env, caller, session, Method::Post, "prompts", Some(&body)).await?;
    if answer.status_code() >= 400 {
        let error: Value = answer.json().await.unwrap_or_default();
        let why = error["error"]["message"].as_str().unwrap_or("the session refused the prompt").to_string();
        say(api, channel, thread, &format!("I could not send that to the session: {why}")).await?;
    }
    Ok(())
}

async fn follow_up(
    env: &Env,
    api: &SlackApi,
    caller: &Caller,
    t: &store::Thread,
    text: &str,
    ts: &str,
) -> Result<(), JobError> {
    let text = strip_mentions(text, config_of(env).await?.bot_user_id.as_deref());
    prompt(env, api, caller, &t.session_id, &t.channel, &t.thread_ts, &text, ts).await?;
    if let Some(status) = &t.status_ts {
        let url = crate::config::session_page_url(env, &t.session_id);
        let mut update = messages::status_message(&url, &t.session_id, &Progress::Booting);
        update["channel"] = json!(t.channel);
        update["ts"] = json!(status);
        told(env, &t.session_id, "chat.update", api.post("chat.update", &update).await).await?;
    }
    Ok(())
}

/// Stop or Create PR, as the person who clicked.
#[allow(clippy::too_many_arguments)]
async fn act(
    env: &Env,
    api: &SlackApi,
    session_id: &str,
    user: &str,
    channel: &str,
    method: Method,
    suffix: &str,
    what: &str,
) -> Result<(), JobError> {
    let Some(t) = store::thread_of_session(env, session_id).await? else { return Ok(()) };
    let caller = match person(env, api, user).await? {
        Ok(caller) => caller,
        Err(why) => return Ok(say(api, channel, &t.thread_ts, &messages::unmapped_user_message(&why)).await?),
    };
    let mut answer = session_route(env, &caller, session_id, method, suffix, None).await?;
    if answer.status_code() >= 400 {
        let error: Value = answer.json().await.unwrap_or_default();
        let why = error["error"]["message"].as_str().unwrap_or("refused").to_string();
        say(api, channel, &t.thread_ts, &format!("I could not {what}: {why}")).await?;
    }
    Ok(())
}
