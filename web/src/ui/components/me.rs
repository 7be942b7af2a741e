//! Who is using the app, in the top bar: the name (a link to Settings), "Local mode" when there
//! is no sign-in, the role when it is admin, and "Sign out" when signed in with GitHub.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use oi_protocol::rest::Me;
use oi_protocol::ApiError;

use super::feedback::{ErrorBanner, MaybeError};
use crate::model::auth;
use crate::model::format::initials;
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::identity::use_identity;

#[component]
pub fn MeBar() -> impl IntoView {
    let identity = use_identity();
    view! {
        <div class="me" data-testid="me">
            {move || match identity.me.get() {
                Load::Loading => view! { <span class="muted">"…"</span> }.into_any(),
                Load::Ready(me) => view! { <Person me/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Person(me: Me) -> impl IntoView {
    let local = auth::is_local(&me);
    let mode = auth::mode_label(&me);
    let role = auth::role_label(&me);
    let sign_out = auth::can_sign_out(&me);
    let link_title = if local { "Change who you are (Settings)" } else { "You (Settings)" };
    view! {
        {mode.map(|(label, title)| view! {
            <span class="badge badge-neutral" data-testid="auth-mode" title=title>{label}</span>
        })}
        <A href="/settings" attr:class="me-link" attr:title=link_title>
            <span class="avatar" aria-hidden="true">{initials(&me.user.name)}</span>
            <span class="sr-only">{if local { "Acting as " } else { "Signed in as " }}</span>
            <span data-testid="me-name">{me.user.name}</span>
        </A>
        {role.map(|(label, title)| view! {
            <span class="badge badge-neutral" data-testid="me-role" title=title>{label}</span>
        })}
        {sign_out.then(|| view! { <SignOut/> })}
    }
}

/// Ends the web session, then reloads: the page comes back as the sign-in screen.
#[component]
fn SignOut() -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let sign_out = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::logout().await {
                Ok(()) => {
                    let _ = window().location().reload();
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <button type="button" class="btn btn-small" data-testid="sign-out" on:click=sign_out disabled=move || busy.get()>
            {move || if busy.get() { "Signing out…" } else { "Sign out" }}
        </button>
        <MaybeError error=error.into()/>
    }
}
