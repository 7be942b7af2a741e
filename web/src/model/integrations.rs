//! Settings → Integrations (admins only): the API paths, an integration's form (on or off, its
//! settings as fields by their JSON type, its credentials write-only: set or not, and a field
//! to replace one) and the body of `PUT /api/integrations/:name` with only what changed, and
//! the delivery log's words.

use std::collections::BTreeMap;

use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::integrations::{Integration, IntegrationName, UpdateIntegration};
use oi_protocol::{ApiError, ErrorCode};
use serde_json::{Map, Value};

/// `GET /api/integrations`
pub const LIST_PATH: &str = "/api/integrations";

/// `PUT /api/integrations/:name`
pub fn integration_path(name: IntegrationName) -> String {
    format!("{LIST_PATH}/{}", name.as_str())
}

/// `GET /api/integrations/:name/deliveries`
pub fn deliveries_path(name: IntegrationName) -> String {
    format!("{}/deliveries", integration_path(name))
}

pub fn title(name: IntegrationName) -> &'static str {
    match name {
        IntegrationName::Sentry => "Sentry",
        IntegrationName::Slack => "Slack",
        IntegrationName::Github => "GitHub",
        IntegrationName::Linear => "Linear",
    }
}

pub fn description(name: IntegrationName) -> &'static str {
    match name {
        IntegrationName::Sentry => "New Sentry issues start the automations that have a Sentry trigger.",
        IntegrationName::Slack => "Start sessions from Slack threads.",
        IntegrationName::Github => "Start sessions from pull request comments.",
        IntegrationName::Linear => "Start sessions from Linear issues.",
    }
}

/// How a setting is edited, from its JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Flag,
    /// A list of strings, separated by commas.
    List,
    Number,
    /// Anything else, as JSON.
    Json,
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigField {
    pub key: String,
    pub kind: FieldKind,
    /// The text of a text, list, number or JSON field.
    pub text: String,
    /// A flag's value.
    pub flag: bool,
}

impl ConfigField {
    fn from_value(key: &str, value: &Value) -> Self {
        let field = |kind, text: String, flag| Self { key: key.to_string(), kind, text, flag };
        match value {
            Value::String(s) => field(FieldKind::Text, s.clone(), false),
            Value::Bool(b) => field(FieldKind::Flag, String::new(), *b),
            Value::Number(n) => field(FieldKind::Number, n.to_string(), false),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                field(FieldKind::List, items.join(", "), false)
            }
            other => field(FieldKind::Json, other.to_string(), false),
        }
    }

    fn value(&self) -> Result<Value, ApiError> {
        let invalid = |why: &str| ApiError::new(ErrorCode::InvalidRequest, format!("{}: {why}", self.key));
        Ok(match self.kind {
            FieldKind::Text => Value::String(self.text.trim().to_string()),
            FieldKind::Flag => Value::Bool(self.flag),
            FieldKind::List => Value::Array(
                self.text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.into()))
                    .collect(),
            ),
            FieldKind::Number => {
                let number: serde_json::Number = self.text.trim().parse().map_err(|_| invalid("enter a number"))?;
                Value::Number(number)
            }
            FieldKind::Json => serde_json::from_str(&self.text).map_err(|e| invalid(&format!("not JSON ({e})")))?,
        })
    }
}

/// One credential: whether it is set, and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretField {
    pub name: String,
    pub set: bool,
    pub updated_at: Option<i64>,
    /// A new value (never filled from anything); empty: keep.
    pub replacement: String,
    /// Remove the value that is set.
    pub remove: bool,
}

/// An integration's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationForm {
    pub enabled: bool,
    pub fields: Vec<ConfigField>,
    /// A setting to add: its key and (text) value; an empty key adds nothing.
    pub new_key: String,
    pub new_value: String,
    pub secrets: Vec<SecretField>,
}

impl IntegrationForm {
    pub fn from_integration(integration: &Integration) -> Self {
        let mut fields: Vec<ConfigField> =
            integration.config.iter().map(|(k, v)| ConfigField::from_value(k, v)).collect();
        fields.sort_by(|a, b| a.key.cmp(&b.key));
        Self {
            enabled: integration.enabled,
            fields,
            new_key: String::new(),
            new_value: String::new(),
            secrets: integration
                .secrets
                .iter()
                .map(|s| SecretField {
                    name: s.name.clone(),
                    set: s.set,
                    updated_at: s.updated_at,
                    replacement: String::new(),
                    remove: false,
                })
                .collect(),
        }
    }

    /// The settings as the form has them.
    pub fn config(&self) -> Result<Map<String, Value>, ApiError> {
        let mut config = Map::new();
        for field in &self.fields {
            config.insert(field.key.clone(), field.value()?);
        }
        let key = self.new_key.trim();
        if !key.is_empty() {
            if config.contains_key(key) {
                return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{key}: this setting is there already")));
            }
            config.insert(key.to_string(), Value::String(self.new_value.trim().to_string()));
        }
        Ok(config)
    }

    /// `PUT /api/integrations/:name`: only what changed (the settings as a whole, when one did).
    pub fn update(&self, original: &Integration) -> Result<UpdateIntegration, ApiError> {
        let config = self.config()?;
        let mut secrets = BTreeMap::new();
        for s in &self.secrets {
            if !s.replacement.is_empty() {
                secrets.insert(s.name.clone(), s.replacement.clone());
            } else if s.remove && s.set {
                secrets.insert(s.name.clone(), String::new());
            }
        }
        Ok(UpdateIntegration {
            enabled: (self.enabled != original.enabled).then_some(self.enabled),
            config: (config != original.config).then_some(config),
            secrets,
        })
    }
}

