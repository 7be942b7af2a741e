//! The lightbox: one piece of the session's media large, with its caption, name, dimensions
//! and size, the page it was taken of and a link to the original. Escape, the × button or a
//! click outside closes it; the arrow keys and the ‹ › buttons go to the previous and next
//! pieces, wrapping. Focus moves to it when it opens and back to the thumbnail when it closes.

use leptos::ev::KeyboardEvent;
use leptos::html::Button;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use super::media::MediaViewer;
use crate::model::media::{lightbox_key, source_link, Lightbox, LightboxKey, MediaEntry};

#[component]
pub fn LightboxView(viewer: MediaViewer) -> impl IntoView {
    let is_open = Memo::new(move |_| viewer.lightbox.with(Lightbox::is_open));
    let current = Memo::new(move |_| viewer.lightbox.with(|l| viewer.entries.with(|e| l.current(e).cloned())));
    let position = Memo::new(move |_| viewer.lightbox.with(|l| viewer.entries.with(|e| l.position(e))));
    let apply = move |key: LightboxKey| viewer.entries.with_untracked(|e| viewer.lightbox.update(|l| l.apply(key, e)));

    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if !is_open.get_untracked() {
            return;
        }
        if let Some(key) = lightbox_key(&ev.key()) {
            ev.prevent_default();
            apply(key);
        }
    });
    on_cleanup(move || keys.remove());

    // Focus: to the close button when it opens, back to what opened it when it closes.
    let close_button = NodeRef::<Button>::new();
    let opener = StoredValue::new_local(None::<HtmlElement>);
    Effect::new(move |_| {
        if is_open.get() {
            if let Some(close) = close_button.get() {
                if opener.with_value(Option::is_none) {
                    let active = document().active_element().and_then(|e| e.dyn_into::<HtmlElement>().ok());
                    opener.set_value(active);
                }
                let _ = close.focus();
            }
        } else if let Some(element) = opener.try_update_value(Option::take).flatten() {
            let _ = element.focus();
        }
    });

    view! {
        <Show when=move || is_open.get()>
            <div class="lightbox-layer">
                <div class="lightbox-backdrop" data-testid="lightbox-backdrop" on:click=move |_| apply(LightboxKey::Close)></div>
                <div class="lightbox" role="dialog" aria-modal="true" aria-labelledby="lightbox-title" data-testid="lightbox"
                    data-media-id=move || current.with(|c| c.as_ref().map(|c| c.media.media_id.clone()))>
                    <header class="lightbox-head">
                        <h2 class="lightbox-title" id="lightbox-title" data-testid="lightbox-name">
                            {move || current.with(|c| c.as_ref().map(|c| c.media.name.clone()))}
                        </h2>
                        <span class="muted small" data-testid="lightbox-position">{move || position.get()}</span>
                        <button type="button" class="btn btn-small" node_ref=close_button data-testid="lightbox-close"
                            aria-label="Close" title="Close (Esc)" on:click=move |_| apply(LightboxKey::Close)>"×"</button>
                    </header>
                    <div class="lightbox-stage">
                        <button type="button" class="lightbox-step" data-testid="lightbox-prev" aria-label="Previous"
                            title="Previous (←)" on:click=move |_| apply(LightboxKey::Previous)>"‹"</button>
                        {move || current.get().map(|entry| view! { <LargeMedia entry/> })}
                        <button type="button" class="lightbox-step" data-testid="lightbox-next" aria-label="Next"
                            title="Next (→)" on:click=move |_| apply(LightboxKey::Next)>"›"</button>
                    </div>
                    {move || current.get().map(|entry| view! { <MediaFacts entry/> })}
                </div>
            </div>
        </Show>
    }
}

/// The piece itself, as large as the window lets it be.
#[component]
fn LargeMedia(entry: MediaEntry) -> impl IntoView {
    if entry.is_video {
        view! {
            <video class="lightbox-media" src=entry.media.url.clone() controls=true preload="metadata"
                aria-label=entry.alt.clone()></video>
        }
        .into_any()
    } else {
        view! { <img class="lightbox-media" src=entry.media.url.clone() alt=entry.alt.clone()/> }.into_any()
    }
}

/// What is known about the piece, and the link to the original.
#[component]
fn MediaFacts(entry: MediaEntry) -> impl IntoView {
    let media = entry.media;
    let source = media.source_url.clone().map(|url| match source_link(&url) {
        Some(href) => view! {
            <a href=href.to_string() target="_blank" rel="noopener noreferrer" data-testid="lightbox-source">{url.clone()}</a>
        }
        .into_any(),
        None => view! { <code data-testid="lightbox-source">{url.clone()}</code> }.into_any(),
    });
    view! {
        <div class="lightbox-facts">
            {media.caption.clone().map(|c| view! { <p class="lightbox-caption" data-testid="lightbox-caption">{c}</p> })}
            <p class="small">
                {media.evidence.then(|| view! { <span class="badge badge-ok">"Evidence"</span>" " })}
                <span>{entry.kind}</span>" · "
                <span data-testid="lightbox-label">{entry.label.clone()}</span>
            </p>
            {source.map(|link| view! { <p class="small lightbox-source">"Taken of "{link}</p> })}
            <p class="small">
                <a href=media.url.clone() target="_blank" rel="noopener" data-testid="lightbox-original">"Open original"</a>
            </p>
        </div>
    }
}
