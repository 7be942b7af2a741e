//! The sign-in screen: what a browser that is not signed in sees instead of the app. With
//! GitHub, "Sign in with GitHub" leaves for GitHub and comes back to this same address; in local
//! mode, the link `scripts/run` printed (it carries the run's token) lets the browser in.

use leptos::prelude::*;
use oi_protocol::rest::AuthMode;

use crate::model::auth;
use crate::ui::api;

#[component]
pub fn SignInScreen() -> impl IntoView {
    crate::ui::set_title("Sign in");
    let href = auth::sign_in_href(&crate::ui::current_path());
    let mode = LocalResource::new(|| async { api::health().await.map(|h| h.auth).unwrap_or(AuthMode::Github) });
    let body = move || match mode.get() {
        None => view! { <p class="muted" role="status">"Checking how to sign in…"</p> }.into_any(),
        Some(AuthMode::Local) => view! {
            <p data-testid="sign-in-local">
                "This Open Inspect runs in local mode: open the link "
                <code>"scripts/run"</code>
                " printed when it started (it carries this run's token). "
                "Scripts and the API send the token as "
                <code>"Authorization: Bearer …"</code>
                "; it is in "
                <code>".open-inspect/local-token"</code>
                "."
            </p>
        }
        .into_any(),
        Some(AuthMode::Github) => view! {
            <p>
                "Open Inspect runs coding agents on your team's repositories. "
                "Sign in with your GitHub account to see and start sessions."
            </p>
            <a class="btn btn-primary sign-in-button" href=href.clone() data-testid="sign-in-github">
                "Sign in with GitHub"
            </a>
            <p class="small muted">
                "Only the people, organisations or email domains this deployment allows can sign in."
            </p>
        }
        .into_any(),
    };
    view! {
        <header class="topbar">
            <span class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Open Inspect"
            </span>
        </header>
        <main id="main" class="main">
            <section class="card sign-in" data-testid="sign-in" aria-labelledby="sign-in-title">
                <h1 id="sign-in-title">"Sign in to Open Inspect"</h1>
                {body}
            </section>
        </main>
    }
}
