//! Settings › Secrets: the secrets of one scope (the deployment's global ones, admins only, or
//! one repository's), with forms to set, import and delete them and the scope's audit log.
//! Values are write-only: they go into the forms and out to the API, and nothing shows one.

mod audit;
mod forms;
mod list;

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::secrets::{SecretAuditLog, SecretList, SecretScope};
use oi_protocol::{ApiError, ErrorCode, Role};

use crate::model::load::Load;
use crate::model::query::ListFilter;
use crate::model::secrets::{self, ScopeChoice};
use crate::ui::api;
use crate::ui::identity::use_identity;

/// How long the repository field waits for typing to stop before showing that scope.
const REPO_DELAY: Duration = Duration::from_millis(400);
/// How many recent sessions suggest repositories.
const RECENT_SESSIONS: u32 = 50;

/// What the status line says after an action.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Working(String),
    Done(String),
    Failed(ApiError),
}

/// The section's state, shared by its parts.
#[derive(Clone, Copy)]
struct SecretsState {
    choice: RwSignal<ScopeChoice>,
    /// The repository field as typed.
    repo: RwSignal<String>,
    /// The scope the list and the audit log show; `None` until a repository is entered.
    scope: RwSignal<Option<SecretScope>>,
    list: RwSignal<Load<SecretList>>,
    audit: RwSignal<Load<SecretAuditLog>>,
    status: RwSignal<Status>,
    busy: RwSignal<bool>,
    /// The name field (a row's Replace fills it).
    name: RwSignal<String>,
    generation: StoredValue<u64>,
}

impl SecretsState {
    /// The scope the fields choose now.
    fn chosen(self) -> Option<SecretScope> {
        self.choice.get_untracked().scope(&self.repo.get_untracked())
    }

    /// Shows the scope the fields choose, if it is not the one shown.
    fn apply(self) {
        let Some(chosen) = self.choice.try_get_untracked().map(|c| c.scope(&self.repo.get_untracked())) else {
            return;
        };
        if self.scope.get_untracked() != chosen {
            self.scope.set(chosen);
        }
    }

    /// Before an action: the scope it applies to (shown from now on), or a status saying what
    /// is missing.
    fn target(self) -> Option<SecretScope> {
        self.apply();
        let scope = self.chosen();
        if scope.is_none() {
            self.fail("Enter a repository first.");
        }
        scope
    }

    fn fail(self, message: impl Into<String>) {
        self.status.set(Status::Failed(ApiError::new(ErrorCode::InvalidRequest, message)));
    }

    /// Fetches the list and the audit log of the scope shown; a newer fetch wins over an older
    /// one still in flight, and nothing happens once the page is gone.
    fn reload(self, show_loading: bool) {
        let (Some(Some(scope)), Some(generation)) = (self.scope.try_get_untracked(), self.generation.try_get_value())
        else {
            return;
        };
        let generation = generation + 1;
        self.generation.set_value(generation);
        if show_loading {
            self.list.set(Load::Loading);
            self.audit.set(Load::Loading);
        }
        let current = move || self.generation.try_get_value() == Some(generation);
        spawn_local(async move {
            let list = api::secrets(&scope).await;
            if !current() {
                return;
            }
            self.list.set(Load::from_result(list));
            let audit = api::secret_audit(&scope).await;
            if current() {
                self.audit.set(Load::from_result(audit));
            }
        });
    }

    /// Whether the scope shown has a secret of this name.
    fn has(self, name: &str) -> bool {
        self.list.with_untracked(|l| l.ready().is_some_and(|l| l.secrets.iter().any(|s| s.name == name)))
    }
}

