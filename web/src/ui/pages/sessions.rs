//! The sessions list: everyone's or yours, live or archived, filtered by status, origin and text;
//! refreshed every few seconds so statuses move without a reload.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use oi_protocol::rest::SessionList;
use oi_protocol::{ApiError, SessionStatus, SessionSummary};

use crate::model::format;
use crate::model::load::Load;
use crate::model::origin;
use crate::model::query::{ListFilter, Scope};
use crate::ui::api;
use crate::ui::components::feedback::{Empty, ErrorBanner, Loading, MaybeError};
use crate::ui::components::origin::OriginBadge;
use crate::ui::components::status::SessionStatusBadge;

const PAGE: u32 = 50;
const POLL_EVERY: Duration = Duration::from_secs(4);
const SEARCH_DELAY: Duration = Duration::from_millis(300);

#[derive(Clone, Copy)]
struct ListState {
    filter: RwSignal<ListFilter>,
    pages: RwSignal<u32>,
    list: RwSignal<Load<SessionList>>,
    /// A failed refresh or row action, shown above a list that is still there.
    action_error: RwSignal<Option<ApiError>>,
    now: RwSignal<f64>,
    generation: StoredValue<u64>,
}

impl ListState {
    /// Fetches the list as filtered; a newer fetch wins over an older one still in flight.
    /// May run after the page is gone (a timer, a finished request): then it does nothing.
    fn fetch(self, show_loading: bool) {
        let (Some(filter), Some(pages), Some(generation)) =
            (self.filter.try_get_untracked(), self.pages.try_get_untracked(), self.generation.try_get_value())
        else {
            return;
        };
        let limit = (PAGE * pages).min(oi_protocol::limits::MAX_SESSIONS_PAGE);
        let generation = generation + 1;
        self.generation.set_value(generation);
        if show_loading {
            self.list.set(Load::Loading);
        }
        spawn_local(async move {
            let result = api::sessions(&filter, limit, None).await;
            if self.generation.try_get_value() != Some(generation) {
                return;
            }
            self.now.set(js_sys::Date::now());
            match result {
                Ok(list) => {
                    self.list.set(Load::Ready(list));
                    self.action_error.set(None);
                }
                Err(e) if self.list.try_with_untracked(|l| l.ready().is_some()) == Some(true) => {
                    self.action_error.set(Some(e))
                }
                Err(e) => self.list.set(Load::Failed(e)),
            }
        });
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    crate::ui::set_title("Sessions");
    let state = ListState {
        filter: RwSignal::new(ListFilter::default()),
        pages: RwSignal::new(1),
        list: RwSignal::new(Load::Loading),
        action_error: RwSignal::new(None),
        now: RwSignal::new(js_sys::Date::now()),
        generation: StoredValue::new(0),
    };
    Effect::new(move |_| {
        state.filter.track();
        state.pages.track();
        state.fetch(true);
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !document().hidden() {
                state.fetch(false);
            }
        },
        POLL_EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Sessions"</h1>
                <A href="/new" attr:class="btn btn-primary" attr:data-testid="new-session-link">"New session"</A>
            </div>
            <Filters state/>
            <MaybeError error=state.action_error.into()/>
            {move || match state.list.get() {
                Load::Loading => view! { <Loading label="Loading sessions…"/> }.into_any(),
                Load::Failed(error) => {
                    view! { <ErrorBanner error retry=Callback::new(move |_| state.fetch(true))/> }.into_any()
                }
                Load::Ready(list) => view! { <SessionRows state list/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Filters(state: ListState) -> impl IntoView {
    let filter = state.filter;
    let search = RwSignal::new(String::new());
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    let on_search = move |ev| {
        search.set(event_target_value(&ev));
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                if let Some(text) = search.try_get_untracked() {
                    filter.update(|f| f.search = text);
                }
            },
            SEARCH_DELAY,
        )
        .ok();
        timer.set_value(handle);
    };
    on_cleanup(move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    });
    let on_origin = move |ev| {
        let kind = origin::parse_filter(&event_target_value(&ev));
        if filter.with_untracked(|f| f.origin != kind) {
            filter.update(|f| f.origin = kind);
        }
    };
    let scope_button = move |scope: Scope, label: &'static str, testid: &'static str| {
        view! {
            <button type="button" class="seg" data-testid=testid
                aria-pressed=move || (filter.with(|f| f.scope) == scope).to_string()
                on:click=move |_| filter.update(|f| f.scope = scope)>
                {label}
            </button>
        }
    };
    view! {
        <form class="filters" role="search" aria-label="Filter sessions" on:submit=|ev| ev.prevent_default()>
            <div class="segmented" role="group" aria-label="Whose sessions">
                {scope_button(Scope::All, "All sessions", "scope-all")}
                {scope_button(Scope::Mine, "Mine", "scope-mine")}
            </div>
            <label class="inline-field">
                <span class="sr-only">"Status"</span>
                <select data-testid="status-filter" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    filter.update(|f| f.status = SessionStatus::parse(&v));
                }>
                    <option value="">"Any status"</option>
                    {SessionStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str()>{format::session_status(s)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="inline-field">
                <span class="sr-only">"Origin"</span>
                <select data-testid="origin-filter" on:input=on_origin on:change=on_origin>
                    {origin::filter_choices().into_iter().map(|(value, label)| view! {
                        <option value=value>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="inline-field check">
                <input type="checkbox" data-testid="archived-filter"
                    prop:checked=move || filter.with(|f| f.archived)
                    on:change=move |ev| filter.update(|f| f.archived = event_target_checked(&ev))/>
                "Archived"
            </label>
            <label class="inline-field grow">
                <span class="sr-only">"Search by title or repository"</span>
                <input type="search" data-testid="search" placeholder="Search title or repository"
                    prop:value=move || search.get() on:input=on_search/>
            </label>
        </form>
    }
}

#[component]
fn SessionRows(state: ListState, list: SessionList) -> impl IntoView {
    if list.sessions.is_empty() {
        let narrowed = state.filter.with_untracked(|f| f.narrowed() || f.archived);
        return if narrowed {
            view! {
                <Empty title="No sessions match">
                    <p class="muted">"Try another filter or search."</p>
                </Empty>
            }
            .into_any()
        } else {
            view! {
                <Empty title="No sessions yet">
                    <p class="muted">"Start one on a repository; it shows up here for everyone."</p>
                    <A href="/new" attr:class="btn btn-primary">"Start a session"</A>
                </Empty>
            }
            .into_any()
        };
    }
    let more = list.next_cursor.is_some();
    let rows = list.sessions.into_iter().map(|s| view! { <SessionRow state summary=s/> }).collect_view();
    view! {
        <ul class="session-list" data-testid="session-list">{rows}</ul>
        {more.then(|| view! {
            <button type="button" class="btn" on:click=move |_| state.pages.update(|p| *p += 1)>"Load more"</button>
        })}
    }
    .into_any()
}

#[component]
fn SessionRow(state: ListState, summary: SessionSummary) -> impl IntoView {
    let name = format::session_name(&summary);
    let id = summary.id.clone();
    let archived = summary.archived;
    let busy = RwSignal::new(false);
    let toggle = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            busy.set(true);
            spawn_local(async move {
                if let Err(e) = api::set_archived(&id, !archived).await {
                    state.action_error.set(Some(e));
                }
                busy.set(false);
                state.fetch(false);
            });
        }
    };
    let updated_at = summary.updated_at;
    let action = if archived { "Unarchive" } else { "Archive" };
    let action_label = format!("{action} {name}");
    view! {
        <li class="session-row" data-testid="session-row" data-session-id=id.clone()>
            <div class="row-main">
                <A href=format!("/sessions/{id}") attr:class="row-title">{name}</A>
                <SessionStatusBadge status=summary.status/>
                <OriginBadge origin=summary.origin.clone()/>
                {archived.then(|| view! { <span class="badge badge-neutral">"Archived"</span> })}
            </div>
            <p class="row-meta small muted">
                <code title="Repository">{summary.repo.clone()}</code>
                <span>" · "{summary.branch.clone()}</span>
                <span>" · by "{summary.created_by.name.clone()}</span>
                <span>" · "<time>{move || format!("active {}", format::relative_time(state.now.get() as i64, updated_at))}</time></span>
            </p>
            <button type="button" class="btn btn-small row-action" data-testid="archive-toggle"
                aria-label=action_label disabled=move || busy.get() on:click=toggle>
                {action}
            </button>
        </li>
    }
}
