//! The follow-up prompt box of a session, with its attached images and the stop button. Keys
//! tell the others we are typing (at most every two seconds); a pause puts us back to "active".

use std::time::Duration;

use leptos::html::Form;
use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::client::ClientMessage;
use oi_protocol::rest::PromptRequest;
use oi_protocol::session::PresenceStatus;
use oi_protocol::ApiError;

use super::session_attachments::{AttachButton, AttachmentChips, PromptImages};
use crate::model::attachments::{request_key, PendingAttachments};
use crate::model::compose::{request_id, RequestIds, TypingThrottle, TYPING_IDLE_MS};
use crate::model::timeline::can_stop;
use crate::ui::api;
use crate::ui::components::feedback::MaybeError;
use crate::ui::components::prompt_box::PromptBox;
use crate::ui::session_store::SessionStore;

#[component]
pub fn Composer(store: SessionStore) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let stopping = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let ids = StoredValue::new(RequestIds::default());
    let throttle = StoredValue::new(TypingThrottle::default());
    let idle_timer = StoredValue::new_local(None::<TimeoutHandle>);
    let archived = Memo::new(move |_| store.state.with(|s| s.as_ref().is_some_and(|s| s.summary.archived)));
    let images = PromptImages::new(store.id.get_value(), archived.into());
    images.refuse_drops_elsewhere();
    let uploading = Memo::new(move |_| images.pending.with(PendingAttachments::is_uploading));
    let form = NodeRef::<Form>::new();
    let stoppable = Memo::new(move |_| store.state.with(|s| s.as_ref().is_some_and(can_stop)));

    let back_to_active = move || {
        throttle.update_value(TypingThrottle::reset);
        store.send(ClientMessage::Presence { status: PresenceStatus::Active });
    };
    let on_typing = Callback::new(move |()| {
        if throttle.try_update_value(|t| t.on_input(js_sys::Date::now())).unwrap_or(false) {
            store.send(ClientMessage::Typing);
        }
        if let Some(handle) = idle_timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(back_to_active, Duration::from_millis(TYPING_IDLE_MS.into())).ok();
        idle_timer.set_value(handle);
    });

    let send = Callback::new(move |()| {
        let prompt = text.get_untracked();
        if sending.get_untracked() || prompt.trim().is_empty() {
            return;
        }
        let attachments = match images.pending.with_untracked(PendingAttachments::ready_ids) {
            Ok(media_ids) => media_ids,
            Err(not_ready) => return images.notes.set(vec![not_ready.message().to_string()]),
        };
        let key = request_key(&prompt, &attachments);
        let client_request_id = ids
            .try_update_value(|ids| ids.for_text(&key, || request_id(js_sys::Date::now(), js_sys::Math::random())))
            .unwrap_or_default();
        let id = store.id.get_value();
        sending.set(true);
        error.set(None);
        spawn_local(async move {
            let req = PromptRequest { text: prompt, client_request_id, model: None, attachments };
            match api::prompt(&id, &req).await {
                Ok(_) => {
                    ids.update_value(RequestIds::accepted);
                    text.set(String::new());
                    images.sent(&req.attachments);
                    back_to_active();
                }
                Err(e) => error.set(Some(e)),
            }
            sending.set(false);
        });
    });

    let stop = move |_| {
        let id = store.id.get_value();
        stopping.set(true);
        error.set(None);
        spawn_local(async move {
            if let Err(e) = api::stop(&id).await {
                error.set(Some(e));
            }
            stopping.set(false);
        });
    };

    view! {
        <form class="composer" data-testid="composer" node_ref=form class:dragging=move || images.dragging.get()
            on:submit=move |ev| { ev.prevent_default(); send.run(()); }
            on:paste=move |ev| images.on_paste(ev)
            on:dragover=move |ev| images.on_dragover(ev)
            on:dragleave=move |ev| images.on_dragleave(ev, form.get_untracked().map(Into::into))
            on:drop=move |ev| images.on_drop(ev)>
            <Show when=move || archived.get()>
                <p class="muted small">"This session is archived; unarchive it to send prompts."</p>
            </Show>
            <PromptBox text on_submit=send on_typing label="Follow-up prompt" rows=2
                placeholder="Ask for a change, a fix or an explanation… (paste or drop images to attach them)"
                disabled=archived under_box=move || view! { <AttachmentChips images/> }>
                <AttachButton images/>
                <Show when=move || stoppable.get()>
                    <button type="button" class="btn btn-danger" data-testid="stop-button"
                        disabled=move || stopping.get() on:click=stop>
                        {move || if stopping.get() { "Stopping…" } else { "Stop" }}
                    </button>
                </Show>
                <button type="submit" class="btn btn-primary" data-testid="send-prompt"
                    disabled=move || sending.get() || archived.get() || uploading.get()>
                    {move || if sending.get() { "Sending…" } else { "Send" }}
                </button>
            </PromptBox>
            <MaybeError error=error.into()/>
        </form>
    }
}
