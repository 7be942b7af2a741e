//! Where a session came from: a badge in the sessions list, and the line on the session page
//! ("Started by the automation Nightly deps") that links back to it.

use leptos::prelude::*;
use leptos_router::components::A;
use oi_protocol::origin::SessionOrigin;

use crate::model::origin::{self, OriginLink};

/// `Automation · Nightly deps`; nothing for a session started on the web page.
#[component]
pub fn OriginBadge(origin: SessionOrigin) -> impl IntoView {
    origin::view(&origin).map(|v| {
        view! {
            <span class="badge badge-origin" data-testid="origin-badge" data-origin=v.kind
                title=v.lead>{v.badge}</span>
        }
    })
}

/// `Started by the automation <link>`; nothing for a session started on the web page.
#[component]
pub fn OriginLine(origin: SessionOrigin) -> impl IntoView {
    origin::view(&origin).map(|v| {
        let named = v.name.is_some();
        let name = v.name.clone().or_else(|| v.link.as_ref().map(|l| l.href().to_string())).unwrap_or_default();
        let link = match (v.link, named) {
            (Some(OriginLink::Internal(href)), _) => {
                view! { <A href=href attr:data-testid="origin-link">{name}</A> }.into_any()
            }
            (Some(OriginLink::External(href)), _) => view! {
                <a href=href target="_blank" rel="noopener noreferrer" data-testid="origin-link">{name}</a>
            }
            .into_any(),
            (None, true) => view! { <strong>{name}</strong> }.into_any(),
            (None, false) => ().into_any(),
        };
        view! {
            <p class="session-origin small" data-testid="session-origin" data-origin=v.kind>
                {v.lead}" "{link}
            </p>
        }
    })
}