/// Whether a `PUT` would change nothing.
pub fn is_no_change(update: &UpdateIntegration) -> bool {
    *update == UpdateIntegration::default()
}

/// A credential's state: `set 3 d ago`, `set`, `not set`.
pub fn secret_state(set: bool, updated_at: Option<i64>, now: i64) -> String {
    match (set, updated_at) {
        (false, _) => "not set".to_string(),
        (true, Some(at)) => format!("set {}", super::format::relative_time(now, at)),
        (true, None) => "set".to_string(),
    }
}

/// A delivery's outcome: words and the badge class.
pub fn outcome_label(outcome: DeliveryOutcome) -> (&'static str, &'static str) {
    match outcome {
        DeliveryOutcome::Started => ("Started", "ok"),
        DeliveryOutcome::Ignored => ("Ignored", "neutral"),
        DeliveryOutcome::Refused => ("Refused", "bad"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::integrations::IntegrationSecret;
    use serde_json::json;

    fn sentry(config: Value) -> Integration {
        Integration {
            name: IntegrationName::Sentry,
            available: true,
            enabled: false,
            config: config.as_object().cloned().unwrap_or_default(),
            secrets: vec![
                IntegrationSecret { name: "client_secret".into(), set: true, updated_at: Some(1_000) },
                IntegrationSecret { name: "auth_token".into(), set: false, updated_at: None },
            ],
            webhook_path: "/api/integrations/sentry/webhook".into(),
            updated_at: None,
        }
    }

    #[test]
    fn paths_and_names() {
        assert_eq!(LIST_PATH, "/api/integrations");
        assert_eq!(integration_path(IntegrationName::Sentry), "/api/integrations/sentry");
        assert_eq!(deliveries_path(IntegrationName::Sentry), "/api/integrations/sentry/deliveries");
        assert_eq!(title(IntegrationName::Github), "GitHub");
    }

    #[test]
    fn settings_are_fields_by_their_type() {
        let original = sentry(json!({
            "organization": "acme", "verify": true, "projects": ["web", "api"], "max": 3, "map": {"a": 1}
        }));
        let form = IntegrationForm::from_integration(&original);
        let kinds: Vec<(&str, FieldKind, &str, bool)> =
            form.fields.iter().map(|f| (f.key.as_str(), f.kind, f.text.as_str(), f.flag)).collect();
        assert_eq!(
            kinds,
            [
                ("map", FieldKind::Json, "{\"a\":1}", false),
                ("max", FieldKind::Number, "3", false),
                ("organization", FieldKind::Text, "acme", false),
                ("projects", FieldKind::List, "web, api", false),
                ("verify", FieldKind::Flag, "", true),
            ]
        );
        assert!(form.secrets[0].set);
        let unchanged = form.update(&original).unwrap();
        assert!(is_no_change(&unchanged), "{unchanged:?}");
        assert_eq!(serde_json::to_string(&unchanged).unwrap(), "{}");
    }

    #[test]
    fn a_save_sends_what_changed() {
        let original = sentry(json!({"organization": "acme", "projects": ["web"]}));
        let mut form = IntegrationForm::from_integration(&original);
        form.enabled = true;
        form.fields[1].text = "web, api ,".into();
        form.new_key = " region ".into();
        form.new_value = "eu".into();
        form.secrets[1].replacement = "sntrys_abc".into();
        let update = form.update(&original).unwrap();
        assert_eq!(update.enabled, Some(true));
        assert_eq!(
            update.config.map(Value::Object),
            Some(json!({"organization": "acme", "projects": ["web", "api"], "region": "eu"}))
        );
        assert_eq!(update.secrets, BTreeMap::from([("auth_token".to_string(), "sntrys_abc".to_string())]));

        // Removing a credential that is set sends "" for it; one not set is left alone.
        let mut form = IntegrationForm::from_integration(&original);
        form.secrets[0].remove = true;
        form.secrets[1].remove = true;
        let update = form.update(&original).unwrap();
        assert_eq!(update.secrets, BTreeMap::from([("client_secret".to_string(), String::new())]));
        assert_eq!((update.enabled, update.config), (None, None));
    }

    #[test]
    fn bad_settings_are_named() {
        let original = sentry(json!({"max": 3, "map": {}}));
        let mut form = IntegrationForm::from_integration(&original);
        form.fields[1].text = "three".into();
        assert_eq!(form.update(&original).unwrap_err().message, "max: enter a number");
        form.fields[1].text = "4".into();
        form.fields[0].text = "{".into();
        assert!(form.update(&original).unwrap_err().message.starts_with("map: not JSON"));
        form.fields[0].text = "[1]".into();
        form.new_key = "max".into();
        assert_eq!(form.update(&original).unwrap_err().message, "max: this setting is there already");
    }

    #[test]
    fn words_for_credentials_and_deliveries() {
        assert_eq!(secret_state(false, Some(1), 0), "not set");
        assert_eq!(secret_state(true, None, 0), "set");
        assert_eq!(secret_state(true, Some(0), 3 * 86_400_000), "set 3 d ago");
        assert_eq!(outcome_label(DeliveryOutcome::Refused), ("Refused", "bad"));
        assert_eq!(outcome_label(DeliveryOutcome::Started), ("Started", "ok"));
    }
}
