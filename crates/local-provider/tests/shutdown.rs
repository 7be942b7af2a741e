//! Stopping the provider stops its sandboxes; and the unsafe `--isolation none` mode still
//! terminates the whole process group.

mod common;

use std::time::Duration;

use common::*;
use oi_local_provider::{serve, Config};
use oi_protocol::supervisor_env;

#[tokio::test]
async fn provider_shutdown_terminates_running_sandboxes() {
    let marker = unique();
    let mut p = Provider::start(&marker, Options::default());
    let ids: Vec<String> = (0..2).map(|i| format!("sbx_shut{i}{marker}")).collect();
    for id in &ids {
        p.create_ready(&request(id, "https://example.com/app.git", "t")).await;
    }
    assert_eq!(processes_with(&format!("1000.{marker}")).len(), 2, "both background sleeps run");

    let status = p.stop().expect("the provider was running");
    assert!(status.success(), "exit status {status:?}; log: {}", p.log_text());
    assert_eq!(processes_with(&marker), Vec::<i32>::new(), "sandbox processes outlived the provider");
    for id in &ids {
        assert!(p.state_file(id, "term").exists(), "{id}'s supervisor got SIGTERM first");
    }
}

#[tokio::test]
async fn a_killed_provider_takes_its_sandboxes_with_it() {
    let marker = unique();
    let mut p = Provider::start(&marker, Options::default());
    let id = format!("sbx_kill{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;
    let mut child = p.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL: no shutdown code runs; --die-with-parent does the work.
    child.wait().unwrap();
    assert_no_process_with(&marker, None, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn without_bwrap_terminate_still_kills_the_process_group() {
    let marker = unique();
    let p = Provider::start(&marker, Options { isolation: "none", ..Options::default() });
    assert!(p.log_text().contains("UNISOLATED"), "{}", p.log_text());
    let id = format!("sbx_none{marker}");
    let mut req = request(&id, "https://example.com/app.git", "t");
    req.env.insert("NO_WRITE_PROBES".into(), "1".into()); // they would land on the host
    p.create_ready(&req).await;
    let env = std::fs::read_to_string(p.state_file(&id, "env")).unwrap();
    assert!(!env.contains(KEY), "the provider key leaked: {env}");
    assert!(env.contains(&format!("{}=fresh", supervisor_env::BOOT_MODE)));
    // The background sleep ignores SIGTERM, so only the group SIGKILL ends it.
    assert_eq!(processes_with(&format!("1000.{marker}")).len(), 1);

    let (status, body) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "{body}");
    assert!(p.state_file(&id, "term").exists());
    assert_no_process_with(&format!("1000.{marker}"), None, Duration::from_secs(2)).await;
    assert_eq!(p.survivors(&marker), Vec::<i32>::new());
}

#[tokio::test]
async fn a_supervisor_that_ignores_sigterm_is_killed_after_the_grace_period() {
    // In process, through the library, with a short grace.
    let marker = unique();
    let dir = temp_dir();
    std::fs::create_dir(dir.path().join("outside")).unwrap();
    let agent = write_supervisor(dir.path(), &marker, &dir.path().join("outside"));
    let mut config = Config::new(dir.path().join("root"), &agent, dir.path().join("opencode"), KEY);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.terminate_grace = Duration::from_millis(500);
    let provider = serve(config).await.unwrap();
    assert!(provider.url().starts_with("http://127.0.0.1:"));
    assert_eq!(provider.public_url(), provider.url());
    let p = common::Provider {
        child: None,
        url: provider.url(),
        root: dir.path().join("root"),
        log: dir.path().join("no-log"),
        dir: dir.into(),
        http: reqwest::Client::new(),
    };

    let id = format!("sbx_stubborn{marker}");
    let mut req = request(&id, "https://example.com/app.git", "t");
    req.env.insert("IGNORE_TERM".into(), "1".into());
    p.create_ready(&req).await;
    let started = std::time::Instant::now();
    let (status, body) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "{body}");
    assert!(started.elapsed() >= Duration::from_millis(500), "SIGKILL came before the grace ended");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(!p.state_file(&id, "term").exists(), "the supervisor ignored SIGTERM");
    assert_eq!(p.survivors(&marker), Vec::<i32>::new(), "SIGKILL left survivors");

    let other = format!("sbx_after{marker}");
    p.create_ready(&request(&other, "https://example.com/app.git", "t")).await;
    provider.shutdown().await;
    assert_eq!(p.survivors(&marker), Vec::<i32>::new(), "shutdown left survivors");
    assert!(p.state_file(&other, "term").exists());
}
