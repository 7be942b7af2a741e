//! Helpers for the GitHub App side: a double with an App, two installations and a real bare
//! git repository, App JWTs, git commands, and a webhook receiver.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oi_github_double::{AppConfig, DoubleConfig, GithubDouble, InstallationConfig, RepoConfig};
use serde_json::{json, Value};

pub const APP_ID: u64 = 123_456;
pub const APP_SLUG: &str = "open-inspect";
pub const INSTALLATION_ID: u64 = 42;
pub const OTHER_INSTALLATION_ID: u64 = 43;
pub const APP_KEY: &str = include_str!("../fixtures/github/test-app-key.pem");
pub const APP_PUBLIC_KEY: &str = include_str!("../fixtures/github/test-app-key.pub.pem");
pub const OTHER_KEY: &str = include_str!("../fixtures/github/other-key.pem");
pub const WEBHOOK_SECRET: &str = "It's a Secret to Everybody";

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An RS256 JWT with these claims, signed with `key`.
pub fn jwt_with(key: &str, claims: Value) -> String {
    let key = EncodingKey::from_rsa_pem(key.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
}

/// The JWT an App makes (as session-core does): `iat` 60 s ago, `exp` 9 minutes ahead.
pub fn app_jwt() -> String {
    jwt_with(APP_KEY, json!({ "iat": now() - 60, "exp": now() + 540, "iss": APP_ID.to_string() }))
}

/// Runs git hermetically (no user or system configuration) in `dir`; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let home = std::env::temp_dir();
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", home)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Like [`git`], but returns whether it succeeded and its stderr.
pub fn try_git(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("run git");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A bare repository with `main` (one commit) and `oi/ses_1` (one more commit on top).
pub struct Repo {
    pub dir: tempfile::TempDir,
    pub bare: PathBuf,
    pub main_sha: String,
    pub branch_sha: String,
}

impl Repo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("widgets.git");
        let work = dir.path().join("work");
        git(dir.path(), &["init", "--bare", "--initial-branch=main", bare.to_str().unwrap()]);
        git(dir.path(), &["init", "--initial-branch=main", work.to_str().unwrap()]);
        std::fs::write(work.join("README.md"), "# widgets\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-m", "Initial commit"]);
        let main_sha = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["checkout", "-b", "oi/ses_1"]);
        std::fs::write(work.join("feature.txt"), "one\ntwo\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-m", "Add a feature"]);
        let branch_sha = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["push", bare.to_str().unwrap(), "main", "oi/ses_1"]);
        Self { dir, bare, main_sha, branch_sha }
    }
}

impl Repo {
    /// Pushes branch `name`: `main` with `files` written (`Some(text)`) or removed (`None`), in
    /// one commit. Returns the branch's sha.
    pub fn branch(&self, name: &str, files: &[(&str, Option<&str>)]) -> String {
        let work = self.dir.path().join("work");
        git(&work, &["checkout", "-B", name, "main"]);
        for (path, text) in files {
            let file = work.join(path);
            match text {
                Some(text) => {
                    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                    std::fs::write(&file, text).unwrap();
                }
                None => std::fs::remove_file(&file).unwrap(),
            }
        }
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-m", &format!("Work on {name}")]);
        git(&work, &["push", "--force", self.bare.to_str().unwrap(), name]);
        git(&work, &["rev-parse", "HEAD"])
    }
}

/// The common users, the App, installation 42 on `acme` with the private `acme/widgets`, and
/// installation 43 on `hubot` with `hubot/tools` (which `hubot` may only read and `newbie` may
/// not see).
pub fn app_config(repo: &Repo) -> DoubleConfig {
    super::config()
        .app(AppConfig::new(APP_ID, APP_SLUG, APP_PUBLIC_KEY))
        .installation(
            InstallationConfig::new(INSTALLATION_ID, "acme")
                .repo(RepoConfig::new("acme", "widgets").default_branch("main").private(true).git_dir(&repo.bare)),
        )
        .installation(
            InstallationConfig::new(OTHER_INSTALLATION_ID, "hubot")
                .repo(RepoConfig::new("hubot", "tools").user_access("hubot", "read").user_access("newbie", "none")),
        )
}

pub async fn start_app() -> (GithubDouble, Repo) {
    let repo = Repo::new();
    let github = GithubDouble::start(app_config(&repo)).await.expect("start the double");
    github.set_redirect_uri(super::CALLBACK);
    (github, repo)
}

/// `POST /app/installations/{id}/access_tokens` with `jwt`.
pub async fn mint_with(
    github: &GithubDouble,
    installation_id: u64,
    jwt: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = super::client()
        .post(format!("{}/app/installations/{installation_id}/access_tokens", github.url))
        .bearer_auth(jwt)
        .header("accept", "application/vnd.github+json");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// A fresh installation token for installation 42.
pub async fn mint(github: &GithubDouble) -> String {
    let response = mint_with(github, INSTALLATION_ID, &app_jwt(), None).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

/// A REST call with a bearer token and a JSON body.
pub async fn api(
    github: &GithubDouble,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = super::client()
        .request(method, format!("{}{path}", github.url))
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// One request the webhook receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1: its URL and what it got.
pub async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    async fn hook(State(got): State<Arc<Mutex<Vec<Received>>>>, headers: HeaderMap, body: Bytes) -> &'static str {
        got.lock().unwrap().push(Received { headers, body });
        "ok"
    }
    let app = axum::Router::new().route("/webhook", axum::routing::post(hook)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}
