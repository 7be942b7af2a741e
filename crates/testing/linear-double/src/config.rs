//! What the double starts with: the workspace (organization, people, the app user, teams with
//! their workflow states, labels, projects, issues), the credentials it accepts and where its
//! webhooks go. Builders keep tests short: ids default to stable UUID-shaped values derived
//! from names, and issues name their state, labels and project by name or id.

use std::time::Duration;

use crate::ids::derived_uuid;

/// The static app token [`LinearConfig::default`] accepts (`Authorization: Bearer …`).
pub const DEFAULT_ACCESS_TOKEN: &str = "lin_oauth_test-app-token-for-the-double";
/// The webhook signing secret by default: the contract's test-vector secret.
pub const DEFAULT_WEBHOOK_SECRET: &str = "test-linear-secret";
/// The OAuth application's client id and secret by default.
pub const DEFAULT_CLIENT_ID: &str = "oi-linear-test-client";
pub const DEFAULT_CLIENT_SECRET: &str = "oi-linear-test-client-secret";
/// Access tokens of the authorization-code grant live 24 hours by default (Linear's OAuth docs,
/// "Token lifetimes and renewal": not in the contract).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Clone, Debug, PartialEq)]
pub struct LinearConfig {
    pub organization: OrganizationConfig,
    /// The agent's app user: the viewer of app tokens and the `appUserId` of agent sessions.
    pub app_user: UserConfig,
    /// People of the workspace.
    pub users: Vec<UserConfig>,
    pub teams: Vec<TeamConfig>,
    pub labels: Vec<LabelConfig>,
    pub projects: Vec<ProjectConfig>,
    pub issues: Vec<IssueConfig>,
    /// App tokens accepted as `Authorization: Bearer <token>` that never expire (tokens from
    /// the OAuth flow are added as they are issued).
    pub access_tokens: Vec<String>,
    /// Personal API keys (`Authorization: <key>`, no prefix) and the user id each acts as.
    pub api_keys: Vec<(String, String)>,
    pub oauth: OAuthAppConfig,
    /// Where webhooks go (the product's Linear webhook route).
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
    /// `webhookId` in payloads.
    pub webhook_id: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationConfig {
    pub id: String,
    pub name: String,
    /// The workspace's URL key: `https://linear.app/<url_key>/issue/ENG-1`.
    pub url_key: String,
}

/// The registered OAuth application.
#[derive(Clone, Debug, PartialEq)]
pub struct OAuthAppConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Registered callback URLs; `redirect_uri` must equal one of them.
    pub redirect_uris: Vec<String>,
    /// How long access tokens live (`expires_in`).
    pub token_lifetime: Duration,
    /// How long an authorization code may wait for its exchange.
    pub code_lifetime: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserConfig {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub email: String,
    /// Whether this is an app user (an agent).
    pub app: bool,
}

impl UserConfig {
    /// A person; `display_name` defaults to the part of the email before `@`.
    pub fn new(id: impl Into<String>, name: impl Into<String>, email: impl Into<String>) -> Self {
        let email = email.into();
        let display_name = email.split('@').next().unwrap_or_default().to_string();
        Self { id: id.into(), name: name.into(), display_name, email, app: false }
    }

