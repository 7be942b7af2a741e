//! The session page: loads the session, then opens it live: header, transcript, queue,
//! prompt box, and the side panels (people, sandbox, pull request, artifacts and the media
//! gallery, changes); any thumbnail opens the media lightbox.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use oi_protocol::client::ClientMessage;
use oi_protocol::session::PresenceStatus;
use oi_protocol::SessionState;

use super::session_composer::Composer;
use super::session_side::{Artifacts, Changes};
use crate::model::format;
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading, MaybeError};
use crate::ui::components::lightbox::LightboxView;
use crate::ui::components::media::MediaViewer;
use crate::ui::components::origin::OriginLine;
use crate::ui::components::participants::Participants;
use crate::ui::components::pull_request::{PullRequestBadge, PullRequestPanel};
use crate::ui::components::queue::QueuePanel;
use crate::ui::components::sandbox_panel::SandboxPanel;
use crate::ui::components::status::{ConnectionBadge, SessionStatusBadge};
use crate::ui::components::transcript::TranscriptView;
use crate::ui::session_store::SessionStore;

#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || view! { <SessionLoader id=id.get()/> }
}

#[component]
fn SessionLoader(id: String) -> impl IntoView {
    crate::ui::set_title("Session");
    let load = RwSignal::new(Load::<SessionState>::Loading);
    let fetch = {
        let id = id.clone();
        move || {
            let id = id.clone();
            load.set(Load::Loading);
            spawn_local(async move { load.set(Load::from_result(api::session(&id).await)) });
        }
    };
    fetch();
    let retry = Callback::new(move |()| fetch());
    // Only the step from loading to loaded re-renders: the live view then keeps itself current.
    let phase = Memo::new(move |_| match load.get() {
        Load::Loading => 0,
        Load::Ready(_) => 1,
        Load::Failed(_) => 2,
    });
    move || match phase.get() {
        1 => load.get_untracked().ready().cloned().map(|state| view! { <SessionView state/> }.into_any()),
        2 => load
            .get_untracked()
            .error()
            .cloned()
            .map(|error| view! { <section class="page"><ErrorBanner error retry/></section> }.into_any()),
        _ => Some(view! { <section class="page"><Loading label="Loading the session…"/></section> }.into_any()),
    }
}

#[component]
fn SessionView(state: SessionState) -> impl IntoView {
    crate::ui::set_title(&format::session_name(&state.summary));
    let store = SessionStore::open(state.summary.id.clone(), state);
    let viewer = MediaViewer::new(store);
    // Hidden tab: idle; back: active.
    let visibility = window_event_listener(leptos::ev::visibilitychange, move |_| {
        let status = if document().hidden() { PresenceStatus::Idle } else { PresenceStatus::Active };
        store.send(ClientMessage::Presence { status });
    });
    on_cleanup(move || visibility.remove());
    view! {
        <section class="page session-page" data-testid="session-page" data-session-id=move || store.id.get_value()>
            <SessionHeader store/>
            {move || store.sync_error.get().map(|e| view! {
                <div class="alert alert-error" role="alert" data-testid="sync-error">
                    "The live view fell out of step ("{e}"). Reload the page to resync."
                </div>
            })}
            <div class="session-grid">
                <div class="session-main">
                    <TranscriptView store viewer/>
                    <QueuePanel store/>
                    <MaybeError error=store.refused.into()/>
                    <Composer store/>
                </div>
                <aside class="session-side" aria-label="Session details">
                    <Participants store/>
                    <SandboxPanel store/>
                    <PullRequestPanel store/>
                    <Artifacts store viewer/>
                    <Changes store/>
                </aside>
            </div>
            <LightboxView viewer/>
        </section>
    }
}

#[component]
fn SessionHeader(store: SessionStore) -> impl IntoView {
    let summary = Memo::new(move |_| store.state.with(|s| s.as_ref().map(|s| s.summary.clone())));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None);
    let toggle_archive = move |_| {
        let Some(s) = summary.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            if let Err(e) = api::set_archived(&s.id, !s.archived).await {
                error.set(Some(e));
            }
            busy.set(false);
        });
    };
    view! {
        <header class="session-header">
            {move || summary.get().map(|s| view! {
                <div class="session-title-row">
                    <h1 data-testid="session-title">{format::session_name(&s)}</h1>
                    <SessionStatusBadge status=s.status/>
                    {s.archived.then(|| view! { <span class="badge badge-neutral" data-testid="archived-badge">"Archived"</span> })}
                    <PullRequestBadge store/>
                </div>
                <p class="session-meta small muted">
                    <code>{s.repo.clone()}</code>
                    <span>" · base "<code>{s.branch.clone()}</code></span>
                    <span>" · "{s.model.clone()}</span>
                    <span>" · started by "{s.created_by.name.clone()}</span>
                </p>
                <OriginLine origin=s.origin.clone()/>
            })}
            <div class="session-actions">
                <ConnectionBadge connection=store.connection.into()/>
                <button type="button" class="btn btn-small" data-testid="session-archive" disabled=move || busy.get()
                    on:click=toggle_archive>
                    {move || if summary.with(|s| s.as_ref().is_some_and(|s| s.archived)) { "Unarchive" } else { "Archive" }}
                </button>
            </div>
            <MaybeError error=error.into()/>
        </header>
    }
}
