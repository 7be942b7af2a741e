//! Previews against the built Worker in workerd, with a bridge played by the test: a person who
//! may view the session gets a link to the preview's own origin (`p-<session>-<port>.localhost`),
//! swaps its ticket for a pass cookie there, and their requests reach the sandbox as `preview`
//! commands whose answers stream back. Without a pass, with another port's pass, from the
//! control plane's own origin, or for someone the session hides, nothing gets through.

use std::net::SocketAddr;

use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage};
use oi_protocol::events::EventBody;
use oi_protocol::preview::{PreviewBody, PreviewHead, PreviewLink};
use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::{BridgeSocket, ControlPlane, ControlPlaneOptions};

async fn start() -> anyhow::Result<ControlPlane> {
    let vars = vec![("LOCAL_IDENTITY_PICKER".to_string(), "true".to_string())];
    ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await
}

/// A client that sends every `*.localhost` name to the control plane and follows no redirect.
fn preview_client(cp: &ControlPlane, hosts: &[&str]) -> reqwest::Client {
    let addr: SocketAddr = format!("127.0.0.1:{}", cp.port()).parse().unwrap();
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy();
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().unwrap()
}

fn host_of(origin: &str) -> &str {
    origin.trim_start_matches("http://").split(':').next().unwrap()
}

#[tokio::test]
async fn a_viewer_enters_a_preview_with_a_ticket_and_its_requests_reach_the_sandbox() -> anyhow::Result<()> {
    let cp = start().await?;
    let ada = cp.api().as_local_user("Ada");
    let bob = cp.api().as_local_user("Bob");
    let request = CreateSessionRequest { repo: "/srv/git/app.git".into(), private: Some(true), ..Default::default() };
    let session = ada.create_session(&request).await?;
    let attached = ada.attach_sandbox(&session.id).await?;
    let mut bridge = BridgeSocket::connect(&cp.ws_url(), &session.id, &attached.sandbox_id, &attached.token).await?;
    bridge.emit(AgentEvent::Ready { preview_ports: vec![3000] }).await?;
    bridge.wait_acked().await?;
    let events = ada.events(&session.id, 0, 100).await?;
    let ports = events.events.iter().rev().find_map(|e| match &e.body {
        EventBody::SandboxStatus(s) if !s.preview_ports.is_empty() => Some(s.preview_ports.clone()),
        _ => None,
    });
    assert_eq!(ports, Some(vec![3000]), "the page learns the ports from the ready event");

    // Ada gets a link on the preview's own origin, and swaps its ticket for a pass there.
    let path = format!("/api/sessions/{}/previews/3000", session.id);
    let answer = ada.raw("POST", &path, None).await?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let link: PreviewLink = answer.json()?;
    let host = host_of(&link.origin).to_string();
    assert_eq!(host, format!("p-{}-3000.localhost", session.id.replace('_', "-")));
    let other_port_host = host.replace("-3000.", "-3001.");
    let client = preview_client(&cp, &[&host, &other_port_host]);
    let entered = client.get(&link.url).send().await?;
    assert_eq!(entered.status(), 302);
    let set_cookie = entered.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(set_cookie.starts_with("oi_preview=") && set_cookie.contains("HttpOnly"), "{set_cookie}");
    let pass = set_cookie.split(';').next().unwrap().to_string();

    // A request with the pass reaches the sandbox as a preview command; the answer streams back.
    let url = format!("{}/hello?x=1", link.origin);
    let fetch = tokio::spawn({
        let client = client.clone();
        let cookie = format!("theme=dark; {pass}");
        async move { client.get(url).header("cookie", cookie).send().await }
    });
    let command = loop {
        match bridge.recv().await? {
            BridgeCommand::Preview(p) => break p,
            _ => continue,
        }
    };
    assert_eq!((command.port, command.method.as_str(), command.target.as_str()), (3000, "GET", "/hello?x=1"));
    let header =
        |name: &str| command.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    assert_eq!(header("host").as_deref(), Some("127.0.0.1:3000"));
    assert_eq!(header("cookie").as_deref(), Some("theme=dark"), "the pass stays on our side");
    let id = command.request_id.clone();
    let head = PreviewHead {
        request_id: id.clone(),
        status: 200,
        headers: vec![("content-type".into(), "text/html".into()), ("connection".into(), "close".into())],
    };
    bridge.send(&BridgeMessage::PreviewHead(head)).await?;
    for (data, end) in [("SGVsbG8g", false), ("cHJldmlldw==", true)] {
        let body = PreviewBody { request_id: id.clone(), data: data.into(), end, error: None };
        bridge.send(&BridgeMessage::PreviewBody(body)).await?;
    }
    let response = fetch.await??;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "text/html");
    assert!(response.headers().get("connection").is_none_or(|v| v != "close"));
    assert_eq!(response.text().await?, "Hello preview");

    // Nothing gets through without a pass for this preview.
    let cases = [
        ("no pass", format!("{}/", link.origin), String::new(), 401),
        (
            "the ticket as a pass",
            format!("{}/", link.origin),
            format!("oi_preview={}", link.url.split("ticket=").nth(1).unwrap()),
            401,
        ),
        ("another port's host", format!("http://{other_port_host}:{}/", cp.port()), pass.clone(), 401),
        (
            "a spent-looking ticket for another port",
            format!(
                "http://{other_port_host}:{}/__oi/enter?ticket={}",
                cp.port(),
                link.url.split("ticket=").nth(1).unwrap()
            ),
            String::new(),
            403,
        ),
    ];
    for (what, url, cookie, status) in cases {
        let res = client.get(&url).header("cookie", cookie).send().await?;
        assert_eq!(res.status().as_u16(), status, "{what}: {}", res.text().await?);
    }
    // Not from the control plane's own origin, and not for someone the session hides.
    let direct = ada.raw("GET", &format!("/api/sessions/{}/preview/3000/", session.id), None).await?;
    assert_eq!(direct.status, 404, "{}", direct.body);
    assert_eq!(bob.raw("POST", &path, None).await?.status, 403);
    // The web app's files are still served (the Worker runs first for every path now).
    let page = reqwest::get(format!("{}/sessions/{}", cp.base_url(), session.id)).await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("<html"));
    Ok(())
}