    /// An app user (an agent), with a made-up `<name>@oauthapp.linear.app`-style email.
    pub fn app(id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        let handle = name.to_lowercase().replace(' ', "-");
        Self { id: id.into(), email: format!("{handle}@oauthapp.linear.app"), display_name: handle, name, app: true }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TeamConfig {
    pub id: String,
    /// The identifier prefix: `ENG` in `ENG-123`.
    pub key: String,
    pub name: String,
    pub states: Vec<StateConfig>,
}

impl TeamConfig {
    /// A team with Linear's default workflow: Backlog, Todo, In Progress, In Review, Done,
    /// Canceled (ids derived from the key and the state's name).
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        let key = key.into();
        let states = [
            ("Backlog", "backlog", "#bec2c8"),
            ("Todo", "unstarted", "#e2e2e2"),
            ("In Progress", "started", "#f2c94c"),
            ("In Review", "started", "#0f783c"),
            ("Done", "completed", "#5e6ad2"),
            ("Canceled", "canceled", "#95a2b3"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (name, kind, color))| StateConfig {
            id: derived_uuid(&format!("state {key} {name}")),
            name: (*name).into(),
            kind: (*kind).into(),
            position: i as f64,
            color: (*color).into(),
        })
        .collect();
        Self { id: derived_uuid(&format!("team {key}")), key, name: name.into(), states }
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Replaces the workflow states.
    pub fn states(mut self, states: Vec<StateConfig>) -> Self {
        self.states = states;
        self
    }

    /// A state by id or name.
    pub fn find_state(&self, id_or_name: &str) -> Option<&StateConfig> {
        self.states.iter().find(|s| s.id == id_or_name).or_else(|| self.states.iter().find(|s| s.name == id_or_name))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StateConfig {
    pub id: String,
    pub name: String,
    /// `WorkflowState.type`: triage, backlog, unstarted, started, completed or canceled.
    pub kind: String,
    pub position: f64,
    pub color: String,
}

impl StateConfig {
    pub fn new(id: impl Into<String>, name: impl Into<String>, kind: impl Into<String>, position: f64) -> Self {
        Self { id: id.into(), name: name.into(), kind: kind.into(), position, color: "#e2e2e2".into() }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelConfig {
    pub id: String,
    pub name: String,
    pub color: String,
}

impl LabelConfig {
    /// A label with an id derived from its name.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self { id: derived_uuid(&format!("label {name}")), name, color: "#eb5757".into() }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectConfig {
    pub id: String,
    pub name: String,
}

impl ProjectConfig {
    /// A project with an id derived from its name.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self { id: derived_uuid(&format!("project {name}")), name }
    }
}

/// An issue. Its team is the one whose key prefixes the identifier; `state`, `labels` and
/// `project` may name things by id or by name (resolved at start).
#[derive(Clone, Debug, PartialEq)]
pub struct IssueConfig {
    pub id: String,
    /// `ENG-123`.
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    /// The state's id or name; `None`: the team's first `unstarted` state (or its first).
    pub state: Option<String>,
    pub labels: Vec<String>,
    pub project: Option<String>,
    pub assignee_id: Option<String>,
    pub creator_id: Option<String>,
}

impl IssueConfig {
    /// An issue with an id derived from its identifier.
    pub fn new(identifier: impl Into<String>, title: impl Into<String>) -> Self {
        let identifier = identifier.into();
        Self {
            id: derived_uuid(&format!("issue {identifier}")),
            identifier,
            title: title.into(),
            description: None,
            state: None,
            labels: Vec::new(),
            project: None,
            assignee_id: None,
            creator_id: None,
        }
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = Some(markdown.into());
        self
    }

    pub fn state(mut self, id_or_name: impl Into<String>) -> Self {
        self.state = Some(id_or_name.into());
        self
    }

    pub fn label(mut self, id_or_name: impl Into<String>) -> Self {
        self.labels.push(id_or_name.into());
        self
    }

    pub fn project(mut self, id_or_name: impl Into<String>) -> Self {
        self.project = Some(id_or_name.into());
        self
    }

    pub fn assignee(mut self, user_id: impl Into<String>) -> Self {
        self.assignee_id = Some(user_id.into());
        self
    }

    pub fn creator(mut self, user_id: impl Into<String>) -> Self {
        self.creator_id = Some(user_id.into());
        self
    }

    /// The team key: the identifier before its last `-`.
    pub fn team_key(&self) -> &str {
        self.identifier.rsplit_once('-').map(|(key, _)| key).unwrap_or_default()
    }

    /// The number: the identifier after its last `-`.
    pub fn number(&self) -> Option<u64> {
        self.identifier.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
    }
}

impl Default for LinearConfig {
    fn default() -> Self {
        Self {
            organization: OrganizationConfig {
                id: derived_uuid("organization"),
                name: "Open Inspect Test".into(),
                url_key: "oi-test".into(),
            },
            app_user: UserConfig::app(derived_uuid("app user"), "Open Inspect"),
            users: Vec::new(),
            teams: Vec::new(),
            labels: Vec::new(),
            projects: Vec::new(),
            issues: Vec::new(),
            access_tokens: vec![DEFAULT_ACCESS_TOKEN.into()],
            api_keys: Vec::new(),
            oauth: OAuthAppConfig {
                client_id: DEFAULT_CLIENT_ID.into(),
                client_secret: DEFAULT_CLIENT_SECRET.into(),
                redirect_uris: Vec::new(),
                token_lifetime: DEFAULT_TOKEN_LIFETIME,
                code_lifetime: Duration::from_secs(600),
            },
            webhook_url: None,
            webhook_secret: DEFAULT_WEBHOOK_SECRET.into(),
            webhook_id: derived_uuid("webhook"),
        }
    }
}

impl LinearConfig {
    /// The default workspace (no teams or issues yet), [`DEFAULT_ACCESS_TOKEN`] and
    /// [`DEFAULT_WEBHOOK_SECRET`].
    pub fn new() -> Self {
        Self::default()
    }

    pub fn organization(mut self, id: impl Into<String>, name: impl Into<String>, url_key: impl Into<String>) -> Self {
        self.organization = OrganizationConfig { id: id.into(), name: name.into(), url_key: url_key.into() };
        self
    }

    /// Replaces the agent's app user.
    pub fn app_user(mut self, user: UserConfig) -> Self {
        self.app_user = UserConfig { app: true, ..user };
        self
    }

    pub fn user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    pub fn team(mut self, team: TeamConfig) -> Self {
        self.teams.push(team);
        self
    }

    pub fn label(mut self, label: LabelConfig) -> Self {
        self.labels.push(label);
        self
    }

    pub fn project(mut self, project: ProjectConfig) -> Self {
        self.projects.push(project);
        self
    }

    pub fn issue(mut self, issue: IssueConfig) -> Self {
        self.issues.push(issue);
        self
    }

    /// Accepts another never-expiring app token.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_tokens.push(token.into());
        self
    }

    /// Accepts a personal API key acting as `user_id`.
    pub fn api_key(mut self, key: impl Into<String>, user_id: impl Into<String>) -> Self {
        self.api_keys.push((key.into(), user_id.into()));
        self
    }

    /// The OAuth application's credentials.
    pub fn oauth_client(mut self, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        self.oauth.client_id = client_id.into();
        self.oauth.client_secret = client_secret.into();
        self
    }

    /// Registers a callback URL of the OAuth application.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.oauth.redirect_uris.push(uri.into());
        self
    }

    /// How long OAuth access tokens live (short ones let tests exercise the refresh).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.oauth.token_lifetime = lifetime;
        self
    }

    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = secret.into();
        self
    }

    /// A user (the app user included) by id.
    pub fn find_user(&self, id: &str) -> Option<&UserConfig> {
        std::iter::once(&self.app_user).chain(&self.users).find(|u| u.id == id)
    }
}