#[component]
pub fn Secrets() -> impl IntoView {
    let identity = use_identity();
    let admin = Memo::new(move |_| identity.me.with(|m| m.ready().is_some_and(|m| m.role == Role::Admin)));
    let choice = ScopeChoice::initial(admin.get_untracked());
    let state = SecretsState {
        choice: RwSignal::new(choice),
        repo: RwSignal::new(String::new()),
        scope: RwSignal::new(choice.scope("")),
        list: RwSignal::new(Load::Loading),
        audit: RwSignal::new(Load::Loading),
        status: RwSignal::new(Status::Idle),
        busy: RwSignal::new(false),
        name: RwSignal::new(String::new()),
        generation: StoredValue::new(0),
    };
    // A new scope: its list and log, and a fresh status line.
    Effect::new(move |_| {
        state.scope.track();
        state.status.set(Status::Idle);
        state.reload(true);
    });
    // A member cannot pick the global scope (say, after their role changed).
    Effect::new(move |_| {
        if !admin.get() && state.choice.get_untracked() == ScopeChoice::Global {
            state.choice.set(ScopeChoice::Repo);
            state.apply();
        }
    });
    view! {
        <section class="card" id="secrets" aria-labelledby="secrets-title">
            <h2 id="secrets-title">"Secrets"</h2>
            <p class="muted small">
                "Environment variables for the sandboxes: global secrets go to every session, a repository's to \
                 its sessions (overriding a global one of the same name). Values are write-only: once saved, \
                 no one can read them here, only replace or delete them."
            </p>
            <ScopePicker state admin/>
            <div id="secret-status" class="secret-status" role="status" aria-live="polite" aria-atomic="true">
                {move || match state.status.get() {
                    Status::Idle => ().into_any(),
                    Status::Working(m) => view! { <p class="muted">{m}</p> }.into_any(),
                    Status::Done(m) => view! { <p class="saved">{m}</p> }.into_any(),
                    Status::Failed(e) => view! {
                        <div class="alert alert-error" data-testid="error" data-code=e.code.as_str()>
                            <span class="alert-text">{e.message}</span>
                        </div>
                    }.into_any(),
                }}
            </div>
            <Show
                when=move || state.scope.with(Option::is_some)
                fallback=|| view! {
                    <p class="muted" data-testid="secret-no-scope">"Enter a repository to see and set its secrets."</p>
                }
            >
                <h3 class="secrets-scope">{move || state.scope.with(|s| s.as_ref().map(secrets::scope_label))}</h3>
                <list::SecretTable state/>
                <forms::SetSecret state/>
                <forms::ImportSecrets state/>
                <audit::AuditLog state/>
            </Show>
        </section>
    }
}

/// Global or one repository; the repository field suggests those of recent sessions and starts
/// with the most recent one.
#[component]
fn ScopePicker(state: SecretsState, admin: Memo<bool>) -> impl IntoView {
    let suggestions = RwSignal::new(Vec::<String>::new());
    let touched = StoredValue::new(false);
    spawn_local(async move {
        let Ok(list) = api::sessions(&ListFilter::default(), RECENT_SESSIONS, None).await else {
            return;
        };
        let repos = secrets::recent_repos(&list.sessions);
        let untouched = touched.try_get_value() == Some(false);
        if untouched && state.repo.try_with_untracked(String::is_empty) == Some(true) {
            if let Some(first) = repos.first() {
                state.repo.set(first.clone());
                state.apply();
            }
        }
        suggestions.try_set(repos);
    });
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    let cancel_timer = move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    let on_repo_input = move |ev| {
        touched.set_value(true);
        state.repo.set(event_target_value(&ev));
        cancel_timer();
        timer.set_value(set_timeout_with_handle(move || state.apply(), REPO_DELAY).ok());
    };
    on_cleanup(cancel_timer);
    let on_choice = move |ev| {
        state.choice.set(ScopeChoice::from_value(&event_target_value(&ev)));
        state.apply();
    };
    view! {
        <form class="field-row secret-scope" on:submit=move |ev| { ev.prevent_default(); cancel_timer(); state.apply(); }>
            <div class="field secret-scope-kind">
                <label class="field-label" for="secret-scope">"Scope"</label>
                <select id="secret-scope" name="secret-scope" on:input=on_choice on:change=on_choice>
                    <Show when=move || admin.get()>
                        <option value="global" prop:selected=move || state.choice.get() == ScopeChoice::Global>"Global"</option>
                    </Show>
                    <option value="repo" prop:selected=move || state.choice.get() == ScopeChoice::Repo>"Repository"</option>
                </select>
            </div>
            <Show when=move || state.choice.get() == ScopeChoice::Repo>
                <div class="field">
                    <label class="field-label" for="secret-repo">"Repository"</label>
                    <input id="secret-repo" name="secret-repo" list="secret-repo-options" autocomplete="off" spellcheck="false"
                        placeholder="/path/to/repo.git, https://host/owner/repo.git or owner/repo"
                        aria-describedby="secret-repo-help"
                        prop:value=move || state.repo.get() on:input=on_repo_input
                        on:change=move |_| { cancel_timer(); state.apply(); }/>
                    <datalist id="secret-repo-options">
                        {move || suggestions.get().into_iter().map(|r| view! { <option value=r/> }).collect_view()}
                    </datalist>
                    <p class="field-help" id="secret-repo-help">"As sessions name it: the repositories of recent sessions are suggested."</p>
                </div>
            </Show>
        </form>
    }
}
