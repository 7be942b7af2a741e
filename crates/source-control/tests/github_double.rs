//! The GitHub provider against the GitHub double (GitHub's documented shapes and status
//! codes): installation tokens minted and reused, pull requests opened as the user, updated,
//! found after a 422, opened by the App when the user has no usable token, and rate limits.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use oi_github_double::{
    AppConfig, DoubleConfig, EmailConfig, GithubDouble, InstallationConfig, RepoConfig, UserConfig,
};
use oi_protocol::source_control::{OpenedAs, PullRequestState};
use oi_source_control::github::{GitHub, GitHubApp};
use oi_source_control::{
    CachedToken, HttpClient, HttpRequest, HttpResponse, PullRequestDraft, RepoPermission, RepoRef, SourceControl,
    SourceControlError, TokenCache,
};

const APP_KEY: &str = include_str!("../../session-core/tests/fixtures/github/test-app-key.pem");
const APP_PUBLIC_KEY: &str = include_str!("../../session-core/tests/fixtures/github/test-app-key.pub.pem");
const INSTALLATION: u64 = 4242;

struct Reqwest(reqwest::Client);

impl HttpClient for Reqwest {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = self.0.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        Ok(HttpResponse { status, headers, body: response.text().await.map_err(|e| e.to_string())? })
    }
}

#[derive(Default)]
struct Memory(Mutex<HashMap<String, CachedToken>>);

impl TokenCache for &Memory {
    async fn get(&self, key: &str) -> Option<CachedToken> {
        self.0.lock().unwrap().get(key).cloned()
    }
    async fn put(&self, key: &str, token: &CachedToken) {
        self.0.lock().unwrap().insert(key.to_string(), token.clone());
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A bare repository with `main` and the session branch one commit ahead of it.
fn remote(dir: &Path) -> std::path::PathBuf {
    let work = dir.join("work");
    let bare = dir.join("widgets.git");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"]);
    git(&work, &["checkout", "-q", "-b", "oi/ses_1"]);
    std::fs::write(work.join("README.md"), "hi\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "-m", "readme"]);
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    bare
}

struct Fixture {
    double: GithubDouble,
    cache: Memory,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let bare = remote(dir.path());
        let config = DoubleConfig::new("Iv1.client", "secret")
            .user(UserConfig::new("ada", 1).name("Ada").email(EmailConfig::primary("ada@acme.test")))
            .user(UserConfig::new("rita", 2).email(EmailConfig::primary("rita@acme.test")))
            .user(UserConfig::new("olaf", 3).email(EmailConfig::primary("olaf@acme.test")))
            .user(UserConfig::new("boss", 4).email(EmailConfig::primary("boss@acme.test")))
            .app(AppConfig::new(77, "open-inspect", APP_PUBLIC_KEY))
            .installation(
                InstallationConfig::new(INSTALLATION, "acme").repo(
                    RepoConfig::new("acme", "widgets")
                        .default_branch("main")
                        .private(true)
                        .git_dir(bare)
                        .user_access("rita", "read")
                        .user_access("olaf", "none")
                        .user_access("boss", "admin"),
                ),
            );
        let double = GithubDouble::start(config).await?;
        Ok(Self { double, cache: Memory::default(), _dir: dir })
    }

    fn github(&self) -> GitHub<Reqwest, &Memory> {
        let app = GitHubApp {
            api_base: self.double.url.clone(),
            web_base: self.double.url.clone(),
            app_id: "77".into(),
            private_key_pem: APP_KEY.into(),
        };
        let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        GitHub::new(app, Reqwest(reqwest::Client::new()), &self.cache, now)
    }

    fn draft(&self, user_token: Option<String>, known_number: Option<u64>) -> PullRequestDraft {
        PullRequestDraft {
            repo: repo(),
            head: "oi/ses_1".into(),
            base: "main".into(),
            title: "Add a README".into(),
            draft: false,
            known_number,
            user_token,
            body_as_user: "as the user".into(),
            body_as_app: "Opened by Open Inspect on behalf of @ada.".into(),
        }
    }
}

fn repo() -> RepoRef {
    RepoRef { owner: "acme".into(), name: "widgets".into(), access: INSTALLATION.to_string() }
}

#[tokio::test]
async fn an_installation_token_is_minted_once_and_reused_from_the_cache() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    let repos = github.repositories(&INSTALLATION.to_string()).await?;
    assert_eq!(repos.len(), 1);
    assert_eq!(
        (repos[0].full_name.as_str(), repos[0].default_branch.as_str(), repos[0].private),
        ("acme/widgets", "main", true)
    );
    let branches = github.branches(&repo()).await?;
    assert_eq!(branches.default_branch, "main");
    let mut names: Vec<_> = branches.branches.iter().map(|b| b.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["main", "oi/ses_1"]);
    let auth = github.git_authorization(&repo()).await?;
    assert!(auth.starts_with("Basic "));
    assert_eq!(f.double.access_tokens_minted(), 1, "one token for three calls");
    let minted = f.double.requests_to("/app/installations/4242/access_tokens");
    assert_eq!(minted.len(), 1);

    // A cached token about to expire is replaced.
    let key = oi_source_control::github::cache_key(&INSTALLATION.to_string());
    f.cache.0.lock().unwrap().get_mut(&key).unwrap().expires_at = 0;
    github.repositories(&INSTALLATION.to_string()).await?;
    assert_eq!(f.double.access_tokens_minted(), 2);
    // An unknown installation is GitHub's 404.
    let e = github.repositories("999").await.unwrap_err();
    assert!(matches!(e, SourceControlError::NotFound(_)), "{e:?}");
    Ok(())
}

#[tokio::test]
async fn the_users_token_opens_the_pr_and_a_follow_up_updates_the_same_one() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    let ada = f.double.issue_token("ada", "read:user");
    let opened = github.publish_pull_request(&f.draft(Some(ada.clone()), None)).await?;
    assert!(opened.created);
    assert_eq!((opened.opened_as, opened.state), (OpenedAs::User, PullRequestState::Open));
    let pulls = f.double.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1);
    let pr = &pulls[0];
    assert_eq!((pr.head.as_str(), pr.base.as_str(), pr.title.as_str()), ("oi/ses_1", "main", "Add a README"));
    assert_eq!((pr.author_login.as_str(), pr.by_app), ("ada", false));
    assert_eq!(pr.body.as_deref(), Some("as the user"));
    assert!(opened.url.ends_with(&format!("/acme/widgets/pull/{}", pr.number)), "{}", opened.url);

    let mut again = f.draft(Some(ada), Some(opened.number));
    again.title = "Add a README and a test".into();
    let updated = github.publish_pull_request(&again).await?;
    assert!(!updated.created);
    assert_eq!(updated.number, opened.number);
    let pulls = f.double.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1, "no second PR");
    assert_eq!(pulls[0].title, "Add a README and a test");
    Ok(())
}

