//! What the double is started with: the app (its bot token, signing secret and bot user), the
//! workspace, its conversations and its people.

use std::collections::HashSet;

use anyhow::{bail, Result};

/// The default bot token ([`SlackConfig::default`]).
pub const DEFAULT_BOT_TOKEN: &str = "xoxb-1234567890-1234567890123-TestBotTokenValue00";
/// The default signing secret.
pub const DEFAULT_SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// The double's configuration. Ids follow Slack's shapes (`T…` team, `A…` app, `U…` users,
/// `B…` bots, `C…`/`G…` channels, `D…` direct messages).
#[derive(Clone, Debug)]
pub struct SlackConfig {
    /// The bot token (`xoxb-…`) the product must send as `Authorization: Bearer …`.
    pub bot_token: String,
    /// The app's signing secret: events and interactions are signed with it.
    pub signing_secret: String,
    /// The deprecated verification token Slack still puts in payloads' `token` field.
    pub verification_token: String,
    pub team_id: String,
    /// The workspace's name (`auth.test`'s `team`).
    pub team_name: String,
    /// The workspace's subdomain: `auth.test`'s `url` is `https://<domain>.slack.com/`.
    pub team_domain: String,
    pub api_app_id: String,
    /// The app's bot user (`auth.test`'s `user_id`; mentions are `<@bot_user_id>`).
    pub bot_user_id: String,
    /// The app's bot id (`B…`): the `bot_id` of the messages it posts.
    pub bot_id: String,
    /// The bot user's name (`auth.test`'s `user`).
    pub bot_name: String,
    pub channels: Vec<ChannelConfig>,
    pub users: Vec<UserConfig>,
    /// Where events go (the app's Request URL); also [`crate::SlackDouble::set_events_url`].
    pub events_url: Option<String>,
    /// Where interactions go; also [`crate::SlackDouble::set_interactions_url`].
    pub interactions_url: Option<String>,
}

impl Default for SlackConfig {
    /// A workspace `T0123TEAM` with the app `A0123APPID`, its bot user `U0123BOT` (`B0123BOTID`),
    /// `#general` (`C0123GENERAL`) and no people yet.
    fn default() -> Self {
        Self {
            bot_token: DEFAULT_BOT_TOKEN.into(),
            signing_secret: DEFAULT_SIGNING_SECRET.into(),
            verification_token: "Jhj5dZrVaK7ZwHHjRyZWjbDl".into(),
            team_id: "T0123TEAM".into(),
            team_name: "Open Inspect Test".into(),
            team_domain: "oi-test".into(),
            api_app_id: "A0123APPID".into(),
            bot_user_id: "U0123BOT".into(),
            bot_id: "B0123BOTID".into(),
            bot_name: "open-inspect".into(),
            channels: vec![ChannelConfig::public("C0123GENERAL", "general")],
            users: Vec::new(),
            events_url: None,
            interactions_url: None,
        }
    }
}

impl SlackConfig {
    /// The defaults with this bot token and signing secret.
    pub fn new(bot_token: impl Into<String>, signing_secret: impl Into<String>) -> Self {
        Self { bot_token: bot_token.into(), signing_secret: signing_secret.into(), ..Self::default() }
    }

    /// Sets the workspace's id, name and subdomain.
    pub fn team(mut self, id: impl Into<String>, name: impl Into<String>, domain: impl Into<String>) -> Self {
        self.team_id = id.into();
        self.team_name = name.into();
        self.team_domain = domain.into();
        self
    }

    /// Sets the app's id.
    pub fn app_id(mut self, api_app_id: impl Into<String>) -> Self {
        self.api_app_id = api_app_id.into();
        self
    }

    /// Sets the bot user's id, the bot id and the bot user's name.
    pub fn bot(mut self, user_id: impl Into<String>, bot_id: impl Into<String>, name: impl Into<String>) -> Self {
        self.bot_user_id = user_id.into();
        self.bot_id = bot_id.into();
        self.bot_name = name.into();
        self
    }

    /// Adds a conversation (replacing one with the same id).
    pub fn channel(mut self, channel: ChannelConfig) -> Self {
        self.channels.retain(|c| c.id != channel.id);
        self.channels.push(channel);
        self
    }

    /// Adds a person (or another bot).
    pub fn user(mut self, user: UserConfig) -> Self {
        self.users.retain(|u| u.id != user.id);
        self.users.push(user);
        self
    }

    /// Sets where events are delivered.
    pub fn events_url(mut self, url: impl Into<String>) -> Self {
        self.events_url = Some(url.into());
        self
    }

    /// Sets where interactions are delivered.
    pub fn interactions_url(mut self, url: impl Into<String>) -> Self {
        self.interactions_url = Some(url.into());
        self
    }

