//! Integrations (Settings → Integrations, admins only): each one's settings and sealed
//! credentials, and the log of what vendors delivered (docs/integrations.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::automations::DeliveryOutcome;

/// The integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationName {
    Sentry,
    Slack,
    Github,
    Linear,
}

impl IntegrationName {
    pub const ALL: [IntegrationName; 4] =
        [IntegrationName::Sentry, IntegrationName::Slack, IntegrationName::Github, IntegrationName::Linear];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationName::Sentry => "sentry",
            IntegrationName::Slack => "slack",
            IntegrationName::Github => "github",
            IntegrationName::Linear => "linear",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// One credential of an integration: whether it is set (its value never comes back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSecret {
    pub name: String,
    pub set: bool,
    /// Milliseconds since the Unix epoch, when it was last set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// An integration's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    pub name: IntegrationName,
    /// Whether it is built yet in this version (a later one adds the rest).
    pub available: bool,
    /// Deliveries are refused (503) while it is off.
    pub enabled: bool,
    /// Its settings other than credentials (each integration documents its keys).
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Its credentials, in the order it needs them.
    pub secrets: Vec<IntegrationSecret>,
    /// Where the vendor delivers (a path of this deployment).
    pub webhook_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// `GET /api/integrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationList {
    pub integrations: Vec<Integration>,
}

/// `PUT /api/integrations/:name`: what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateIntegration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Replaces the settings (credentials excepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Credentials to set (name → value); `""` removes one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
}

/// One delivery, as the log keeps it (for 7 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `dlv_…`.
    pub id: String,
    /// `sentry`, `automation:<id>`, …
    pub source: String,
    pub received_at: i64,
    pub outcome: DeliveryOutcome,
    /// The status it was answered with.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// `GET /api/integrations/:name/deliveries` and `GET /api/automations/:id/deliveries`: newest
/// first, at most 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
}

/// A link from a vendor's user to a person here, made by an admin: that vendor user acts as
/// this person (docs/integrations.md, "Acting person").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationLink {
    /// The vendor's id for its user (a Slack member id, a GitHub login, a Linear user id).
    pub vendor_user_id: String,
    /// The person here.
    pub user_id: String,
    /// The admin who made it.
    pub created_by: String,
    pub created_at: i64,
}

/// `GET /api/integrations/:name/links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationLinkList {
    pub links: Vec<IntegrationLink>,
}

/// `PUT /api/integrations/:name/links/:vendor_user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutIntegrationLink {
    pub user_id: String,
}
