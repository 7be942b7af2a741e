//! The automation form: its fields as typed, the body of `POST /api/automations` for a new one,
//! and for an edit the body of `PATCH /api/automations/:id` with only what changed. Only the
//! obvious is checked here (required fields, the lines of the variables); the server checks
//! the rest (the cron expression, the time zone, JSONPaths, the prompt's variables) and its
//! message is shown as it is.

use std::collections::BTreeMap;

use oi_protocol::automations::{Automation, CreateAutomation, IdempotencyKey, Trigger, UpdateAutomation};
use oi_protocol::{ApiError, ErrorCode};

/// The trigger picked in the form (a run-now trigger is not one to pick).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TriggerChoice {
    #[default]
    Schedule,
    Webhook,
    Sentry,
}

impl TriggerChoice {
    pub const ALL: [TriggerChoice; 3] = [TriggerChoice::Schedule, TriggerChoice::Webhook, TriggerChoice::Sentry];

    pub fn value(self) -> &'static str {
        match self {
            TriggerChoice::Schedule => "schedule",
            TriggerChoice::Webhook => "webhook",
            TriggerChoice::Sentry => "sentry",
        }
    }

    pub fn from_value(value: &str) -> Self {
        Self::ALL.into_iter().find(|c| c.value() == value).unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            TriggerChoice::Schedule => "On a schedule",
            TriggerChoice::Webhook => "On a webhook delivery",
            TriggerChoice::Sentry => "On a Sentry issue",
        }
    }
}

/// Where a webhook delivery's idempotency key is, as picked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyChoice {
    /// Every delivery is new.
    #[default]
    None,
    JsonPath,
    Header,
}

impl KeyChoice {
    pub const ALL: [KeyChoice; 3] = [KeyChoice::None, KeyChoice::JsonPath, KeyChoice::Header];

    pub fn value(self) -> &'static str {
        match self {
            KeyChoice::None => "none",
            KeyChoice::JsonPath => "json_path",
            KeyChoice::Header => "header",
        }
    }

    pub fn from_value(value: &str) -> Self {
        Self::ALL.into_iter().find(|c| c.value() == value).unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyChoice::None => "None: every delivery is new",
            KeyChoice::JsonPath => "A JSONPath in the body",
            KeyChoice::Header => "A request header",
        }
    }
}

/// The form's fields as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationForm {
    pub name: String,
    /// The repository chosen (picked or typed).
    pub repo: String,
    pub branch: String,
    /// Empty: the deployment's default model.
    pub model: String,
    pub prompt: String,
    pub trigger: TriggerChoice,
    pub cron: String,
    pub timezone: String,
    /// A webhook's JSONPath filter; empty: every delivery.
    pub filter: String,
    /// A webhook's variables, a `name=JSONPath` per line.
    pub variables: String,
    pub key_choice: KeyChoice,
    /// The JSONPath or the header name of the idempotency key.
    pub key: String,
    /// Sentry project slugs, separated by commas or spaces; empty: any project.
    pub projects: String,
    pub callback_url: String,
    /// Only for a new automation (an existing one is paused and resumed on its page).
    pub enabled: bool,
}

impl Default for AutomationForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            repo: String::new(),
            branch: "main".into(),
            model: String::new(),
            prompt: String::new(),
            trigger: TriggerChoice::Schedule,
            cron: String::new(),
            timezone: "UTC".into(),
            filter: String::new(),
            variables: String::new(),
            key_choice: KeyChoice::None,
            key: String::new(),
            projects: String::new(),
            callback_url: String::new(),
            enabled: true,
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

fn trimmed(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `name=JSONPath` lines into the variables; blank lines and `#` comments are skipped.
pub fn parse_variables(text: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut variables = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = n + 1;
        let Some((name, path)) = line.split_once('=') else {
            return Err(invalid(format!("trigger.variables: line {n} is not name=JSONPath")));
        };
        let (name, path) = (name.trim(), path.trim());
        if name.is_empty() || path.is_empty() {
            return Err(invalid(format!("trigger.variables: line {n} needs both a name and a JSONPath")));
        }
        if variables.insert(name.to_string(), path.to_string()).is_some() {
            return Err(invalid(format!("trigger.variables: {name} is named twice")));
        }
    }
    Ok(variables)
}

/// The variables as the field shows them: a `name=JSONPath` per line.
pub fn variables_text(variables: &BTreeMap<String, String>) -> String {
    variables.iter().map(|(name, path)| format!("{name}={path}")).collect::<Vec<_>>().join("\n")
}

/// Project slugs separated by commas, spaces or lines, each once, in the order given.
pub fn parse_projects(text: &str) -> Vec<String> {
    let mut projects: Vec<String> = vec![];
    for slug in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
        if !projects.iter().any(|p| p == slug) {
            projects.push(slug.to_string());
        }
    }
    projects
}

