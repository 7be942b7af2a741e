//! Loading, empty and error states, the same on every page.

use leptos::prelude::*;
use oi_protocol::{ApiError, ErrorCode};

use crate::model::auth;

/// An API error, shown as its message (never a blank page).
#[component]
pub fn ErrorBanner(error: ApiError, #[prop(optional, into)] retry: Option<Callback<()>>) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert" data-testid="error" data-code=error.code.as_str()>
            <span class="alert-text">{error.message}</span>
            {(error.code == ErrorCode::Unauthorized).then(|| view! {
                <a class="btn btn-small" href=auth::sign_in_href(&crate::ui::current_path()) data-testid="sign-in-again">
                    "Sign in again"
                </a>
            })}
            {retry.map(|retry| view! {
                <button type="button" class="btn btn-small" on:click=move |_| retry.run(())>"Try again"</button>
            })}
        </div>
    }
}

/// An error that may come and go.
#[component]
pub fn MaybeError(error: Signal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|error| view! { <ErrorBanner error/> })
}

#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite" data-testid="loading">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

#[component]
pub fn Empty(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <div class="empty" data-testid="empty">
            <p class="empty-title">{title}</p>
            {children()}
        </div>
    }
}
