//! Who is in the session right now, and whether they are active, idle or typing.

use leptos::prelude::*;

use crate::model::format;
use crate::ui::identity::use_identity;
use crate::ui::session_store::SessionStore;

#[component]
pub fn Participants(store: SessionStore) -> impl IntoView {
    let identity = use_identity();
    let people =
        Memo::new(move |_| store.state.with(|s| s.as_ref().map(|s| s.participants.clone()).unwrap_or_default()));
    view! {
        <section class="panel" aria-labelledby="people-title">
            <h2 class="panel-title" id="people-title">"People here"</h2>
            <ul class="participants" data-testid="participants">
                <For each=move || people.get() key=|p| (p.user.id.clone(), p.status, p.connections) let:p>
                    {
                        let me = identity.user_id().as_deref() == Some(p.user.id.as_str());
                        let status = format::presence(p.status);
                        view! {
                            <li class="participant" data-testid="participant"
                                data-name=p.user.name.clone() data-presence=status.trim_end_matches('…').to_string()>
                                <span class="avatar" aria-hidden="true">{format::initials(&p.user.name)}</span>
                                <span class="participant-name">{p.user.name.clone()}{me.then_some(" (you)")}</span>
                                <span class="presence muted small">{status}</span>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || people.with(Vec::is_empty)>
                <p class="muted small">"Nobody else is here."</p>
            </Show>
        </section>
    }
}
