//! The session's media in the page: thumbnails that open the lightbox, the agent's artifacts
//! inline in the transcript, a prompt's attached images and the gallery of every piece.

use leptos::prelude::*;
use oi_protocol::media::MediaInfo;

use crate::model::media::{gallery, Lightbox, MediaEntry};
use crate::ui::session_store::SessionStore;

/// The session's media and the lightbox that shows one piece large; every thumbnail opens it.
#[derive(Clone, Copy)]
pub struct MediaViewer {
    /// Every piece of the transcript, in order (the lightbox's next and previous follow it).
    pub entries: Memo<Vec<MediaEntry>>,
    pub lightbox: RwSignal<Lightbox>,
}

impl MediaViewer {
    pub fn new(store: SessionStore) -> Self {
        Self {
            entries: Memo::new(move |_| store.transcript.with(gallery)),
            lightbox: RwSignal::new(Lightbox::default()),
        }
    }

    pub fn open(&self, media_id: &str) {
        self.lightbox.update(|l| l.open(media_id));
    }
}

/// A thumbnail button: the image (or the video's first frame) that opens the lightbox.
#[component]
fn MediaThumb(viewer: MediaViewer, entry: MediaEntry) -> impl IntoView {
    let media_id = entry.media.media_id.clone();
    let title = format!("{} · {}", entry.alt, entry.label);
    let open = move |_| viewer.open(&media_id);
    let picture = if entry.is_video {
        view! {
            <video class="thumb-media" src=entry.media.url.clone() preload="metadata" muted=true></video>
            <span class="thumb-play" aria-hidden="true">"▶"</span>
        }
        .into_any()
    } else {
        view! { <img class="thumb-media" src=entry.media.url.clone() alt=entry.alt.clone() loading="lazy"/> }.into_any()
    };
    view! {
        <button type="button" class="media-thumb" data-testid="media-open" data-media-id=entry.media.media_id.clone()
            title=title aria-label=format!("Open {}", entry.alt) on:click=open>
            {picture}
        </button>
    }
}

/// The badge of a piece the agent offers as evidence of its change.
#[component]
fn EvidenceBadge() -> impl IntoView {
    view! {
        <span class="badge badge-ok" data-testid="evidence-badge"
            title="The agent offers this as evidence of its change">"Evidence"</span>
    }
}

/// A screenshot or video the agent made, where it made it in the transcript: an image as a
/// thumbnail that opens the lightbox, a video as a player (with a button for the lightbox).
#[component]
pub fn ArtifactView(viewer: MediaViewer, media: MediaInfo) -> impl IntoView {
    let entry = MediaEntry::new(&media);
    let media_id = media.media_id.clone();
    let body = if entry.is_video {
        let open_id = media_id.clone();
        view! {
            <video class="artifact-video" src=media.url.clone() controls=true preload="metadata"
                aria-label=entry.alt.clone()></video>
            <button type="button" class="btn btn-small" data-testid="media-open" data-media-id=media_id.clone()
                on:click=move |_| viewer.open(&open_id)>"Enlarge"</button>
        }
        .into_any()
    } else {
        view! { <MediaThumb viewer entry=entry.clone()/> }.into_any()
    };
    view! {
        <figure class="artifact" data-testid="artifact" data-media-id=media_id data-kind=media.kind.as_str()>
            {body}
            <figcaption class="artifact-caption small">
                {media.evidence.then(|| view! { <EvidenceBadge/> })}
                {media.caption.clone().map(|c| view! { <span class="artifact-text">{c}</span> })}
                <span class="muted">{format!("{} · {}", entry.kind, entry.label)}</span>
            </figcaption>
        </figure>
    }
}

/// The images attached to a prompt, under its text.
#[component]
pub fn PromptAttachments(viewer: MediaViewer, attachments: Vec<MediaInfo>) -> impl IntoView {
    (!attachments.is_empty()).then(|| {
        let items = attachments
            .iter()
            .map(|media| {
                let entry = MediaEntry::new(media);
                view! {
                    <li class="prompt-attachment" data-testid="prompt-attachment" data-media-id=media.media_id.clone()>
                        <MediaThumb viewer entry/>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="prompt-attachments" aria-label="Attached images">{items}</ul> }
    })
}

/// Every piece of the session's media as a grid of thumbnails.
#[component]
pub fn MediaGallery(viewer: MediaViewer) -> impl IntoView {
    let count = Memo::new(move |_| viewer.entries.with(Vec::len));
    view! {
        <div class="gallery" data-testid="gallery" data-count=move || count.get()>
            <h3 class="panel-subtitle">"Screenshots and images " <span class="muted small">{move || format!("({})", count.get())}</span></h3>
            <Show when=move || { count.get() > 0 } fallback=|| view! {
                <p class="muted small">"The agent's screenshots and videos, and the images attached to prompts, appear here."</p>
            }>
                <ul class="gallery-grid">
                    <For each=move || viewer.entries.get() key=|e| e.media.media_id.clone() let:entry>
                        <GalleryItem viewer entry/>
                    </For>
                </ul>
            </Show>
        </div>
    }
}

#[component]
fn GalleryItem(viewer: MediaViewer, entry: MediaEntry) -> impl IntoView {
    let media_id = entry.media.media_id.clone();
    let kind = entry.media.kind.as_str();
    let evidence = entry.media.evidence;
    view! {
        <li class="gallery-item" data-testid="gallery-item" data-media-id=media_id data-kind=kind>
            {evidence.then(|| view! { <span class="gallery-flag" title="Evidence">"✓"</span> })}
            <MediaThumb viewer entry/>
        </li>
    }
}