#[tokio::test]
async fn without_a_usable_user_token_the_app_opens_it_and_says_who_asked() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    let revoked = f.double.issue_token("ada", "read:user");
    f.double.revoke_token(&revoked);
    let opened = github.publish_pull_request(&f.draft(Some(revoked), None)).await?;
    assert_eq!(opened.opened_as, OpenedAs::App);
    let pr = &f.double.pulls("acme/widgets")[0];
    assert!(pr.by_app);
    assert_eq!(pr.author_login, "open-inspect[bot]");
    assert_eq!(pr.body.as_deref(), Some("Opened by Open Inspect on behalf of @ada."));
    Ok(())
}

#[tokio::test]
async fn a_422_already_exists_finds_and_updates_the_open_pr() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    let ada = f.double.issue_token("ada", "read:user");
    // Someone opened the branch's PR by hand, unknown to the session.
    let first = github.publish_pull_request(&f.draft(Some(ada.clone()), None)).await?;
    let mut draft = f.draft(Some(ada), None);
    draft.title = "Retitled".into();
    let found = github.publish_pull_request(&draft).await?;
    assert!(!found.created);
    assert_eq!(found.number, first.number);
    assert_eq!(f.double.pulls("acme/widgets").len(), 1);
    assert_eq!(f.double.pulls("acme/widgets")[0].title, "Retitled");
    let statuses: Vec<u16> =
        f.double.requests().iter().filter(|r| r.path == "/repos/acme/widgets/pulls").map(|r| r.status).collect();
    assert!(statuses.contains(&422), "{statuses:?}");
    Ok(())
}

#[tokio::test]
async fn a_missing_branch_and_rate_limits_are_errors_a_caller_can_act_on() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    let mut draft = f.draft(None, None);
    draft.head = "oi/ses_nothing".into();
    let e = github.publish_pull_request(&draft).await.unwrap_err();
    assert!(matches!(&e, SourceControlError::Invalid(m) if m.contains("head")), "{e:?}");

    f.double.set_rate_limited(true);
    let e = github.publish_pull_request(&f.draft(None, None)).await.unwrap_err();
    assert!(matches!(e, SourceControlError::RateLimited { .. }), "{e:?}");
    f.double.set_rate_limited(false);
    f.double.set_secondary_rate_limited(true);
    let e = github.branches(&repo()).await.unwrap_err();
    assert!(matches!(e, SourceControlError::RateLimited { retry_after_secs: Some(60), .. }), "{e:?}");
    Ok(())
}

#[tokio::test]
async fn a_users_own_permission_is_read_with_their_token() -> anyhow::Result<()> {
    let f = Fixture::start().await?;
    let github = f.github();
    for (login, want) in [
        ("ada", RepoPermission::Write),
        ("rita", RepoPermission::Read),
        ("olaf", RepoPermission::None),
        ("boss", RepoPermission::Admin),
    ] {
        let token = f.double.issue_token(login, "repo");
        assert_eq!(github.user_permission(&repo(), &token).await?, want, "{login}");
    }
    let e = github.user_permission(&repo(), "gho_revoked").await.unwrap_err();
    assert!(matches!(e, SourceControlError::Unauthorized(_)), "{e:?}");
    Ok(())
}
