//! A control plane in GitHub sign-in mode, with a GitHub double, and a browser-like client
//! that keeps its cookies by hand (the session cookie is `Secure`, which cookie jars do not
//! send over plain http).

#![allow(dead_code)]

use oi_github_double::{DoubleConfig, EmailConfig, GithubDouble, UserConfig};
use oi_testkit::{ControlPlane, ControlPlaneOptions};
use reqwest::redirect::Policy;
use reqwest::Response;

pub const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
pub const CLIENT_SECRET: &str = "1f1c1e1d1c1b1a19181716151413121110f0e0d0";
pub const SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789abcdef";

pub struct GithubStack {
    pub github: GithubDouble,
    pub cp: ControlPlane,
}

/// Ada (first, so admin), Grace (a member of acme too) and Mallory (in no allowed org).
pub fn people() -> DoubleConfig {
    DoubleConfig::new(CLIENT_ID, CLIENT_SECRET)
        .user(UserConfig::new("ada", 1).name("Ada Lovelace").email(EmailConfig::primary("ada@acme.test")).org("acme"))
        .user(
            UserConfig::new("grace", 2).name("Grace Hopper").email(EmailConfig::primary("grace@acme.test")).org("acme"),
        )
        .user(UserConfig::new("linus", 4).name("Linus").email(EmailConfig::primary("linus@acme.test")).org("acme"))
        .user(UserConfig::new("mallory", 3).email(EmailConfig::primary("mallory@evil.test")).org("evil"))
}

impl GithubStack {
    pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(people(), extra).await
    }

    /// With another GitHub (an App and its installations, say).
    pub async fn start_with(config: DoubleConfig, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let github = GithubDouble::start(config).await?;
        let mut vars: Vec<(String, String)> = [
            ("AUTH_MODE", "github"),
            ("GITHUB_CLIENT_ID", CLIENT_ID),
            ("GITHUB_CLIENT_SECRET", CLIENT_SECRET),
            ("GITHUB_OAUTH_BASE", github.url.as_str()),
            ("GITHUB_API_BASE", github.url.as_str()),
            ("SESSION_SIGNING_KEY", SIGNING_KEY),
            ("ALLOWED_GITHUB_ORGS", "acme"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let cp = ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await?;
        github.set_redirect_uri(&format!("{}/auth/github/callback", cp.base_url()));
        Ok(Self { github, cp })
    }

    pub fn browser(&self) -> Browser {
        Browser { http: http_client(), cookies: vec![], base: self.cp.base_url() }
    }

    /// Signs `login` in through the whole OAuth flow; the browser then holds the session.
    pub async fn sign_in(&self, login: &str) -> anyhow::Result<Browser> {
        self.github.set_authorizing_user(login);
        let mut browser = self.browser();
        let last = browser.sign_in().await?;
        anyhow::ensure!(last.status().as_u16() == 302, "sign-in ended with {}", last.status());
        Ok(browser)
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

/// A client that keeps cookies by name, as a browser would for this one site.
pub struct Browser {
    pub http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    pub base: String,
}

impl Browser {
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Takes the `Set-Cookie` headers of a response from the control plane.
    pub fn keep_cookies(&mut self, response: &Response) {
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap_or_default();
            let Some((name, rest)) = set.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or_default().to_string();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !set.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value));
            }
        }
    }

    /// A request to the control plane with this browser's cookies.
    pub async fn send(&mut self, method: &str, path: &str, body: Option<&str>, origin: Option<&str>) -> Response {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) };
        let mut request = self.http.request(method.parse().unwrap(), url).header("cookie", self.cookie_header());
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("request");
        self.keep_cookies(&response);
        response
    }

    /// login → GitHub's authorize page → callback; answers the callback's response.
    pub async fn sign_in(&mut self) -> anyhow::Result<Response> {
        let login = self.send("GET", "/auth/github/login?return_to=/sessions", None, None).await;
        anyhow::ensure!(login.status().as_u16() == 302, "login answered {}", login.status());
        let authorize = location(&login);
        // GitHub's page (no control-plane cookies go there).
        let approved = self.http.get(&authorize).send().await?;
        anyhow::ensure!(approved.status().as_u16() == 302, "authorize answered {}", approved.status());
        let callback = location(&approved);
        Ok(self.send("GET", &callback, None, None).await)
    }
}

pub fn location(response: &Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub fn set_cookies(response: &Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(String::from)).collect()
}
