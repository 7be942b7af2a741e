//! A scripted test double of an LLM vendor: an OpenAI-compatible `POST /v1/chat/completions`
//! server with SSE streaming and tool calls, speaking OpenAI's real wire format. End-to-end
//! tests drive OpenCode with it, and the local dev stack uses it when no model key is set.
//!
//! # Script
//!
//! A script is a FIFO queue of [`Turn`]s. Every chat request with a non-empty `tools` array
//! consumes the next turn. A request **without** tools (OpenCode's session-title call, or a
//! classifier's call answered by a turn queued with `push_untooled`) never
//! consumes a turn; it gets the text `"Test session"`. Turns are JSON objects tagged by `type`
//! (unknown fields are rejected):
//!
//! ```json
//! {"turns": [
//!   {"type": "text", "text": "Hello world", "delay_ms": 0},
//!   {"type": "text", "chunks": ["Hel", "lo"]},
//!   {"type": "tool_calls", "text": "Creating it.", "delay_ms": 0, "calls": [
//!     {"name": "write", "arguments": {"filePath": "hello.txt", "content": "hi\n"}},
//!     {"name": "bash", "arguments": {"command": "ls", "description": "List files"}, "id": "call_1"}]},
//!   {"type": "slow_text", "count": 400, "delay_ms": 100},
//!   {"type": "error", "status": 429, "message": "Slow down", "error_type": "requests",
//!    "param": null, "code": "rate_limit_exceeded", "retry_after": 2}
//! ]}
//! ```
//!
//! - `text`: exactly one of `text` (split into words, each keeping its leading whitespace) or
//!   `chunks` (sent as given); `finish_reason:"stop"`.
//! - `tool_calls`: optional `text` first, then each call as OpenAI tool-call deltas (a first
//!   fragment with `id`, `type`, `name` and `arguments:""`, then argument fragments);
//!   `finish_reason:"tool_calls"`. `arguments` that is a JSON string is sent verbatim (it may be
//!   invalid JSON on purpose); anything else is serialized. `id` defaults to a generated `call_…`.
//! - `slow_text`: `count` chunks `"chunk 1"`, `" chunk 2"`, … (defaults 400 × 100 ms), for
//!   abort tests. When the client disconnects the stream stops at once.
//! - `error`: only `status` (400–599) is required; the rest defaults by status
//!   ([`ApiError::for_status`]). A 429 always has `Retry-After` (default 1 s).
//! - `delay_ms` is the pause before every chunk between the first chunk and the finish chunk
//!   (the first chunk, the finish chunk, the usage chunk and `[DONE]` are not delayed). Delays
//!   apply only to streamed answers; `stream:false` answers at once.
//!
//! # Default behaviour (empty script)
//!
//! When the queue is empty, a request with tools is answered by [`default_reply::default_turn`]:
//! 1. last message is a `tool` result → the text ``Done. The `NAME` tool finished: FIRST LINE``
//!    for each trailing tool result (NAME found through `tool_call_id`, FIRST LINE of its output
//!    or `(no output)`);
//! 2. else the last user text contains `create <file>` or `write <file>` (filler words such as
//!    `a`, `the`, `file`, `named` skipped; the name must be a relative path with a `.` or `/`)
//!    → a `write` call creating it with [`default_reply::DEFAULT_FILE_CONTENT`], using the
//!    parameter names of the offered `write` schema (OpenCode: `filePath`, `content`); a `bash`
//!    `printf` call if `write` is not offered;
//! 3. else the text `"I am the scripted test model (no real model is configured). You said: <prompt>"`.
//!
//! # HTTP API
//!
//! | Route | What |
//! | --- | --- |
//! | `POST /v1/chat/completions` | OpenAI chat completions; `stream:true` → SSE (with a usage chunk iff `stream_options.include_usage`), else a `chat.completion` object. Malformed → 400 with OpenAI's error body. Any `model` is accepted and echoed. |
//! | `GET /v1/models` | the configured model ids in OpenAI's list format |
//! | `POST /_script` | body `{"turns":[…]}`: appends; answers `{"appended", "remaining"}` |
//! | `GET /_script` | `{"turns":[…]}`: the turns left |
//! | `DELETE /_script` | clears the queue; answers `{"cleared"}` |
//! | `GET /_requests` | every accepted chat request: `[{"seq", "consumed_turn", "reply", "images", "body"}]` (`images`: see below) |
//! | `DELETE /_requests` | forgets them; answers `{"cleared"}` |
//! | `GET /_stats` | `{"active_streams", "chunks_sent", "chat_requests", "streams_cancelled"}` |
//! | `GET /health` | `{"status":"ok"}` |
//!
//! Other paths get 404 and wrong methods 405, both with OpenAI's error body.
//! `consumed_turn` is the index the turn got when pushed (0, 1, 2… for the server's life).
//!
//! # In-process use
//!
//! ```no_run
//! use oi_scripted_model::{ScriptedModel, Turn};
//! use serde_json::json;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let model = ScriptedModel::start("127.0.0.1:0").await?;
//! model.push_all([
//!     Turn::tool_call("bash", json!({"command": "echo hi > hello.txt", "description": "Write hello"})),
//!     Turn::text("All done."),
//! ]);
//! let base_url = model.url(); // "http://127.0.0.1:PORT/v1", for OpenCode's provider baseURL
//! // … run the agent against base_url …
//! assert!(model.remaining().is_empty());
//! assert_eq!(model.requests()[0].consumed_turn, Some(0));
//! # Ok(()) }
//! ```

mod body;
pub mod completion;
pub mod default_reply;
pub mod errors;
mod ids;
pub mod images;
pub mod plan;
pub mod request;
pub mod script;
mod serve;
mod server;
pub mod state;
pub mod stream;

pub use errors::ApiError;
pub use images::ReceivedImage;
pub use script::{Script, ToolCallSpec, Turn};
pub use serve::{Options, ScriptedModel, ScriptedModelHandle, DEFAULT_MODEL};
pub use server::SYSTEM_FINGERPRINT;
pub use state::{RecordedRequest, ReplySource, Stats};
