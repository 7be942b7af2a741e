//! The running double: binds 127.0.0.1 on a free port, serves until dropped. Routes:
//! `/graphql` (api.linear.app's), `/oauth/authorize` (linear.app's) and `/oauth/token`
//! (api.linear.app's), all on the one origin.

use std::sync::Arc;

use anyhow::{Context, Result};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::LinearConfig;
use crate::state::Shared;
use crate::{graphql, oauth};

/// The largest request body the double accepts.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A Linear test double. Point the product's `https://api.linear.app` and
/// `https://linear.app` at [`LinearDouble::url`]. Dropping it stops the server.
pub struct LinearDouble {
    pub(crate) url: String,
    pub(crate) shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LinearDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearDouble").field("url", &self.url).finish_non_exhaustive()
    }
}

impl LinearDouble {
    /// Checks `config` (issues' teams, states, labels and projects resolve; ids are unique),
    /// binds `127.0.0.1:0` and serves on the current Tokio runtime.
    pub async fn start(config: LinearConfig) -> Result<Self> {
        // Parse the contract now, so a broken schema fails here and not in a handler.
        let _ = crate::schema::linear_schema();
        let shared = Arc::new(Shared::new(config).context("invalid linear-double config")?);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.context("binding the linear double")?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let graceful = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            let _ = graceful.await;
        });
        Ok(Self { url, shared, shutdown: Some(shutdown), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `<url>/graphql`, where the product would call `https://api.linear.app/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url)
    }

    /// `<url>/oauth/authorize` (Linear's is on `https://linear.app`).
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/authorize", self.url)
    }

    /// `<url>/oauth/token` (Linear's is on `https://api.linear.app`).
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LinearDouble {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let verb = parts.method.as_str();
    let response = {
        let mut inner = shared.lock();
        match (verb, parts.uri.path()) {
            (_, "/graphql") => {
                let answer = graphql::handle(&mut inner, verb, &parts.headers, &body);
                let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
                let mut response = (status, answer.body.to_string()).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
                for (name, value) in answer.headers {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        headers.insert(name, value);
                    }
                }
                response
            }
            ("GET", "/oauth/authorize") => {
                oauth::authorize::authorize(&mut inner, parts.uri.query().unwrap_or_default())
            }
            ("POST", "/oauth/token") => oauth::token::token(&mut inner, &parts.headers, &body),
            (verb, path) => {
                inner.violation(format!("{verb} {path}: not a Linear endpoint the double serves"));
                (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], Body::from("Not Found")).into_response()
            }
        }
    };
    shared.changed.notify_waiters();
    response
}
