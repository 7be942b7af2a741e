//! Prompts waiting their turn, each cancellable before it runs.

use leptos::prelude::*;
use oi_protocol::client::ClientMessage;
use oi_protocol::session::QueuedPrompt;

use crate::model::format;
use crate::model::timeline::waiting_prompts;
use crate::ui::session_store::SessionStore;

#[component]
pub fn QueuePanel(store: SessionStore) -> impl IntoView {
    let waiting = Memo::new(move |_| store.state.with(|s| s.as_ref().map(waiting_prompts).unwrap_or_default()));
    view! {
        <Show when=move || !waiting.with(Vec::is_empty)>
            <section class="queue" aria-labelledby="queue-title" data-testid="queue">
                <h2 class="panel-title" id="queue-title">"Queued prompts"</h2>
                <ol class="queue-list">
                    <For each=move || waiting.get() key=|p| p.message_id.clone() let:prompt>
                        <QueuedItem store prompt/>
                    </For>
                </ol>
            </section>
        </Show>
    }
}

#[component]
fn QueuedItem(store: SessionStore, prompt: QueuedPrompt) -> impl IntoView {
    let message_id = prompt.message_id.clone();
    let cancelling = RwSignal::new(false);
    let cancel = move |_| {
        cancelling.set(true);
        if !store.send(ClientMessage::CancelPrompt { message_id: message_id.clone() }) {
            cancelling.set(false);
            store.refused.set(Some(oi_protocol::ApiError::new(
                oi_protocol::ErrorCode::Conflict,
                "not connected; try again once the session is live",
            )));
        }
    };
    let excerpt: String = prompt.text.chars().take(80).collect();
    view! {
        <li class="queued" data-testid="queued-prompt" data-message-id=prompt.message_id.clone()>
            <span class="avatar" aria-hidden="true">{format::initials(&prompt.author.name)}</span>
            <div class="queued-body">
                <p class="small"><strong>{prompt.author.name.clone()}</strong>" · "{format::prompt_status(prompt.status)}</p>
                <p class="queued-text">{prompt.text.clone()}</p>
            </div>
            <button type="button" class="btn btn-small" data-testid="cancel-prompt"
                aria-label=format!("Cancel queued prompt: {excerpt}")
                disabled=move || cancelling.get() on:click=cancel>
                {move || if cancelling.get() { "Cancelling…" } else { "Cancel" }}
            </button>
        </li>
    }
}
