//! GitHub's rows in D1 (`migrations/0006_github.sql`): installations and their repositories,
//! tokens (sealed with the secrets key ring), sessions' pull requests, webhook deliveries.

use oi_protocol::source_control::Repository;
use oi_session_core::secrets::crypto::{credential_binding, KeyRing, Sealed};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

use crate::ids;

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

#[derive(Deserialize)]
struct RepoRow {
    full_name: String,
    installation_id: String,
    default_branch: Option<String>,
    private: f64,
}

/// Replaces what is known of an installation and the repositories it reaches.
pub async fn save_installation(env: &Env, id: &str, account: &str, repos: &[Repository]) -> Result<()> {
    let db = db(env)?;
    let now = ids::now_ms() as f64;
    let mut batch = vec![
        db.prepare(
            "INSERT INTO github_installations (id, account, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET account = excluded.account, updated_at = excluded.updated_at",
        )
        .bind(&[id.into(), account.into(), now.into()])?,
        db.prepare("DELETE FROM github_repos WHERE installation_id = ?1").bind(&[id.into()])?,
    ];
    for repo in repos {
        batch.push(upsert_repo(&db, id, repo, now)?);
    }
    db.batch(batch).await?;
    Ok(())
}

fn upsert_repo(
    db: &D1Database,
    installation: &str,
    repo: &Repository,
    now: f64,
) -> Result<worker::D1PreparedStatement> {
    db.prepare(
        "INSERT INTO github_repos (full_name, installation_id, default_branch, private, updated_at)
         VALUES (?1, ?2, NULLIF(?3, ''), ?4, ?5)
         ON CONFLICT(full_name) DO UPDATE SET installation_id = excluded.installation_id,
             default_branch = COALESCE(excluded.default_branch, github_repos.default_branch),
             private = excluded.private, updated_at = excluded.updated_at",
    )
    .bind(&[
        repo.full_name.as_str().into(),
        installation.into(),
        JsValue::from(repo.default_branch.as_str()),
        (if repo.private { 1.0 } else { 0.0 }).into(),
        now.into(),
    ])
}

/// Refreshes an installation's repositories from GitHub's list (the installation row stays).
pub async fn save_installation_repos(env: &Env, id: &str, repos: &[Repository]) -> Result<()> {
    let db = db(env)?;
    let now = ids::now_ms() as f64;
    let mut batch = vec![db.prepare("DELETE FROM github_repos WHERE installation_id = ?1").bind(&[id.into()])?];
    for repo in repos {
        batch.push(upsert_repo(&db, id, repo, now)?);
    }
    db.batch(batch).await?;
    Ok(())
}

/// Adds repositories to an installation (`installation_repositories` `added`).
pub async fn add_repos(env: &Env, installation: &str, repos: &[Repository]) -> Result<()> {
    let db = db(env)?;
    let now = ids::now_ms() as f64;
    let batch = repos.iter().map(|r| upsert_repo(&db, installation, r, now)).collect::<Result<Vec<_>>>()?;
    if !batch.is_empty() {
        db.batch(batch).await?;
    }
    Ok(())
}

/// Removes repositories (`installation_repositories` `removed`).
pub async fn remove_repos(env: &Env, installation: &str, full_names: &[String]) -> Result<()> {
    let db = db(env)?;
    let batch = full_names
        .iter()
        .map(|n| {
            db.prepare("DELETE FROM github_repos WHERE installation_id = ?1 AND full_name = ?2")
                .bind(&[installation.into(), n.as_str().into()])
        })
        .collect::<Result<Vec<_>>>()?;
    if !batch.is_empty() {
        db.batch(batch).await?;
    }
    Ok(())
}

/// Forgets an installation (`installation` `deleted`) and its repositories.
pub async fn delete_installation(env: &Env, id: &str) -> Result<()> {
    let db = db(env)?;
    db.batch(vec![
        db.prepare("DELETE FROM github_repos WHERE installation_id = ?1").bind(&[id.into()])?,
        db.prepare("DELETE FROM github_installations WHERE id = ?1").bind(&[id.into()])?,
        db.prepare("DELETE FROM github_tokens WHERE key = ?1").bind(&[format!("installation:{id}").into()])?,
    ])
    .await?;
    Ok(())
}

/// Every installation id known.
pub async fn installations(env: &Env) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db(env)?.prepare("SELECT id FROM github_installations ORDER BY id").all().await?.results()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Every repository known, by name, with its installation.
pub async fn repos(env: &Env) -> Result<Vec<(String, Repository)>> {
    let rows: Vec<RepoRow> = db(env)?
        .prepare("SELECT full_name, installation_id, default_branch, private FROM github_repos ORDER BY full_name")
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(row_repo).collect())
}

fn row_repo(r: RepoRow) -> (String, Repository) {
    let repo = Repository {
        full_name: r.full_name,
        default_branch: r.default_branch.unwrap_or_else(|| "main".into()),
        private: r.private != 0.0,
        html_url: None,
    };
    (r.installation_id, repo)
}

