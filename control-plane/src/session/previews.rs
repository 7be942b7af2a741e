//! The session's previews: a viewer's request to the app its sandbox serves, carried over the
//! bridge (`BridgeCommand::Preview` out; `preview_head` and `preview_body` frames back) and
//! streamed to the viewer; and the link that enters a preview (a ticket for the preview's own
//! origin, `oi_session_core::preview`).
//!
//! Invariant: a preview request reaches the sandbox only from the preview origin's handler
//! (`crate::preview`), as a person the session's access rules let view it, and only while the
//! sandbox's bridge is connected; its answer lives only in this object's memory while it
//! streams.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use futures_channel::mpsc;
use futures_util::StreamExt;
use oi_protocol::bridge::BridgeCommand;
use oi_protocol::preview::{
    PreviewBody, PreviewHead, PreviewLink, PreviewRequest, MAX_PREVIEW_REQUEST_BYTES, PREVIEW_HEAD_TIMEOUT_SECS,
};
use oi_protocol::{ApiError, ErrorCode, Role, SandboxStatus, User};
use oi_session_core::preview::address::{self, PreviewAddress};
use oi_session_core::preview::headers::{from_app, to_app};
use oi_session_core::preview::pass::{self, Kind, TICKET_TTL_SECS};
use worker::{Headers, Request, Response};

use super::effects::Effect;
use super::SessionObject;
use crate::http::{json_response, read_body, Outcome};
use crate::{config, ids};

/// A frame of a preview's answer.
pub enum PreviewFrame {
    Head(PreviewHead),
    Body(PreviewBody),
}

/// The previews answering now: request id → where their frames go.
#[derive(Default)]
pub struct PendingPreviews(RefCell<HashMap<String, mpsc::UnboundedSender<PreviewFrame>>>);

impl PendingPreviews {
    /// Hands a frame from the bridge to its request (a frame for none is dropped).
    pub fn deliver(&self, request_id: &str, frame: PreviewFrame, last: bool) {
        let mut pending = self.0.borrow_mut();
        if let Some(sender) = pending.get(request_id) {
            if sender.unbounded_send(frame).is_err() || last {
                pending.remove(request_id);
            }
        }
    }

    /// The bridge went away: every answer in flight ends.
    pub fn fail_all(&self) {
        self.0.borrow_mut().clear();
    }
}

fn unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::UpstreamUnavailable, message)
}

impl SessionObject {
    /// `POST /previews/:port`: a link that enters the preview of `port` for `user`.
    pub(super) fn preview_link(&self, req: &Request, user: &User, role: Role, port: u16) -> Outcome<Response> {
        let session_id = self.meta()?.summary.id;
        let url = req.url()?;
        let domain = config::preview_domain(&self.env, &url);
        let secret = config::preview_secret(&self.env).ok_or_else(|| {
            ApiError::new(ErrorCode::Misconfigured, "previews need SESSION_SIGNING_KEY, SECRETS_KEY or LOCAL_TOKEN")
        })?;
        let now = ids::now_ms();
        let address = PreviewAddress { session_id: session_id.clone(), port };
        let ticket = pass::issue(Kind::Ticket, &secret, user, role, &address, now / 1000);
        let origin = format!("{}://{}", url.scheme(), address::host(&session_id, port, &domain));
        let link = PreviewLink {
            url: format!("{origin}/__oi/enter?ticket={ticket}"),
            origin,
            expires_at: now + TICKET_TTL_SECS * 1000,
        };
        json_response(201, &link)
    }

    /// A viewer's request to the app on `port`, `target` being its path and query.
    pub(super) async fn serve_preview(&self, mut req: Request, port: u16, target: String) -> Outcome<Response> {
        let meta = self.meta()?;
        let running = matches!(meta.sandbox_status, SandboxStatus::Ready | SandboxStatus::Running);
        if !running || !self.bridge_connected() {
            return Err(unavailable(
                "the session's sandbox is not running, so there is nothing to preview; send a prompt to start it",
            )
            .into());
        }
        let incoming: Vec<(String, String)> = req.headers().entries().collect();
        let body = read_body(&mut req, MAX_PREVIEW_REQUEST_BYTES).await?;
        let request_id = ids::new_id("prv");
        let (sender, mut frames) = mpsc::unbounded();
        self.previews.0.borrow_mut().insert(request_id.clone(), sender);
        let command = PreviewRequest {
            request_id: request_id.clone(),
            port,
            method: req.method().to_string(),
            target,
            headers: to_app(&incoming, port),
            body: if body.is_empty() { String::new() } else { base64::engine::general_purpose::STANDARD.encode(&body) },
        };
        self.run(|turn| {
            turn.emit(Effect::ToBridge(BridgeCommand::Preview(command)));
            Ok(())
        })?;
        let deadline = worker::Delay::from(Duration::from_secs(PREVIEW_HEAD_TIMEOUT_SECS));
        let head = match futures_util::future::select(frames.next(), deadline).await {
            futures_util::future::Either::Left((Some(PreviewFrame::Head(head)), _)) => head,
            futures_util::future::Either::Left(_) => {
                self.previews.0.borrow_mut().remove(&request_id);
                return Err(unavailable("the sandbox went away before the app answered").into());
            }
            futures_util::future::Either::Right(_) => {
                self.previews.0.borrow_mut().remove(&request_id);
                return Err(unavailable(format!(
                    "the app on port {port} did not answer within {PREVIEW_HEAD_TIMEOUT_SECS} s"
                ))
                .into());
            }
        };
        let headers = Headers::new();
        for (name, value) in from_app(&head.headers) {
            headers.append(&name, &value)?;
        }
        if matches!(head.status, 101 | 204 | 205 | 304) {
            self.previews.0.borrow_mut().remove(&request_id);
            return Ok(Response::empty()?.with_status(head.status).with_headers(headers));
        }
        let body = frames.filter_map(|frame| async move {
            match frame {
                PreviewFrame::Body(PreviewBody { error: Some(e), .. }) => {
                    Some(Err(worker::Error::RustError(format!("the preview's body ended early: {e}"))))
                }
                PreviewFrame::Body(b) if !b.data.is_empty() => Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(b.data)
                        .map_err(|e| worker::Error::RustError(e.to_string())),
                ),
                _ => None,
            }
        });
        Ok(Response::from_stream(body)?.with_status(head.status).with_headers(headers))
    }
}