    /// Checks ids are unique and direct messages name known people.
    pub fn validate(&self) -> Result<()> {
        if !self.bot_token.starts_with("xoxb-") {
            bail!("the bot token must start with xoxb-, got {:?}", self.bot_token);
        }
        if self.signing_secret.is_empty() {
            bail!("the signing secret is empty");
        }
        let mut ids = HashSet::new();
        for channel in &self.channels {
            if !ids.insert(channel.id.as_str()) {
                bail!("duplicate channel id {:?}", channel.id);
            }
            let first = channel.id.chars().next().unwrap_or(' ');
            match &channel.kind {
                ChannelKind::Im { user } => {
                    if first != 'D' {
                        bail!("direct message {:?} must have a D… id", channel.id);
                    }
                    if self.find_user(user).is_none() && *user != self.bot_user_id {
                        bail!("direct message {:?} is with unknown user {user:?}", channel.id);
                    }
                }
                _ if !matches!(first, 'C' | 'G') => bail!("channel {:?} must have a C… or G… id", channel.id),
                _ => {}
            }
        }
        let mut users = HashSet::from([self.bot_user_id.as_str()]);
        for user in &self.users {
            if !users.insert(user.id.as_str()) {
                bail!("duplicate user id {:?} (the bot user is {:?})", user.id, self.bot_user_id);
            }
            if !matches!(user.id.chars().next(), Some('U' | 'W')) {
                bail!("user {:?} must have a U… or W… id", user.id);
            }
        }
        Ok(())
    }

    /// The person (not the app's bot user) with this id.
    pub fn find_user(&self, id: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The conversation with this id.
    pub fn find_channel(&self, id: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The app's bot user as a [`UserConfig`] (what `users.info` answers for it).
    pub fn bot_user(&self) -> UserConfig {
        let mut user = UserConfig::new(&self.bot_user_id, &self.bot_name).real_name(&self.bot_name);
        user.is_bot = true;
        user.bot_id = Some(self.bot_id.clone());
        user
    }
}

/// What kind of conversation a channel is; it decides the events' `channel_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// A public channel (`channel_type: "channel"`).
    Public,
    /// A private channel (`channel_type: "group"`).
    Private,
    /// A direct message between the bot and `user` (`channel_type: "im"`).
    Im { user: String },
    /// A group direct message (`channel_type: "mpim"`).
    Mpim,
}

impl ChannelKind {
    /// The Events API's `channel_type` for messages in it.
    pub fn channel_type(&self) -> &'static str {
        match self {
            ChannelKind::Public => "channel",
            ChannelKind::Private => "group",
            ChannelKind::Im { .. } => "im",
            ChannelKind::Mpim => "mpim",
        }
    }
}

/// A conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    pub id: String,
    /// The name without `#` (direct messages: `directmessage`, as interaction payloads say).
    pub name: String,
    pub kind: ChannelKind,
    /// Whether the bot is a member: posting to a channel it is not in answers `not_in_channel`.
    pub bot_member: bool,
}

impl ChannelConfig {
    /// A public channel the bot is in.
    pub fn public(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), kind: ChannelKind::Public, bot_member: true }
    }

    /// A private channel the bot is in.
    pub fn private(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), kind: ChannelKind::Private, bot_member: true }
    }

    /// The direct message between the bot and `user` (a `D…` id).
    pub fn im(id: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: "directmessage".into(),
            kind: ChannelKind::Im { user: user.into() },
            bot_member: true,
        }
    }

    /// Makes the bot not a member.
    pub fn without_bot(mut self) -> Self {
        self.bot_member = false;
        self
    }
}

/// A person in the workspace (or another app's bot user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfig {
    /// `U…` (or `W…` on Enterprise Grid).
    pub id: String,
    /// The handle (`name`).
    pub name: String,
    pub real_name: String,
    /// `profile.display_name` (often empty on Slack).
    pub display_name: String,
    /// `profile.email`, if the person has one (bots do not).
    pub email: Option<String>,
    pub is_bot: bool,
    /// `profile.bot_id` for bot users.
    pub bot_id: Option<String>,
    /// Whether the account is deactivated (`deleted: true`).
    pub deleted: bool,
    /// IANA time zone (`tz`).
    pub tz: String,
}

impl UserConfig {
    /// A person with this id and handle; their real name is the handle until set.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: id.into(),
            real_name: name.clone(),
            name,
            display_name: String::new(),
            email: None,
            is_bot: false,
            bot_id: None,
            deleted: false,
            tz: "Europe/London".into(),
        }
    }

    pub fn real_name(mut self, real_name: impl Into<String>) -> Self {
        self.real_name = real_name.into();
        self
    }

    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = display_name.into();
        self
    }

    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Makes this another app's bot user with `bot_id`.
    pub fn bot(mut self, bot_id: impl Into<String>) -> Self {
        self.is_bot = true;
        self.bot_id = Some(bot_id.into());
        self
    }

    pub fn deleted(mut self, deleted: bool) -> Self {
        self.deleted = deleted;
        self
    }

    pub fn tz(mut self, tz: impl Into<String>) -> Self {
        self.tz = tz.into();
        self
    }
}