/// The installation that reaches `full_name`, if any.
pub async fn repo(env: &Env, full_name: &str) -> Result<Option<(String, Repository)>> {
    let row: Option<RepoRow> = db(env)?
        .prepare("SELECT full_name, installation_id, default_branch, private FROM github_repos WHERE full_name = ?1")
        .bind(&[full_name.into()])?
        .first(None)
        .await?;
    Ok(row.map(row_repo))
}

#[derive(Deserialize)]
struct TokenRow {
    key_id: String,
    nonce: String,
    ciphertext: String,
    expires_at: Option<f64>,
}

/// A kept token, opened (`None` when absent or no configured key opens it).
pub async fn token(env: &Env, keys: &KeyRing, key: &str) -> Result<Option<(String, Option<i64>)>> {
    let row: Option<TokenRow> = db(env)?
        .prepare("SELECT key_id, nonce, ciphertext, expires_at FROM github_tokens WHERE key = ?1")
        .bind(&[key.into()])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| {
        let sealed = Sealed { key_id: r.key_id, nonce: r.nonce, ciphertext: r.ciphertext };
        let token = keys.open_bound(&credential_binding("github-token", key), &sealed).ok()?;
        Some((token, r.expires_at.map(|e| e as i64)))
    }))
}

/// Keeps a token, sealed.
pub async fn put_token(env: &Env, keys: &KeyRing, key: &str, token: &str, expires_at: Option<i64>) -> Result<()> {
    let sealed = keys.seal_bound(&credential_binding("github-token", key), token, crate::secrets::keys::new_nonce());
    db(env)?
        .prepare(
            "INSERT INTO github_tokens (key, key_id, nonce, ciphertext, expires_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(key) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
                 ciphertext = excluded.ciphertext, expires_at = excluded.expires_at, updated_at = excluded.updated_at",
        )
        .bind(&[
            key.into(),
            sealed.key_id.as_str().into(),
            sealed.nonce.as_str().into(),
            sealed.ciphertext.as_str().into(),
            expires_at.map(|e| JsValue::from(e as f64)).unwrap_or(JsValue::NULL),
            (ids::now_ms() as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Records which session a pull request belongs to.
pub async fn index_pull_request(
    env: &Env,
    repo: &str,
    number: u64,
    session_id: &str,
    head_sha: Option<&str>,
) -> Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO pull_requests (repo, number, session_id, head_sha, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(repo, number) DO UPDATE SET session_id = excluded.session_id,
                 head_sha = COALESCE(excluded.head_sha, pull_requests.head_sha), updated_at = excluded.updated_at",
        )
        .bind(&[
            repo.into(),
            (number as f64).into(),
            session_id.into(),
            head_sha.map(JsValue::from).unwrap_or(JsValue::NULL),
            (ids::now_ms() as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// The session of a pull request, by number or by head commit.
pub async fn pull_request_session(
    env: &Env,
    repo: &str,
    number: Option<u64>,
    head_sha: Option<&str>,
) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        session_id: String,
    }
    let db = db(env)?;
    let row: Option<Row> = match (number, head_sha) {
        (Some(n), _) => {
            db.prepare("SELECT session_id FROM pull_requests WHERE repo = ?1 AND number = ?2")
                .bind(&[repo.into(), (n as f64).into()])?
                .first(None)
                .await?
        }
        (None, Some(sha)) => {
            db.prepare("SELECT session_id FROM pull_requests WHERE repo = ?1 AND head_sha = ?2")
                .bind(&[repo.into(), sha.into()])?
                .first(None)
                .await?
        }
        (None, None) => None,
    };
    Ok(row.map(|r| r.session_id))
}

/// Whether a delivery was handled before, by any of its keys (its id, its signature).
pub async fn delivery_seen(env: &Env, keys: &[String]) -> Result<bool> {
    #[derive(serde::Deserialize)]
    struct Count {
        n: i64,
    }
    let placeholders = vec!["?"; keys.len()].join(", ");
    let args: Vec<JsValue> = keys.iter().map(|k| k.as_str().into()).collect();
    let count: Option<Count> = db(env)?
        .prepare(format!("SELECT COUNT(*) AS n FROM github_deliveries WHERE id IN ({placeholders})"))
        .bind(&args)?
        .first(None)
        .await?;
    Ok(count.is_some_and(|c| c.n > 0))
}

/// Records a handled delivery under each of its keys (after it was handled, so a delivery that
/// failed can be redelivered).
pub async fn delivery_handled(env: &Env, keys: &[String]) -> Result<()> {
    let db = db(env)?;
    let now = ids::now_ms() as f64;
    let mut statements = vec![];
    for key in keys {
        statements.push(
            db.prepare("INSERT OR IGNORE INTO github_deliveries (id, received_at) VALUES (?1, ?2)")
                .bind(&[key.as_str().into(), now.into()])?,
        );
    }
    db.batch(statements).await?;
    Ok(())
}
