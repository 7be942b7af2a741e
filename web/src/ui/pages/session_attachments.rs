//! Images attached to a follow-up prompt: pasted, dropped on the composer or chosen with the
//! "Attach image" button. Each file is checked here first (type, size, how many), uploaded at
//! once, and shown as a chip (uploading, uploaded with its thumbnail, or failed with the
//! server's message) until the prompt is sent or the chip removed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, DataTransfer, DragEvent, File, FileList, HtmlElement, HtmlInputElement, Node};

use crate::model::attachments::{Chip, ChipState, PendingAttachments, ACCEPT};
use crate::ui::api;

/// The prompt's images and what the composer says about them.
#[derive(Clone, Copy)]
pub struct PromptImages {
    session_id: StoredValue<String>,
    pub pending: RwSignal<PendingAttachments>,
    /// Why files were not added, or why the prompt cannot be sent yet.
    pub notes: RwSignal<Vec<String>>,
    /// Files are being dragged over the composer.
    pub dragging: RwSignal<bool>,
    /// Nothing can be attached (the session is archived).
    pub disabled: Signal<bool>,
}

impl PromptImages {
    pub fn new(session_id: String, disabled: Signal<bool>) -> Self {
        Self {
            session_id: StoredValue::new(session_id),
            pending: RwSignal::new(PendingAttachments::default()),
            notes: RwSignal::new(Vec::new()),
            dragging: RwSignal::new(false),
            disabled,
        }
    }

    /// Checks each file and uploads those that pass.
    pub fn add_files(&self, files: Vec<File>) {
        if self.disabled.get_untracked() {
            return;
        }
        self.notes.set(Vec::new());
        for file in files {
            let added = self.pending.try_update(|p| p.add(&file.name(), &file.type_(), file.size() as u64));
            match added {
                Some(Ok((key, name))) => self.upload(key, name, file),
                Some(Err(refusal)) => self.notes.update(|n| n.push(refusal.message())),
                None => {}
            }
        }
    }

    fn upload(&self, key: u32, name: String, file: File) {
        let session_id = self.session_id.get_value();
        let pending = self.pending;
        spawn_local(async move {
            let result = api::upload_attachment(&session_id, &name, &file).await.map_err(|e| e.message);
            // The page may be gone by now.
            pending.try_update(|p| p.finish(key, result));
        });
    }

    pub fn remove(&self, key: u32) {
        self.pending.update(|p| p.remove(key));
        self.notes.set(Vec::new());
    }

    /// The prompt was sent with these images.
    pub fn sent(&self, media_ids: &[String]) {
        self.pending.update(|p| p.sent(media_ids));
        self.notes.set(Vec::new());
    }

    /// A paste with images attaches them (and pastes no text); any other paste is left alone.
    pub fn on_paste(&self, ev: ClipboardEvent) {
        let files = ev.clipboard_data().and_then(|d| d.files()).map(files_of).unwrap_or_default();
        if !files.is_empty() {
            ev.prevent_default();
            self.add_files(files);
        }
    }

    /// Files dragged over the composer may be dropped there.
    pub fn on_dragover(&self, ev: DragEvent) {
        if let Some(transfer) = ev.data_transfer().filter(carries_files) {
            ev.prevent_default();
            transfer.set_drop_effect("copy");
            self.dragging.set(true);
        }
    }

    /// Files dropped anywhere else on the page are refused, rather than opened by the browser
    /// in place of the session. Lives as long as the composer.
    pub fn refuse_drops_elsewhere(&self) {
        let refuse = |ev: DragEvent| {
            // The composer took it already.
            if ev.default_prevented() {
                return;
            }
            if let Some(transfer) = ev.data_transfer().filter(carries_files) {
                ev.prevent_default();
                transfer.set_drop_effect("none");
            }
        };
        let over = window_event_listener(leptos::ev::dragover, refuse);
        let drop = window_event_listener(leptos::ev::drop, refuse);
        on_cleanup(move || {
            over.remove();
            drop.remove();
        });
    }