impl AutomationForm {
    /// The fields of an existing automation, to edit it.
    pub fn from_automation(automation: &Automation) -> Self {
        let mut form = Self {
            name: automation.name.clone(),
            repo: automation.repo.clone(),
            branch: automation.branch.clone(),
            model: automation.model.clone(),
            prompt: automation.prompt.clone(),
            callback_url: automation.callback_url.clone().unwrap_or_default(),
            enabled: automation.enabled,
            ..Self::default()
        };
        match &automation.trigger {
            Trigger::Schedule { cron, timezone } => {
                form.trigger = TriggerChoice::Schedule;
                form.cron = cron.clone();
                form.timezone = timezone.clone();
            }
            Trigger::Webhook { filter, variables, idempotency_key } => {
                form.trigger = TriggerChoice::Webhook;
                form.filter = filter.clone().unwrap_or_default();
                form.variables = variables_text(variables);
                (form.key_choice, form.key) = match idempotency_key {
                    None => (KeyChoice::None, String::new()),
                    Some(IdempotencyKey::JsonPath(path)) => (KeyChoice::JsonPath, path.clone()),
                    Some(IdempotencyKey::Header(name)) => (KeyChoice::Header, name.clone()),
                };
            }
            Trigger::Sentry { projects } => {
                form.trigger = TriggerChoice::Sentry;
                form.projects = projects.join(", ");
            }
        }
        form
    }

    /// The trigger from its fields.
    pub fn trigger(&self) -> Result<Trigger, ApiError> {
        Ok(match self.trigger {
            TriggerChoice::Schedule => Trigger::Schedule {
                cron: trimmed(&self.cron).ok_or_else(|| {
                    invalid("trigger.cron: enter a cron expression (minute hour day month weekday), like 0 9 * * *")
                })?,
                timezone: trimmed(&self.timezone).unwrap_or_else(|| "UTC".into()),
            },
            TriggerChoice::Webhook => Trigger::Webhook {
                filter: trimmed(&self.filter),
                variables: parse_variables(&self.variables)?,
                idempotency_key: match self.key_choice {
                    KeyChoice::None => None,
                    choice => {
                        let key = trimmed(&self.key).ok_or_else(|| {
                            invalid("trigger.idempotency_key: enter the JSONPath or the header of the key")
                        })?;
                        Some(if choice == KeyChoice::Header {
                            IdempotencyKey::Header(key)
                        } else {
                            IdempotencyKey::JsonPath(key)
                        })
                    }
                },
            },
            TriggerChoice::Sentry => Trigger::Sentry { projects: parse_projects(&self.projects) },
        })
    }

    fn required(&self) -> Result<(String, String, String), ApiError> {
        let name = trimmed(&self.name).ok_or_else(|| invalid("name: enter a name"))?;
        let repo = trimmed(&self.repo).ok_or_else(|| invalid("repo: choose a repository, or type its URL or path"))?;
        if self.prompt.trim().is_empty() {
            return Err(invalid("prompt: enter the prompt each run sends"));
        }
        Ok((name, repo, self.prompt.clone()))
    }

    /// `POST /api/automations`: empty optional fields are left to the server's defaults.
    pub fn create(&self) -> Result<CreateAutomation, ApiError> {
        let (name, repo, prompt) = self.required()?;
        Ok(CreateAutomation {
            name,
            repo,
            branch: trimmed(&self.branch),
            model: trimmed(&self.model),
            prompt,
            trigger: self.trigger()?,
            enabled: (!self.enabled).then_some(false),
            callback_url: trimmed(&self.callback_url),
        })
    }

    /// `PATCH /api/automations/:id`: only the fields that differ from `original`. An empty
    /// branch or model keeps the automation's; an emptied callback URL removes it.
    pub fn update(&self, original: &Automation) -> Result<UpdateAutomation, ApiError> {
        let (name, repo, prompt) = self.required()?;
        let changed = |new: Option<String>, old: &str| new.filter(|new| new != old);
        let trigger = self.trigger()?;
        let callback_url = match (trimmed(&self.callback_url), original.callback_url.as_deref()) {
            (None, None) => None,
            (None, Some(_)) => Some(String::new()),
            (Some(new), old) => (Some(new.as_str()) != old).then_some(new),
        };
        Ok(UpdateAutomation {
            name: changed(Some(name), &original.name),
            repo: changed(Some(repo), &original.repo),
            branch: changed(trimmed(&self.branch), &original.branch),
            model: changed(trimmed(&self.model), &original.model),
            prompt: changed(Some(prompt), &original.prompt),
            trigger: (trigger != original.trigger).then_some(trigger),
            callback_url,
        })
    }
}

/// Whether a `PATCH` would change nothing.
pub fn is_no_change(update: &UpdateAutomation) -> bool {
    *update == UpdateAutomation::default()
}

/// The field a server message names (`trigger.cron: …` → `trigger.cron`), to mark it.
pub fn field_of(message: &str) -> Option<&str> {
    let (field, _) = message.split_once(": ")?;
    let simple = !field.is_empty() && field.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
    simple.then_some(field)
}

#[cfg(test)]
mod tests;
