//! The new-session page's repository and branch fields. When `/api/repos` lists repositories
//! (a GitHub App is set up) they are picked from a filterable list, with the branch from the
//! repository's branches (its default branch first); a link switches to typing any URL or path,
//! as the page does when nothing is configured.

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::source_control::BranchList;

use crate::model::load::Load;
use crate::model::new_session_form::SessionForm;
use crate::model::repo_picker::{
    branch_after_load, branch_names, filter, option_label, picked_note, RepoChoices, RepoMode,
};
use crate::ui::api;

/// The fields' state, shared by the repository field, the branch field and the form.
#[derive(Clone, Copy)]
pub struct RepoState {
    /// `None` while `/api/repos` is loading.
    choices: RwSignal<Option<RepoChoices>>,
    pub mode: RwSignal<RepoMode>,
    pub picked: RwSignal<Option<String>>,
    pub typed: RwSignal<String>,
    /// Whether the person typed in the repository field (then the list does not replace it).
    touched: RwSignal<bool>,
    pub branch: RwSignal<String>,
    /// The branches of the picked repository, keyed by it (a late answer for another is dropped).
    branches: RwSignal<Option<(String, Load<BranchList>)>>,
    query: RwSignal<String>,
    /// The branch was given (editing an automation): the first pick keeps it when the
    /// repository has it, rather than starting from its default branch.
    keep_branch: StoredValue<bool>,
}

impl RepoState {
    /// Starts from the last repository used and loads the list.
    pub fn new(last_repo: Option<String>) -> Self {
        Self::start(last_repo.unwrap_or_default(), false, "main".to_string())
    }

    /// Starts from a repository and branch that were chosen before (editing an automation):
    /// picked when the list has the repository, else typed as they are.
    pub fn chosen(repo: String, branch: String) -> Self {
        Self::start(repo, true, branch)
    }

    fn start(typed: String, given: bool, branch: String) -> Self {
        let state = Self {
            choices: RwSignal::new(None),
            mode: RwSignal::new(RepoMode::Type),
            picked: RwSignal::new(None),
            typed: RwSignal::new(typed),
            touched: RwSignal::new(given),
            branch: RwSignal::new(branch),
            branches: RwSignal::new(None),
            query: RwSignal::new(String::new()),
            keep_branch: StoredValue::new(given),
        };
        spawn_local(async move {
            let choices = RepoChoices::from_result(api::repos().await);
            let (mode, picked) = choices.start(&state.typed.get_untracked(), state.touched.get_untracked());
            state.choices.set(Some(choices));
            state.mode.set(mode);
            if let Some(name) = picked {
                state.pick(name);
            }
        });
        state
    }

    /// The form's repository and branch as they are now.
    pub fn form(&self) -> SessionForm {
        SessionForm {
            mode: self.mode.get_untracked(),
            picked: self.picked.get_untracked(),
            typed: self.typed.get_untracked(),
            branch: self.branch.get_untracked(),
            ..SessionForm::default()
        }
    }

    fn can_pick(&self) -> bool {
        self.choices.with(|c| c.as_ref().is_some_and(RepoChoices::can_pick))
    }

    /// Picks a repository: its default branch at once, then its branches.
    fn pick(&self, name: String) {
        let state = *self;
        let default = state.choices.with_untracked(|c| c.as_ref()?.find(&name).map(|r| r.default_branch.clone()));
        let keep = state.keep_branch.try_update_value(std::mem::take).unwrap_or(false);
        if let (Some(default), false) = (default, keep) {
            state.branch.set(default);
        }
        state.picked.set(Some(name.clone()));
        state.branches.set(Some((name.clone(), Load::Loading)));
        spawn_local(async move {
            let result = api::branches(&name).await;
            if state.picked.get_untracked().as_deref() != Some(name.as_str()) {
                return; // another repository was picked meanwhile
            }
            if let Ok(list) = &result {
                state.branch.set(branch_after_load(list, &state.branch.get_untracked()));
            }
            state.branches.set(Some((name, Load::from_result(result))));
        });
    }

    fn switch(&self, mode: RepoMode) {
        if mode == RepoMode::Type {
            self.typed.set(self.form().typed_after_switch());
        }
        self.mode.set(mode);
    }
}

