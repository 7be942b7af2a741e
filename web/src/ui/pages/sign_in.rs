//! The sign-in screen: what a browser that is not signed in sees instead of the app (GitHub
//! mode). "Sign in with GitHub" leaves for GitHub and comes back to this same address.

use leptos::prelude::*;

use crate::model::auth;

#[component]
pub fn SignInScreen() -> impl IntoView {
    crate::ui::set_title("Sign in");
    let href = auth::sign_in_href(&crate::ui::current_path());
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
                <p>
                    "Open Inspect runs coding agents on your team's repositories. "
                    "Sign in with your GitHub account to see and start sessions."
                </p>
                <a class="btn btn-primary sign-in-button" href=href data-testid="sign-in-github">
                    "Sign in with GitHub"
                </a>
                <p class="small muted">
                    "Only the people, organisations or email domains this deployment allows can sign in."
                </p>
            </section>
        </main>
    }
}
