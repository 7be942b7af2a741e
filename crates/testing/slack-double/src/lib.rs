//! A test double of Slack that speaks Slack's wire formats (`contracts/`, copied from
//! `shared/contracts/slack/`): the Web API methods the product calls, checked against Slack's
//! own OpenAPI spec, and the Events API deliveries and `block_actions` interactions Slack
//! sends, signed as Slack signs them.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use oi_slack_double::{ChannelConfig, SlackConfig, SlackDouble, UserConfig};
//! let config = SlackConfig::new("xoxb-test-token", "signing-secret")
//!     .channel(ChannelConfig::public("C0123DEV", "dev"))
//!     .user(UserConfig::new("U0ADA", "ada").real_name("Ada Lovelace").email("ada@example.com"));
//! let slack = SlackDouble::start(config).await?;
//! // Point the product's Slack API base (https://slack.com/api) at {slack.url()}/api.
//! slack.set_events_url("http://127.0.0.1:8787/api/integrations/slack/events");
//! slack.set_interactions_url("http://127.0.0.1:8787/api/integrations/slack/interactions");
//! let text = format!("{} fix the flaky test", slack.bot_mention());
//! let (ts, reply) = slack.send_app_mention("C0123DEV", "U0ADA", &text, None).await?;
//! assert_eq!(reply.status, 200);
//! let posted = slack.wait_for_messages("C0123DEV", 2, std::time::Duration::from_secs(5)).await?;
//! // …the product answered in the thread; a person presses its button:
//! slack.click("C0123DEV", &posted[1].ts, "stop_session", "U0ADA").await?;
//! slack.assert_no_violations();
//! # let _ = ts; Ok(()) }
//! ```
//!
//! # Web API (`<url>/api/<method>`)
//!
//! | Method | Answers | Errors |
//! | --- | --- | --- |
//! | `chat.postMessage` | `channel`, `ts`, `message` (the app's: `user` the bot user, `bot_id`, `app_id`, `bot_profile`, `blocks` with made-up `block_id`s / `action_id`s where missing) | `channel_not_found` (unknown id or name; a person's `U…` id opens their DM), `not_in_channel`, `no_text` (no `text`, `blocks` or `attachments`), `msg_too_long` (`text` over 40,000 characters), `invalid_blocks` (with Slack's `response_metadata.messages`), `invalid_blocks_format` |
//! | `chat.update` | `channel`, `ts`, `text`, `message`; given fields replace, others stay (`blocks: []` clears) | `channel_not_found`, `message_not_found`, `cant_update_message` (not the app's message), `no_text`, `msg_too_long`, `invalid_blocks` |
//! | `reactions.add` | `{}` | `no_item_specified`, `invalid_name` (colons, capitals, …), `channel_not_found`, `message_not_found`, `already_reacted` |
//! | `conversations.replies` | `messages` (the parent with `reply_count`, `reply_users`, `latest_reply`, then the replies with `parent_user_id`), `has_more`, `response_metadata.next_cursor`; `limit` (≤ 1000), `cursor`, `oldest`, `latest`, `inclusive`; a reply's `ts` answers that reply alone | `channel_not_found`, `thread_not_found`, `invalid_cursor` |
//! | `users.info` | `user` (`id`, `name`, `real_name`, `profile.email`, `is_bot`, …; the app's bot user too) | `user_not_found` |
//! | `auth.test` | `url`, `team`, `user`, `team_id`, `user_id`, `bot_id` | |
//! | anything else | | `unknown_method` (and a violation) |
//!
//! Every answer is HTTP 200 with `ok`, as on Slack, except: [`SlackDouble::rate_limit_next`]
//! (429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`) and
//! [`SlackDouble::set_down`] (503 with an HTML page for every request: a Slack outage shows as a
//! 5xx from its edge, not as `ok:false`). [`SlackDouble::fail_next`] answers a chosen error
//! code. Authentication: `Authorization: Bearer <bot token>` (or a `token` form or query
//! parameter, which Slack also takes; not a `token` in a JSON body): none → `not_authed`,
//! another → `invalid_auth`. Bodies: `application/json` or `application/x-www-form-urlencoded`
//! for POST (the form's `blocks`/`attachments` as JSON text), the query for GET.
//!
//! # What it checks
//!
//! Every request is recorded ([`SlackDouble::requests`], [`SlackDouble::calls`]); what breaks
//! the contract goes to [`SlackDouble::violations`], which tests assert empty
//! ([`SlackDouble::assert_no_violations`]): a method outside the subset, a parameter not in the
//! spec's list for the method, a required one missing (the contract README's table), a wrong
//! type (the spec's `boolean`/`integer`/`number`/`string`; timestamps must look like
//! `1700000000.000100`), a GET to a POST method, a JSON body to a method whose spec consumes
//! only forms, `token` in a JSON body, a POST without a content type, the malformed-request
//! errors above (`no_text`, `msg_too_long`, `invalid_blocks`, `invalid_name`, …), a
//! `thread_ts` that names no message, and misuse of a `response_url`.
//!
//! # Slack → the product
//!
//! [`EventsSender`] delivers envelopes (`url_verification`, `app_mention`, `message`,
//! `bot_message`, the app's own message) with `X-Slack-Request-Timestamp` and
//! `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:<ts>:<body>")>` ([`signing`]), resends
//! one as Slack's retries do (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`), sends forged or
//! stale requests ([`EventsSender::send_raw`]) and posts interactions as
//! `payload=<JSON>` forms. [`SlackDouble::click`] and [`SlackDouble::choose`] find an element
//! in a message the product posted and deliver the `block_actions` payload a person's click
//! or choice makes, with a `response_url` the double serves.

mod api;
pub mod blocks;
mod config;
mod contract;
mod events;
mod ids;
mod interactions;
mod methods;
mod record;
mod render;
mod server;
pub mod signing;
mod state;

pub use config::{ChannelConfig, ChannelKind, SlackConfig, UserConfig, DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET};
pub use contract::{documented_errors, success_keys, WEB_API_SPEC};
pub use events::{interaction_body, rich_text, EventsSender, Reply, Workspace};
pub use methods::MAX_TEXT_CHARS;
pub use record::RecordedRequest;
pub use server::SlackDouble;
pub use state::{Message, MessageUpdate, Reaction, ResponseUrlPost};