#[component]
pub fn RepoField(state: RepoState) -> impl IntoView {
    let note = move || state.choices.with(|c| c.as_ref().and_then(|c| c.note.clone()));
    move || match state.mode.get() {
        RepoMode::Pick => view! { <RepoPicker state/> }.into_any(),
        RepoMode::Type => view! {
            <div class="field">
                <label class="field-label" for="repo">"Repository"</label>
                <input id="repo" name="repo" data-testid="repo-input" required autocomplete="off" spellcheck="false"
                    placeholder="/path/to/repo.git, https://host/owner/repo.git or owner/repo"
                    aria-describedby="repo-help"
                    prop:value=move || state.typed.get()
                    on:input=move |ev| {
                        state.touched.set(true);
                        state.typed.set(event_target_value(&ev));
                    }/>
                <p class="field-help" id="repo-help">
                    <span>"A local path, a git URL, or owner/name."</span>
                    <Show when=move || state.can_pick()>
                        <button type="button" class="link-button" data-testid="repo-pick-instead"
                            on:click=move |_| state.switch(RepoMode::Pick)>
                            "Choose from the list"
                        </button>
                    </Show>
                </p>
                {move || note().map(|n| view! { <p class="field-help" data-testid="repo-list-note">{n}</p> })}
            </div>
        }
        .into_any(),
    }
}

#[component]
fn RepoPicker(state: RepoState) -> impl IntoView {
    let shown = Memo::new(move |_| {
        state.choices.with(|c| {
            let all = c.as_ref().map(|c| c.repositories.as_slice()).unwrap_or_default();
            state.query.with(|q| filter(all, q).into_iter().cloned().collect::<Vec<_>>())
        })
    });
    let picked_repo = Memo::new(move |_| {
        state.picked.with(|p| state.choices.with(|c| p.as_ref().and_then(|p| c.as_ref()?.find(p).cloned())))
    });
    view! {
        <div class="field repo-picker">
            <label class="field-label" for="repo-select">"Repository"</label>
            <input type="search" class="repo-filter" data-testid="repo-filter" autocomplete="off" spellcheck="false"
                placeholder="Filter repositories" aria-label="Filter repositories" aria-controls="repo-select"
                prop:value=move || state.query.get() on:input=move |ev| state.query.set(event_target_value(&ev))/>
            <select id="repo-select" name="repo" data-testid="repo-select" aria-describedby="repo-help"
                size=move || shown.with(|s| s.len().clamp(2, 8))
                on:change=move |ev| state.pick(event_target_value(&ev))>
                {move || shown.get().into_iter().map(|r| {
                    let name = r.full_name.clone();
                    let selected = move || state.picked.with(|p| p.as_deref() == Some(name.as_str()));
                    view! { <option value=r.full_name.clone() prop:selected=selected>{option_label(&r)}</option> }
                }).collect_view()}
            </select>
            <p class="field-help" id="repo-help">
                <span data-testid="repo-picked">
                    {move || match (picked_repo.get(), shown.with(Vec::is_empty)) {
                        (Some(r), _) => format!("{}: {}", r.full_name, picked_note(&r)),
                        (None, true) => "No repository matches the filter.".to_string(),
                        (None, false) => "Choose a repository.".to_string(),
                    }}
                </span>
                <button type="button" class="link-button" data-testid="repo-type-instead"
                    on:click=move |_| state.switch(RepoMode::Type)>
                    "Type a URL or path instead"
                </button>
            </p>
        </div>
    }
}

#[component]
pub fn BranchField(state: RepoState) -> impl IntoView {
    let typed = move || {
        view! {
            <input id="branch" name="branch" data-testid="branch-input" autocomplete="off" spellcheck="false"
                prop:value=move || state.branch.get() on:input=move |ev| state.branch.set(event_target_value(&ev))/>
        }
    };
    let control = move || {
        if state.mode.get() == RepoMode::Type {
            return typed().into_any();
        }
        match state.branches.get() {
            None => view! {
                <select id="branch" disabled data-testid="branch-select"><option>"Choose a repository first"</option></select>
            }
            .into_any(),
            Some((_, Load::Loading)) => view! {
                <select id="branch" disabled data-testid="branch-select">
                    <option>{format!("{} (loading branches…)", state.branch.get_untracked())}</option>
                </select>
            }
            .into_any(),
            Some((_, Load::Failed(e))) => view! {
                {typed()}
                <p class="field-help" data-testid="branch-list-error">{format!("Could not list branches: {}", e.message)}</p>
            }
            .into_any(),
            Some((_, Load::Ready(list))) => {
                let current = state.branch.get_untracked();
                view! {
                    <select id="branch" name="branch" data-testid="branch-select"
                        on:change=move |ev| state.branch.set(event_target_value(&ev))>
                        {branch_names(&list).into_iter().map(|name| {
                            let label = if name == list.default_branch { format!("{name} (default)") } else { name.clone() };
                            let selected = name == current;
                            view! { <option value=name selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any()
            }
        }
    };
    view! {
        <div class="field">
            <label class="field-label" for="branch">"Branch"</label>
            {control}
        </div>
    }
}
