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

use components::me::MeBar;
use identity::{provide_identity, use_identity};
use pages::{
    provide_fresh_secrets, AutomationPage, AutomationsPage, EditAutomationPage, NewAutomationPage, NewSessionPage,
    NotFound, SessionPage, SessionsPage, SettingsPage, SignInScreen,
};

use crate::model::auth::{self, Gate};

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
    let identity = use_identity();
    // Only a change of gate re-renders: a new name (Settings) keeps the app as it is.
    let gate = Memo::new(move |_| identity.me.with(auth::gate));
    move || match gate.get() {
        Gate::Checking => view! { <p class="boot" role="status">"Loading Open Inspect…"</p> }.into_any(),
        Gate::SignIn => view! { <SignInScreen/> }.into_any(),
        Gate::App => view! { <SignedIn/> }.into_any(),
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    provide_fresh_secrets();
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <TopBar/>
            <main id="main" class="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=SessionsPage/>
                    <Route path=path!("/new") view=NewSessionPage/>
                    <Route path=path!("/sessions/:id") view=SessionPage/>
                    <Route path=path!("/automations") view=AutomationsPage/>
                    <Route path=path!("/automations/new") view=NewAutomationPage/>
                    <Route path=path!("/automations/:id/edit") view=EditAutomationPage/>
                    <Route path=path!("/automations/:id") view=AutomationPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Open Inspect"
            </A>
            <nav class="nav" aria-label="Main">
                <A href="/" exact=true>"Sessions"</A>
                <A href="/new">"New session"</A>
                <A href="/automations" attr:data-testid="nav-automations">"Automations"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            <MeBar/>
        </header>
    }
}

/// Sets the document title: "<page> · Open Inspect".
pub(crate) fn set_title(page: &str) {
    document().set_title(&format!("{page} · Open Inspect"));
}

/// The page's path and query (`/sessions/ses_1?x=y`), to come back to after signing in.
pub(crate) fn current_path() -> String {
    let location = window().location();
    format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
}
