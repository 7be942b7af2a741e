//! The `screenshot` tool's pure parts: its arguments, file names and answers.

use serde_json::json;

use super::*;

fn request(args: Value) -> Result<ScreenshotRequest, String> {
    arguments(&args)
}

#[test]
fn defaults_for_a_bare_url() {
    let r = request(json!({"url": "http://localhost:3000/settings"})).unwrap();
    assert_eq!(
        r,
        ScreenshotRequest {
            shot: Shot {
                url: "http://localhost:3000/settings".into(),
                viewport: Viewport { width: 1280, height: 800 },
                area: Area::Viewport,
            },
            upload: AgentUpload {
                kind: MediaKind::Screenshot,
                name: "screenshot-localhost-3000-settings.png".into(),
                caption: None,
                source_url: Some("http://localhost:3000/settings".into()),
                evidence: false,
            },
        }
    );
}

#[test]
fn every_argument_is_taken() {
    let r = request(json!({
        "url": " https://app.test/a ", "selector": " #main ", "width": 390, "height": 844,
        "name": "mobile", "caption": " The menu, open. ", "evidence": true, "full_page": false,
    }))
    .unwrap();
    assert_eq!(r.shot.url, "https://app.test/a");
    assert_eq!((r.shot.viewport.width, r.shot.viewport.height), (390, 844));
    assert_eq!(r.shot.area, Area::Element("#main".into()));
    assert_eq!(r.upload.name, "mobile.png");
    assert_eq!(r.upload.caption.as_deref(), Some("The menu, open."));
    assert!(r.upload.evidence);
    assert_eq!(request(json!({"url": "http://x.test", "full_page": true})).unwrap().shot.area, Area::FullPage);
}

#[test]
fn bad_arguments_are_told_to_the_model() {
    let long_caption = "x".repeat(MAX_CAPTION_CHARS + 1);
    let cases = [
        (json!({}), "`url` is required"),
        (json!(null), "`url` is required"),
        (json!({"url": "file:///etc/passwd"}), "must be an http:// or https:// URL"),
        (json!({"url": "javascript:alert(1)"}), "must be an http:// or https:// URL"),
        (json!({"url": 7}), "`url` must be a string"),
        (json!({"url": "http://x.test", "width": 100}), "`width` must be between 200 and 3840"),
        (json!({"url": "http://x.test", "height": 4000}), "`height` must be between 200 and 3840"),
        (json!({"url": "http://x.test", "width": -5}), "`width` must be a whole number"),
        (json!({"url": "http://x.test", "width": 300.5}), "`width` must be a whole number"),
        (json!({"url": "http://x.test", "full_page": "yes"}), "`full_page` must be true or false"),
        (json!({"url": "http://x.test", "evidence": 1}), "`evidence` must be true or false"),
        (json!({"url": "http://x.test", "selector": "#a", "full_page": true}), "not both"),
        (json!({"url": "http://x.test", "name": "../x.png"}), "plain file name"),
        (json!({"url": "http://x.test", "caption": long_caption}), "`caption` is longer than"),
        (json!({"url": "http://x.test", "zoom": 2}), "`zoom` is not an argument"),
    ];
    for (args, want) in cases {
        let e = request(args.clone()).unwrap_err();
        assert!(e.contains(want), "{args}: {e}");
    }
}

#[test]
fn file_names_given_or_derived() {
    let given = [
        ("settings", Ok("settings.png")),
        ("Settings.PNG", Ok("Settings.PNG")),
        (" after fix.png ", Ok("after fix.png")),
        ("a/b.png", Err(())),
        ("a\\b", Err(())),
        (".hidden", Err(())),
        ("a\nb", Err(())),
    ];
    for (name, want) in given {
        assert_eq!(file_name(name).map_err(|_| ()), want.map(str::to_string), "{name:?}");
    }
    assert!(file_name(&"n".repeat(MAX_MEDIA_NAME_CHARS)).is_err(), "with .png it is too long");
    let derived = [
        ("http://localhost:3000/", "screenshot-localhost-3000.png"),
        ("http://127.0.0.1:8080/users/42/edit?tab=a", "screenshot-127-0-0-1-8080-users-42-edit.png"),
        ("https://app.test/Über%20uns/", "screenshot-app-test-c3-9cber-20uns.png"),
        ("https://app.test", "screenshot-app-test.png"),
    ];
    for (url, want) in derived {
        assert_eq!(derived_name(&url::Url::parse(url).unwrap()), want, "{url}");
    }
    let long = format!("https://app.test/{}", "segment/".repeat(40));
    assert!(derived_name(&url::Url::parse(&long).unwrap()).len() <= "screenshot-.png".len() + 80);
}

#[test]
fn the_answer_names_the_media_or_the_refusal() {
    let capture = Capture { png: vec![0; 2048 + 1], width: 1280, height: 800 };
    let media = json!({
        "media_id": "med_01", "kind": "screenshot", "name": "shot.png", "content_type": "image/png",
        "size": 2049, "width": 1280, "height": 800, "url": "/api/sessions/ses_1/media/med_01", "evidence": false,
    });
    assert_eq!(
        outcome(201, &media.to_string(), &capture),
        ("Saved screenshot med_01 (\"shot.png\", 1280×800 px, 3 KB); it is shown in the session.".into(), false)
    );
    assert_eq!(
        outcome(201, "not json", &capture),
        ("Saved the screenshot (1280×800 px, 3 KB); it is shown in the session.".into(), false)
    );
    let refused = r#"{"error":{"code":"quota_exceeded","message":"this session has 100 screenshots already"}}"#;
    assert_eq!(
        outcome(429, refused, &capture),
        ("Could not save the screenshot: this session has 100 screenshots already (quota_exceeded)".into(), true)
    );
    let (text, failed) = outcome(502, "<html>bad gateway</html>", &capture);
    assert!(failed && text.contains("502"), "{text}");
}

/// A `file://` URL never reaches Chromium: the call fails on the URL, not on the missing binary.
#[tokio::test]
async fn a_file_url_is_refused_before_chromium_starts() {
    let shot = Shot { url: "file:///etc/hostname".into(), viewport: Viewport::DEFAULT, area: Area::Viewport };
    let request = ScreenshotRequest {
        shot,
        upload: AgentUpload {
            kind: MediaKind::Screenshot,
            name: "x.png".into(),
            caption: None,
            source_url: None,
            evidence: false,
        },
    };
    let result =
        call(&reqwest::Client::new(), "http://127.0.0.1:9", Path::new("/nonexistent/chromium"), &request).await;
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["content"],
        serde_json::json!([{"type": "text", "text": "Could not take the screenshot: `url` must be an http:// or https:// URL (got \"file:///etc/hostname\")"}])
    );
}
