//! What the `JOBS` queue does for Linear: an agent session created on an issue (a `thought`
//! first, within Linear's 10 seconds; then the issue, its repository, the session as the mapped
//! person, its link and plan on the agent session, and the first prompt), a prompt in it (the
//! answer to "which repository?", or a follow-up), and a stop.
//!
//! Invariant: doing a job twice does no harm: the session's id follows from the agent
//! session's, a prompt carries the Linear activity's id as its `client_request_id`, and an
//! agent session keeps its first session.

use oi_integrations::linear::activities::{self, ActivityContent};
use oi_integrations::linear::events::{SessionCreated, SessionPrompted};
use oi_integrations::linear::issue::{parse_issue_response, IssueDetails};
use oi_integrations::linear::operations as graphql;
use oi_integrations::linear::plan::{PlanPhase, PlanStep};
use oi_integrations::linear::routing::{route, Route};
use oi_protocol::integrations::IntegrationName;
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::rest::{CreateSessionRequest, PromptRequest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use worker::{Env, Method};

use super::api::{call, LinearCallError};
use super::store;
use crate::api::sessions::start_with_id;
use crate::auth::Caller;
use crate::http::Failure;
use crate::ids;
use crate::jobs::JobError;
use crate::session::internal::{Internal, SessionStub};

/// A Linear job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinearJob {
    Created(Box<SessionCreated>),
    Prompted(Box<SessionPrompted>),
    Stop(Box<SessionPrompted>),
}

impl From<LinearCallError> for JobError {
    fn from(e: LinearCallError) -> Self {
        match e {
            LinearCallError::RateLimited { retry_after_secs } => {
                JobError::RetryAfter { secs: retry_after_secs, why: "Linear rate-limited us".into() }
            }
            LinearCallError::Unavailable(why) => JobError::Retry(why),
            LinearCallError::Refused(why) => JobError::GiveUp(format!("Linear refused: {why}")),
        }
    }
}

/// Posts an activity (its `content`) on the agent session.
pub async fn post_activity(env: &Env, agent_session_id: &str, content: ActivityContent) -> Result<(), JobError> {
    let variables = graphql::activity_create_variables(agent_session_id, &content, false);
    call(env, graphql::AGENT_ACTIVITY_CREATE, &variables).await?;
    Ok(())
}

/// Moves the agent session's plan (and keeps the session's link on it).
pub async fn update_plan(
    env: &Env,
    agent_session_id: &str,
    phase: PlanPhase,
    url: Option<&str>,
) -> Result<(), JobError> {
    call(env, graphql::AGENT_SESSION_UPDATE, &graphql::session_update_variables(agent_session_id, phase, url)).await?;
    Ok(())
}

/// The issue, as routing and the state move need it.
pub async fn issue(env: &Env, issue_id: &str) -> Result<IssueDetails, JobError> {
    let data = call(env, graphql::ISSUE_QUERY, &graphql::issue_query_variables(issue_id)).await?;
    parse_issue_response(&json!({ "data": data })).map_err(JobError::GiveUp)
}

/// The session of an agent session.
pub fn session_id_of(agent_session_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("linear:{agent_session_id}").as_bytes()));
    format!("ses_l{}", &digest[..27])
}

pub async fn run(env: &Env, job: &LinearJob) -> Result<(), JobError> {
    match job {
        LinearJob::Created(created) => created_session(env, created).await,
        LinearJob::Prompted(prompted) => prompt(env, prompted).await,
        LinearJob::Stop(stop) => {
            let Some(row) = store::get(env, &stop.agent_session_id).await? else { return Ok(()) };
            let Some(session) = row.session_id else { return Ok(()) };
            let Some(caller) = person(env, stop).await? else { return Ok(()) };
            crate::integrations::act_as::session_route(env, &caller, &session, Method::Post, "stop", None).await?;
            Ok(())
        }
    }
}

async fn config(env: &Env) -> Result<oi_integrations::linear::settings::LinearConfig, JobError> {
    let config = crate::integrations::settings::config(env, IntegrationName::Linear).await?;
    oi_integrations::linear::settings::parse_config_with(&config, crate::auth::local::local_mode(env))
        .map_err(|e| JobError::GiveUp(format!("the Linear settings do not read: {e}")))
}

async fn created_session(env: &Env, created: &SessionCreated) -> Result<(), JobError> {
    let id = &created.agent_session_id;
    // Linear shows an agent that says nothing for 10 seconds as unresponsive: say something first.
    let identifier = created.issue.as_ref().map(|i| i.identifier.as_str());
    post_activity(env, id, activities::initial_thought(identifier)).await?;
    let request = serde_json::to_string(created).map_err(|e| JobError::GiveUp(e.to_string()))?;
    let issue_id = created.issue.as_ref().map(|i| i.id.as_str());
    store::remember(env, id, issue_id, &request, ids::now_ms()).await?;
    if store::get(env, id).await?.and_then(|r| r.session_id).is_some() {
        return Ok(());
    }
    let Some(issue_id) = issue_id else {
        return post_activity(env, id, activities::not_an_issue_error()).await;
    };
    let issue = issue(env, issue_id).await?;
    let config = config(env).await?;
    update_plan(env, id, PlanPhase::At(PlanStep::ChooseRepository), None).await?;
    match route(&issue, &config) {
        Route::Chosen { repo, branch, .. } => start(env, created, &issue, &repo, branch).await,
        Route::Classify { candidates } if config.classifier_model.is_some() => {
            let model = config.classifier_model.clone().unwrap_or_default();
            let text = format!("{}\n\n{}", issue.title, issue.description.clone().unwrap_or_default());
            match crate::integrations::classifier::classify(env, &model, &text, &candidates).await {
                Some(repo) => start(env, created, &issue, &repo, config.default_branch.clone()).await,
                None => ask(env, id, &candidates).await,
            }
        }
        Route::Classify { candidates } | Route::Ask { candidates } => ask(env, id, &candidates).await,
        Route::NoRepos => post_activity(env, id, activities::no_repos_error()).await,
    }
}

