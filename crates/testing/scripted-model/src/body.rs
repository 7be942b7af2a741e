//! The streamed (SSE) HTTP body. It stops as soon as the connection drops it, and counts what
//! it sent so tests can check that a disconnected client stops the stream.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::state::Shared;
use crate::stream::StreamEvent;

/// What the body stream owns; dropping it (stream finished or client gone) updates the stats.
struct StreamState {
    events: VecDeque<StreamEvent>,
    shared: Arc<Shared>,
    seq: u64,
    sent: usize,
}

impl Drop for StreamState {
    fn drop(&mut self) {
        self.shared.active_streams.fetch_sub(1, Ordering::SeqCst);
        if !self.events.is_empty() {
            self.shared.streams_cancelled.fetch_add(1, Ordering::SeqCst);
            tracing::info!(
                seq = self.seq,
                sent = self.sent,
                left = self.events.len(),
                "client went away mid-stream; stream stopped"
            );
        }
    }
}

/// A `200 text/event-stream` response sending `events`, each after its delay.
pub fn sse_response(shared: Arc<Shared>, seq: u64, events: Vec<StreamEvent>) -> Response {
    shared.active_streams.fetch_add(1, Ordering::SeqCst);
    let state = StreamState { events: events.into(), shared, seq, sent: 0 };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let event = st.events.pop_front()?;
        if !event.delay.is_zero() {
            tokio::time::sleep(event.delay).await;
        }
        st.sent += 1;
        st.shared.chunks_sent.fetch_add(1, Ordering::SeqCst);
        Some((Ok::<Bytes, Infallible>(Bytes::from(event.data)), st))
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
