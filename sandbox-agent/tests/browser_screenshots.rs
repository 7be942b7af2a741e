//! Screenshots in the real headless Chromium (`chromium` on `PATH`, or `OI_CHROMIUM_BIN`) of
//! pages a tiny HTTP server on 127.0.0.1 serves (started and stopped by each test): a viewport
//! screenshot has the viewport's size, a full page is as tall as the document, a selector
//! captures just its element (its size, its pixels), a selector that matches nothing is an
//! error, a `file://` URL is refused before Chromium starts, and Chromium's processes are gone
//! afterwards. One Chromium at a time (the machine may have two cores).

use std::path::PathBuf;
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use oi_sandbox_agent::browser::chromium::{self, Chromium};
use oi_sandbox_agent::browser::{capture, png, Area, Capture, Shot, Viewport};

static ONE_CHROMIUM_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const BOX: &str = r#"<div id="box" style="position:absolute;left:40px;top:1500px;width:300px;height:150px;background:rgb(255,0,0)"></div>"#;

/// A server on 127.0.0.1 serving the test pages, stopped when dropped.
struct Pages {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pages() -> Pages {
    let page = |body: String| {
        let html = format!(
            "<!doctype html><html><head><style>html,body{{margin:0;background:rgb(255,255,255)}}</style></head>\
             <body>{body}</body></html>"
        );
        get(move || std::future::ready(Html(html.clone())))
    };
    let app = Router::new()
        .route("/", page("<h1>Hello</h1>".into()))
        .route("/tall", page(r#"<div style="height:3000px;background:rgb(0,0,255)"></div>"#.into()))
        .route("/element", page(format!(r#"<div style="height:3000px"></div>{BOX}"#)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Pages { url, task }
}

fn chromium_bin() -> PathBuf {
    chromium::binary_from_env()
}

async fn shoot(url: String, viewport: Viewport, area: Area) -> Result<Capture, String> {
    capture(&chromium_bin(), &Shot { url, viewport, area }).await
}

/// Every pixel of the PNG, as RGB.
fn pixels(png_bytes: &[u8]) -> Vec<[u8; 3]> {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().expect("a known size")];
    let frame = reader.next_frame(&mut buf).unwrap();
    let samples = frame.color_type.samples();
    assert_eq!(frame.bit_depth, ::png::BitDepth::Eight);
    buf[..frame.buffer_size()].chunks(samples).map(|p| [p[0], p[1], p[2]]).collect()
}

#[tokio::test]
async fn a_viewport_screenshot_has_the_viewports_size() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let pages = pages().await;
    let shot = shoot(format!("{}/", pages.url), Viewport::new(1024, 600).unwrap(), Area::Viewport).await.unwrap();
    assert_eq!((shot.width, shot.height), (1024, 600));
    assert_eq!(png::dimensions(&shot.png), Some((1024, 600)), "the PNG header says so too");
    let tall = shoot(format!("{}/tall", pages.url), Viewport::DEFAULT, Area::Viewport).await.unwrap();
    assert_eq!((tall.width, tall.height), (1280, 800), "only the viewport of a tall page");
}

#[tokio::test]
async fn a_full_page_is_as_tall_as_the_document() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let pages = pages().await;
    let shot = shoot(format!("{}/tall", pages.url), Viewport::DEFAULT, Area::FullPage).await.unwrap();
    assert_eq!((shot.width, shot.height), (1280, 3000));
    let pixels = pixels(&shot.png);
    assert_eq!(pixels.len(), 1280 * 3000);
    assert_eq!(pixels[1280 * 2999 + 640], [0, 0, 255], "the bottom of the page is rendered");
}

#[tokio::test]
async fn a_selector_captures_just_its_element() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let pages = pages().await;
    let shot = shoot(format!("{}/element", pages.url), Viewport::DEFAULT, Area::Element("#box".into())).await.unwrap();
    assert_eq!((shot.width, shot.height), (300, 150));
    // The element is below the fold: every pixel is its red, none the page's white.
    assert!(pixels(&shot.png).iter().all(|p| *p == [255, 0, 0]), "the clip is the element's box");
}

#[tokio::test]
async fn a_selector_that_matches_nothing_is_an_error() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let pages = pages().await;
    let missing = shoot(format!("{}/", pages.url), Viewport::DEFAULT, Area::Element("#nothing".into())).await;
    assert_eq!(missing.unwrap_err(), "no element on the page matches the selector \"#nothing\"");
    let invalid = shoot(format!("{}/", pages.url), Viewport::DEFAULT, Area::Element("div[".into())).await;
    assert!(invalid.unwrap_err().contains("is not a valid selector"));
}

#[tokio::test]
async fn an_unreachable_page_is_an_error() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let refused = shoot(format!("http://{unused}/"), Viewport::DEFAULT, Area::Viewport).await.unwrap_err();
    assert_eq!(refused, format!("Chromium could not open http://{unused}/: net::ERR_CONNECTION_REFUSED"));
}

#[tokio::test]
async fn a_file_url_is_refused_without_starting_chromium() {
    let shot = Shot { url: "file:///etc/hostname".into(), viewport: Viewport::DEFAULT, area: Area::Viewport };
    // A binary that does not exist: had it been started, the error would say so.
    let refused = capture(&PathBuf::from("/nonexistent/chromium"), &shot).await.unwrap_err();
    assert_eq!(refused, "`url` must be an http:// or https:// URL (got \"file:///etc/hostname\")");
}

/// The live processes in process group `group` (zombies left to a non-reaping init excluded).
fn group_members(group: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // `pid (comm) state ppid pgrp …`; comm may hold spaces, so split after its `)`.
        let Some((_, rest)) = stat.rsplit_once(") ") else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group) && fields[0] != "Z" {
            members.push(pid);
        }
    }
    members
}

#[tokio::test]
async fn chromium_and_its_profile_are_gone_after_a_stop() {
    let _one = ONE_CHROMIUM_AT_A_TIME.lock().await;
    let browser = Chromium::launch(&chromium_bin()).await.unwrap();
    assert!(browser.devtools_url.starts_with("ws://127.0.0.1:"), "{}", browser.devtools_url);
    let (group, profile) = (browser.pid().unwrap(), browser.profile().to_path_buf());
    assert!(group_members(group).len() > 1, "the browser and its helpers share its group");
    browser.stop().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !group_members(group).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "still running: {:?}", group_members(group));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!profile.exists(), "the throwaway profile is removed");
}
