//! A test double of Linear that speaks Linear's wire formats (`contract/`, copied from
//! `shared/contracts/linear/`): the GraphQL operations an agent integration sends, validated
//! against Linear's own SDL, OAuth for apps, and signed `AgentSessionEvent` webhooks. Comments
//! cite the contract by heading (contract "Inbound webhooks" is that section of
//! `contract/CONTRACT.md`); `README.md` lists what comes from elsewhere.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use oi_linear_double::{IssueConfig, LinearConfig, LinearDouble, Prompt, SessionCreated, TeamConfig, UserConfig};
//! let config = LinearConfig::new()
//!     .user(UserConfig::new("user-ada", "Ada Lovelace", "ada@example.com"))
//!     .team(TeamConfig::new("ENG", "Engineering"))
//!     .issue(IssueConfig::new("ENG-123", "Fix the flaky test").description("It fails on CI."))
//!     .webhook_url("http://127.0.0.1:8787/api/integrations/linear/webhook");
//! let linear = LinearDouble::start(config).await?;
//! // Point the product's https://api.linear.app/graphql at linear.graphql_url().
//! let (session, delivery) = linear.send_session_created(&SessionCreated::delegated("ENG-123", "user-ada")).await?;
//! assert!(delivery.accepted_in_time());
//! let activities = linear.wait_for_activities(&session, 1, std::time::Duration::from_secs(10)).await?;
//! assert_eq!(activities[0].kind(), "thought");
//! linear.send_prompt(&session, &Prompt::new("user-ada", "Stop, please").stop()).await?;
//! linear.assert_no_violations();
//! # Ok(()) }
//! ```
//!
//! # GraphQL (`POST <url>/graphql`)
//!
//! Every document is parsed and validated with apollo-compiler against the contract's SDL
//! excerpt plus stubs for the missing types the product reads (`stubs/missing-types.graphql`,
//! written from Linear's docs) and generated placeholders for the rest ([`schema`]): an unknown
//! field or argument, a missing required argument, a variable of the wrong type, an input
//! object with unknown or missing required fields are violations, answered 400 `graphql error`
//! or `invalid input`. Valid operations run on the double's state:
//!
//! | Operation | Effect |
//! | --- | --- |
//! | `agentActivityCreate(input)` | records the activity (content checked against the `AgentActivity*Content` type of its `type`; `ephemeral` only for thought/action); the session becomes awaitingInput (elicitation), complete (response), error (error) or active |
//! | `agentSessionUpdate(id, input)` | `plan`, `externalUrls` (replace) or `addedExternalUrls`/`removedExternalUrls`, `externalLink` |
//! | `issueUpdate(id, input)` | `stateId` (a state of the issue's team), `labelIds`/`addedLabelIds`/`removedLabelIds`, `title`, `description`, `assigneeId`, `delegateId`, `priority`, `projectId` |
//! | `commentCreate(input)` | a comment on `issueId` (UUID or `ENG-123`) or a reply to `parentId` |
//! | `issue(id)`, `agentSession(id)`, `comment(id)`, `viewer` | the entity, with team, state, labels, project, comments, activities, users |
//!
//! Authentication: `Authorization: Bearer <token>` (configured app tokens, or tokens from the
//! OAuth flow) or a bare personal API key; a missing, unknown or expired token answers 401 with
//! `extensions.type: "authentication error"`. Every answer carries `x-ratelimit-requests-*` and
//! `x-ratelimit-complexity-*`; [`LinearDouble::rate_limit_next`] answers 429 `ratelimited`,
//! [`LinearDouble::fail_next`] any error type.
//!
//! # OAuth
//!
//! `GET /oauth/authorize` (approves at once as [`LinearDouble::set_authorize_decision`] says;
//! `actor=app` tokens act as the app user) and `POST /oauth/token` (authorization code and
//! refresh token grants; refresh tokens rotate; lifetimes from [`LinearConfig::token_lifetime`]).
//!
//! # Linear → the product
//!
//! [`LinearDouble::send_session_created`] and [`LinearDouble::send_prompt`] create the session
//! or prompt in the double's state and deliver `AgentSessionEvent` `created` / `prompted`,
//! signed (`Linear-Signature`: hex HMAC-SHA256 of the body, [`signing`]) with `Linear-Delivery`
//! and `Linear-Event`; [`LinearDouble::send_raw`] sends forgeries, [`LinearDouble::resend`]
//! replays, [`LinearDouble::set_clock_skew`] moves `webhookTimestamp`. Each [`Delivery`] keeps
//! the answer and its elapsed time (Linear's deadline is 5 s).

mod clock;
mod config;
mod controls;
mod graphql;
mod ids;
mod oauth;
mod ratelimit;
mod record;
pub mod schema;
mod sending;
mod server;
pub mod signing;
mod state;
mod webhooks;

pub use config::{
    IssueConfig, LabelConfig, LinearConfig, OAuthAppConfig, OrganizationConfig, ProjectConfig, StateConfig, TeamConfig,
    UserConfig, DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_LIFETIME,
    DEFAULT_WEBHOOK_SECRET,
};
pub use graphql::errors::LinearErrorType;
pub use ids::{derived_uuid, uuid};
pub use oauth::{Actor, AuthorizeDecision, TokenGrant};
pub use ratelimit::{COMPLEXITY_LIMIT, REQUESTS_LIMIT};
pub use record::{Delivery, RecordedOperation};
pub use server::LinearDouble;
pub use state::{Activity, AgentSession, Comment, ExternalUrl, Issue, StateChange};
pub use webhooks::{Prompt, SessionCreated, AGENT_SESSION_EVENT};
