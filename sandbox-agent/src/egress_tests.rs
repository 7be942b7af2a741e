//! The egress's pure parts: its paths, the upstream URL each goes to, and the headers sent
//! each way.

use super::*;

fn target() -> ProxyTarget {
    ProxyTarget {
        control_plane_url: "http://127.0.0.1:8787".into(),
        session_id: "ses_1".into(),
        sandbox_token: "tok".into(),
    }
}

#[test]
fn builds_the_upstream_url() {
    let p = parse_path("/model/anthropic/messages").unwrap();
    assert_eq!(p, EgressPath::Model { provider: "anthropic", rest: "messages" });
    assert_eq!(upstream_url(&target(), p, None), "http://127.0.0.1:8787/api/sessions/ses_1/model/anthropic/messages");
    let p = parse_path("/model/openai/chat/completions").unwrap();
    assert_eq!(
        upstream_url(&target(), p, Some("a=1&b=%2F")),
        "http://127.0.0.1:8787/api/sessions/ses_1/model/openai/chat/completions?a=1&b=%2F"
    );
    assert!(!upstream_url(&target(), p, Some("")).contains('?'));
    let git = parse_path("/git/info/refs").unwrap();
    assert_eq!(git, EgressPath::Git { rest: "info/refs" });
    assert_eq!(
        upstream_url(&target(), git, Some("service=git-upload-pack")),
        "http://127.0.0.1:8787/api/sessions/ses_1/git/info/refs?service=git-upload-pack"
    );
    let pr = parse_path("/tools/pull-request").unwrap();
    assert_eq!(pr, EgressPath::PullRequest);
    assert_eq!(upstream_url(&target(), pr, None), "http://127.0.0.1:8787/api/sessions/ses_1/sandbox/pull-request");
    assert_eq!(Egress::pull_request_url("http://127.0.0.1:9/"), "http://127.0.0.1:9/tools/pull-request");
    let origin = parse_path("/tools/origin").unwrap();
    assert_eq!(origin, EgressPath::Origin);
    assert_eq!(upstream_url(&target(), origin, None), "http://127.0.0.1:8787/api/sessions/ses_1/sandbox/origin");
    assert_eq!(Egress::origin_url("http://127.0.0.1:9"), "http://127.0.0.1:9/tools/origin");
}

#[test]
fn media_paths_go_to_the_sandbox_media_routes() {
    let cases: &[(&str, Option<&str>, Result<&str, PathError>)] = &[
        ("/tools/media", Some("kind=screenshot&name=a.png"), Ok("/sandbox/media?kind=screenshot&name=a.png")),
        ("/media/med_01AB-c", None, Ok("/sandbox/media/med_01AB-c")),
        ("/media/", None, Err(PathError::NotFound)),
        ("/media/med_1/x", None, Err(PathError::NotFound)),
        ("/media/med%2F1", None, Err(PathError::NotFound)),
        ("/media/..", None, Err(PathError::NotFound)),
        ("/tools/media/x", None, Err(PathError::NotFound)),
    ];
    for (path, query, want) in cases {
        let got = parse_path(path).map(|p| upstream_url(&target(), p, *query));
        let want = want.map(|rest| format!("http://127.0.0.1:8787/api/sessions/ses_1{rest}"));
        assert_eq!(got, want, "{path}");
    }
    assert_eq!(parse_path("/tools/media").unwrap().only_method(), Some(axum::http::Method::POST));
    assert_eq!(parse_path("/media/med_1").unwrap().only_method(), Some(axum::http::Method::GET));
    assert_eq!(Egress::media_read_url("http://127.0.0.1:9/", "med_1"), "http://127.0.0.1:9/media/med_1");
    assert_eq!(Egress::media_upload_url("http://127.0.0.1:9"), "http://127.0.0.1:9/tools/media");
}

#[test]
fn refuses_paths_outside_the_model_route() {
    for path in
        ["/", "/v1/chat/completions", "/model/", "/model/openai", "/model/openai/", "/model//x", "/git/", "/git"]
    {
        assert_eq!(parse_path(path), Err(PathError::NotFound), "{path}");
    }
    for path in [
        "/tools",
        "/tools/",
        "/tools/pull-request/",
        "/tools/pull-request/x",
        "/tools/x",
        "/pull-request",
        "/tools/origin/x",
    ] {
        assert_eq!(parse_path(path), Err(PathError::NotFound), "{path}");
    }
    for path in [
        "/model/openai/../../x",
        "/model/../sandbox/x",
        "/model/openai/%2e%2E/x",
        "/model/openai/.%2e",
        "/model/openai/./x",
        "/model/openai/..\\..\\x",
        "/model/openai/a%5cb",
        "/git/../model/x",
    ] {
        assert_eq!(parse_path(path), Err(PathError::BadPath), "{path}");
    }
    assert!(parse_path("/model/openai/v1/files/a..b").is_ok(), "dots inside a segment are fine");
}

#[test]
fn request_headers_carry_the_sandbox_token_and_no_credentials() {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("authorization", "Bearer sk-real"),
        ("x-api-key", "sk-ant"),
        ("api-key", "azure"),
        ("host", "127.0.0.1:1"),
        ("content-length", "12"),
        ("cookie", "a=b"),
        ("connection", "keep-alive, x-private"),
        ("x-private", "1"),
        ("keep-alive", "timeout=5"),
        ("proxy-authorization", "Basic x"),
        ("transfer-encoding", "chunked"),
        ("te", "trailers"),
        ("upgrade", "h2c"),
        ("content-type", "application/json"),
        ("accept", "text/event-stream"),
        ("anthropic-version", "2023-06-01"),
        ("x-stainless-lang", "js"),
    ] {
        h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    let out = request_headers(&h, "tok");
    let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
    names.sort();
    assert_eq!(names, ["accept", "anthropic-version", "authorization", "content-type", "x-stainless-lang"]);
    assert_eq!(out[header::AUTHORIZATION], "Bearer tok");
    assert_eq!(out.get_all(header::AUTHORIZATION).iter().count(), 1);
}

#[test]
fn response_headers_drop_hop_by_hop_only() {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("x-request-id", "r1"),
        ("content-length", "99"),
        ("transfer-encoding", "chunked"),
        ("connection", "close"),
    ] {
        h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    let out = response_headers(&h);
    let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
    names.sort();
    assert_eq!(names, ["cache-control", "content-type", "x-request-id"]);
}