/// Asks which repository (an elicitation); the answer is the next prompt.
async fn ask(env: &Env, agent_session_id: &str, candidates: &[String]) -> Result<(), JobError> {
    store::set_candidates(env, agent_session_id, candidates).await?;
    post_activity(env, agent_session_id, activities::repo_elicitation(candidates)).await
}

/// The person a Linear user acts as, or `None` after telling them why not.
async fn person_of(
    env: &Env,
    agent_session_id: &str,
    user: &oi_integrations::linear::events::LinearUser,
) -> Result<Option<Caller>, JobError> {
    match crate::integrations::people::acting_person(env, IntegrationName::Linear, user.vendor_user()).await? {
        Ok(user) => Ok(Some(crate::integrations::act_as::caller_of(env, user).await)),
        Err(why) => {
            post_activity(env, agent_session_id, activities::error(&format!("I can't work for you yet: {why}.")))
                .await?;
            Ok(None)
        }
    }
}

async fn person(env: &Env, prompted: &SessionPrompted) -> Result<Option<Caller>, JobError> {
    person_of(env, &prompted.agent_session_id, &prompted.author).await
}

async fn start(
    env: &Env,
    created: &SessionCreated,
    issue: &IssueDetails,
    repo: &str,
    branch: Option<String>,
) -> Result<(), JobError> {
    let agent_session = &created.agent_session_id;
    let Some(creator) = &created.creator else {
        return post_activity(env, agent_session, activities::error("Linear did not say who asked.")).await;
    };
    let Some(caller) = person_of(env, agent_session, creator).await? else { return Ok(()) };
    let session = session_id_of(agent_session);
    if !crate::index_store::exists(env, &session).await? {
        let body = CreateSessionRequest {
            repo: repo.to_string(),
            branch,
            model: match oi_integrations::linear::routing::model_from_labels(&issue.labels) {
                oi_integrations::linear::routing::LabelModel::Chosen(model) => Some(model),
                _ => None,
            },
            title: Some(format!("{} {}", issue.identifier, issue.title.chars().take(70).collect::<String>())),
            private: None,
        };
        let origin = SessionOrigin {
            kind: OriginKind::Linear,
            reference: Some(agent_session.clone()),
            label: Some(issue.identifier.clone()),
            url: Some(issue.url.clone()),
        };
        match start_with_id(env, caller.user.clone(), &body, origin, &session, Default::default()).await {
            Ok(_) => {}
            Err(Failure::Api(refused)) => {
                let error = activities::error(&format!("I could not start a session: {}", refused.message));
                return post_activity(env, agent_session, error).await;
            }
            Err(Failure::Internal(e)) => return Err(JobError::Retry(e.to_string())),
        }
    }
    store::set_session(env, agent_session, &session).await?;
    let url = crate::config::session_page_url(env, &session);
    update_plan(env, agent_session, PlanPhase::At(PlanStep::Work), Some(&url)).await?;
    let text = oi_integrations::linear::prompts::first_prompt(created);
    send_prompt(env, &caller, &session, agent_session, &text, &format!("linear-{agent_session}")).await
}

async fn send_prompt(
    env: &Env,
    caller: &Caller,
    session: &str,
    agent_session: &str,
    text: &str,
    request_id: &str,
) -> Result<(), JobError> {
    let call = Internal::Prompt {
        author: caller.user.clone(),
        request: PromptRequest {
            text: text.to_string(),
            client_request_id: request_id.to_string(),
            model: None,
            attachments: Vec::new(),
        },
    };
    if let Err(refused) = SessionStub::new(env, session)?.call_api(&call).await? {
        let error = activities::error(&format!("I could not take that prompt: {}", refused.message));
        post_activity(env, agent_session, error).await?;
    }
    Ok(())
}

async fn prompt(env: &Env, prompted: &SessionPrompted) -> Result<(), JobError> {
    let agent_session = &prompted.agent_session_id;
    let Some(row) = store::get(env, agent_session).await? else {
        return Err(JobError::Retry("the agent session's `created` delivery has not been handled yet".into()));
    };
    if let (None, Some(candidates)) = (&row.session_id, &row.candidates) {
        // The answer to "which repository?".
        let candidates: Vec<String> = serde_json::from_str(candidates).unwrap_or_default();
        let created: SessionCreated =
            serde_json::from_str(&row.request).map_err(|e| JobError::GiveUp(e.to_string()))?;
        return match oi_integrations::linear::routing::parse_repo_answer(&prompted.body, &candidates) {
            Some(repo) => {
                let issue_id = created.issue.as_ref().map(|i| i.id.clone()).unwrap_or_default();
                let issue = issue(env, &issue_id).await?;
                start(env, &created, &issue, &repo, config(env).await?.default_branch).await
            }
            None => ask(env, agent_session, &candidates).await,
        };
    }
    let Some(session) = row.session_id else { return Ok(()) };
    let Some(caller) = person(env, prompted).await? else { return Ok(()) };
    let text = oi_integrations::linear::prompts::follow_up_prompt(&prompted.body);
    send_prompt(env, &caller, &session, agent_session, &text, &format!("linear-{}", prompted.activity_id)).await
}
