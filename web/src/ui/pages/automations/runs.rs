//! An automation's run history, newest first: what started each run, when, its status (and
//! why it failed or was skipped), its session, and whether it was a follow-up. The newest page
//! is asked again every few seconds while the tab is visible; "Older runs" pages back.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use oi_protocol::automations::AutomationRun;
use oi_protocol::ApiError;

use crate::model::automations::{run_status_label, run_status_tone, run_trigger_label, RunPages};
use crate::model::format;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading};

const POLL_EVERY: Duration = Duration::from_secs(4);

#[derive(Clone, Copy)]
pub(super) struct RunsState {
    id: StoredValue<String>,
    pages: RwSignal<RunPages>,
    /// The last failure to load (cleared by the next success).
    error: RwSignal<Option<ApiError>>,
    loading_older: RwSignal<bool>,
}

impl RunsState {
    pub(super) fn new(id: String) -> Self {
        Self {
            id: StoredValue::new(id),
            pages: RwSignal::new(RunPages::default()),
            error: RwSignal::new(None),
            loading_older: RwSignal::new(false),
        }
    }

    /// Asks for the newest page again. Does nothing once the page is gone.
    pub(super) fn refresh(self) {
        let Some(id) = self.id.try_get_value() else { return };
        spawn_local(async move {
            match api::automation_runs(&id, None).await {
                Ok(page) => {
                    self.pages.try_update(|p| p.newest(page));
                    self.error.try_set(None);
                }
                Err(e) => {
                    self.error.try_set(Some(e));
                }
            }
        });
    }

    fn older(self) {
        let Some(cursor) = self.pages.with_untracked(|p| p.next_cursor.clone()) else { return };
        if self.loading_older.get_untracked() {
            return;
        }
        let id = self.id.get_value();
        self.loading_older.set(true);
        spawn_local(async move {
            match api::automation_runs(&id, Some(&cursor)).await {
                Ok(page) => {
                    self.pages.try_update(|p| p.older(page));
                }
                Err(e) => {
                    self.error.try_set(Some(e));
                }
            }
            self.loading_older.try_set(false);
        });
    }

    /// Refreshes the runs (and runs `also`: the automation) every few seconds while the tab is
    /// visible, until the page is gone.
    pub(super) fn poll(self, also: Callback<()>) {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    self.refresh();
                    also.run(());
                }
            },
            POLL_EVERY,
        ) {
            on_cleanup(move || handle.clear());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Loading,
    Empty,
    Runs,
}

#[component]
pub(super) fn RunHistory(runs: RunsState) -> impl IntoView {
    let shown = Memo::new(move |_| {
        runs.pages.with(|p| match (p.pages, p.runs.is_empty()) {
            (0, _) => Shown::Loading,
            (_, true) => Shown::Empty,
            _ => Shown::Runs,
        })
    });
    view! {
        <section class="card" aria-labelledby="runs-title" data-testid="run-history">
            <h2 id="runs-title">"Runs"</h2>
            {move || runs.error.get().map(|error| view! { <ErrorBanner error retry=Callback::new(move |_| runs.refresh())/> })}
            {move || match (shown.get(), runs.error.with(Option::is_some)) {
                (Shown::Loading, false) => view! { <Loading label="Loading runs…"/> }.into_any(),
                (Shown::Loading, true) => ().into_any(),
                (Shown::Empty, _) => view! { <p class="muted" data-testid="runs-empty">"No runs yet. Run now starts one."</p> }.into_any(),
                (Shown::Runs, _) => view! {
                    <ol class="run-list" data-testid="run-list">
                        // Keyed: a poll that changes nothing draws nothing again.
                        <For each=move || runs.pages.with(|p| p.runs.clone()) key=|r| (r.id.clone(), r.status, r.session_id.clone(), r.reason.clone(), r.finished_at, r.follow_up)
                            let:run>
                            <RunRow run/>
                        </For>
                    </ol>
                }
                .into_any(),
            }}
            <Show when=move || runs.pages.with(RunPages::has_older)>
                <button type="button" class="btn" data-testid="runs-older" disabled=move || runs.loading_older.get()
                    on:click=move |_| runs.older()>
                    {move || if runs.loading_older.get() { "Loading…" } else { "Older runs" }}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn RunRow(run: AutomationRun) -> impl IntoView {
    let now = js_sys::Date::now() as i64;
    let when = format::relative_time(now, run.created_at);
    let took = run.finished_at.map(|end| format!(" · took {}", format::duration(end - run.created_at)));
    view! {
        <li class="run-row" data-testid="run-row" data-run-id=run.id.clone() data-status=run.status.as_str()>
            <div class="row-main">
                <span class=format!("badge badge-{}", run_status_tone(run.status)) data-testid="run-status"
                    data-status=run.status.as_str()>
                    {run_status_label(run.status)}
                </span>
                <span data-testid="run-trigger">{run_trigger_label(run.trigger)}</span>
                {run.follow_up.then(|| view! { <span class="badge badge-neutral" data-testid="run-follow-up">"follow-up"</span> })}
                <time class="small muted" title=format::date_time(run.created_at)>{when}</time>
                <span class="small muted">{took}</span>
                {run.session_id.clone().map(|sid| view! {
                    <A href=format!("/sessions/{sid}") attr:class="run-session" attr:data-testid="run-session">"Open the session"</A>
                })}
            </div>
            {run.reason.clone().map(|r| view! { <p class="small muted run-reason" data-testid="run-reason">{r}</p> })}
        </li>
    }
}