    /// The drag left `composer` (not just moved onto one of its children).
    pub fn on_dragleave(&self, ev: DragEvent, composer: Option<HtmlElement>) {
        let to = ev.related_target().and_then(|t| t.dyn_into::<Node>().ok());
        let inside = composer.zip(to).is_some_and(|(composer, to)| composer.contains(Some(&to)));
        if !inside {
            self.dragging.set(false);
        }
    }

    pub fn on_drop(&self, ev: DragEvent) {
        self.dragging.set(false);
        let files = ev.data_transfer().and_then(|d| d.files()).map(files_of).unwrap_or_default();
        if !files.is_empty() {
            ev.prevent_default();
            self.add_files(files);
        }
    }
}

fn carries_files(transfer: &DataTransfer) -> bool {
    transfer.types().includes(&"Files".into(), 0)
}

fn files_of(list: FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The "Attach image" button: a label for the (visually hidden, still focusable) file input.
#[component]
pub fn AttachButton(images: PromptImages) -> impl IntoView {
    let disabled = images.disabled;
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else {
            return;
        };
        let files = input.files().map(files_of).unwrap_or_default();
        // Choosing the same file again is a change too.
        input.set_value("");
        images.add_files(files);
    };
    view! {
        <span class="attach">
            <input type="file" id="attach-input" class="attach-input" data-testid="attach-input" accept=ACCEPT
                multiple=true disabled=move || disabled.get() on:change=on_change/>
            <label for="attach-input" class="btn attach-button" class:disabled=move || disabled.get()
                title="Attach images: PNG, JPEG, WebP or GIF, up to 10 MiB each (or paste or drop them here)">
                "Attach image"
            </label>
        </span>
    }
}

/// The prompt's images as chips, and why files were refused.
#[component]
pub fn AttachmentChips(images: PromptImages) -> impl IntoView {
    let chips = Memo::new(move |_| images.pending.with(|p| p.chips().to_vec()));
    view! {
        <Show when=move || !chips.with(Vec::is_empty)>
            <ul class="chips" aria-label="Attached images" data-testid="attachment-chips">
                <For each=move || chips.get() key=|c| (c.key, c.state.as_str()) let:chip>
                    <AttachmentChip images chip/>
                </For>
            </ul>
        </Show>
        <Show when=move || !images.notes.with(Vec::is_empty)>
            <ul class="notices" data-testid="attach-error">
                {move || images.notes.get().into_iter().map(|n| view! {
                    <li class="notice notice-error" role="alert">{n}</li>
                }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn AttachmentChip(images: PromptImages, chip: Chip) -> impl IntoView {
    let key = chip.key;
    let state = chip.state.as_str();
    let (media_id, picture, detail) = match &chip.state {
        ChipState::Uploading => (
            None,
            view! { <span class="spinner" aria-hidden="true"></span> }.into_any(),
            Some(view! { <span class="muted">"Uploading…"</span> }.into_any()),
        ),
        ChipState::Uploaded(media) => (
            Some(media.media_id.clone()),
            view! { <img class="chip-thumb" src=media.url.clone() alt=""/> }.into_any(),
            None,
        ),
        ChipState::Failed(message) => (
            None,
            view! { <span class="chip-failed" aria-hidden="true">"!"</span> }.into_any(),
            Some(
                view! { <span class="chip-error" role="alert" data-testid="attachment-error">{message.clone()}</span> }
                    .into_any(),
            ),
        ),
    };
    view! {
        <li class="chip" data-testid="attachment-chip" data-state=state data-media-id=media_id>
            {picture}
            <span class="chip-text">
                <span class="chip-name" title=chip.name.clone()>{chip.name.clone()}</span>
                {detail}
            </span>
            <button type="button" class="chip-remove" data-testid="attachment-remove"
                aria-label=format!("Remove {}", chip.name) on:click=move |_| images.remove(key)>"×"</button>
        </li>
    }
}
