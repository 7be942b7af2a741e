//! Small status pills: session status, sandbox status, the live connection.

use leptos::prelude::*;
use oi_protocol::session::SandboxStatus;
use oi_protocol::SessionStatus;

use crate::model::connection::Connection;
use crate::model::format;

#[component]
pub fn SessionStatusBadge(status: SessionStatus) -> impl IntoView {
    view! {
        <span class=format!("badge badge-{}", format::session_tone(status)) data-testid="session-status"
            data-status=status.as_str()>
            {format::session_status(status)}
        </span>
    }
}

#[component]
pub fn SandboxBadge(status: SandboxStatus) -> impl IntoView {
    view! {
        <span class=format!("badge badge-{}", format::sandbox_tone(status)) data-testid="sandbox-status"
            data-status=status.as_str()>
            {format::sandbox_status(status)}
        </span>
    }
}

/// Live, connecting or reconnecting; announced to screen readers when it changes.
#[component]
pub fn ConnectionBadge(connection: Signal<Connection>) -> impl IntoView {
    let state = move || match connection.get() {
        Connection::Live => "live",
        Connection::Connecting => "connecting",
        Connection::Reconnecting { .. } => "reconnecting",
        Connection::Closed { .. } => "closed",
    };
    view! {
        <span class=move || format!("badge badge-{} connection", connection.get().tone())
            role="status" aria-live="polite" data-testid="connection" data-state=state>
            <span class="dot" aria-hidden="true"></span>
            {move || connection.get().label()}
        </span>
    }
}
