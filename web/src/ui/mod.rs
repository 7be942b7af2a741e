//! The Leptos app (wasm32 only): routes, the page frame, and the pieces the pages share.

mod api;
mod components;
mod identity;
mod pages;
mod scroll;
mod session_store;
mod socket;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use components::feedback::ErrorBanner;
use identity::{provide_identity, use_identity};
use pages::{NewSessionPage, NotFound, SessionPage, SessionsPage, SettingsPage};

use crate::model::load::Load;

/// Mounts the app in place of the loading note of `index.html`.
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    provide_identity();
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <TopBar/>
            <main id="main" class="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=SessionsPage/>
                    <Route path=path!("/new") view=NewSessionPage/>
                    <Route path=path!("/sessions/:id") view=SessionPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let identity = use_identity();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Open Inspect"
            </A>
            <nav class="nav" aria-label="Main">
                <A href="/" exact=true>"Sessions"</A>
                <A href="/new">"New session"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            <div class="me" data-testid="me">
                {move || match identity.me.get() {
                    Load::Loading => view! { <span class="muted">"…"</span> }.into_any(),
                    Load::Ready(me) => view! {
                        <A href="/settings" attr:class="me-link" attr:title="Change who you are (Settings)">
                            <span class="avatar" aria-hidden="true">{crate::model::format::initials(&me.user.name)}</span>
                            <span class="sr-only">"Signed in as "</span>
                            <span data-testid="me-name">{me.user.name}</span>
                        </A>
                    }.into_any(),
                    Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
                }}
            </div>
        </header>
    }
}

/// Sets the document title: "<page> · Open Inspect".
pub(crate) fn set_title(page: &str) {
    document().set_title(&format!("{page} · Open Inspect"));
}
