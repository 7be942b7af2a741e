//! Taking one screenshot over the DevTools protocol: a new page (`Target.createTarget`, then a
//! flattened session), the viewport (`Emulation.setDeviceMetricsOverride`), `Page.navigate`
//! and its `load` lifecycle event, then `Page.captureScreenshot`: as it is for the viewport,
//! with `captureBeyondViewport` and a clip of the document's height for the full page, or of
//! the element's box (`Runtime.evaluate` of `querySelector`) for a selector. The pure parts
//! (the script, its answer, the clips) are plain functions.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::cdp::Cdp;
use super::{Area, Shot, Viewport};

/// How long the page may take to load.
pub const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long any other command may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long rendering the screenshot may take.
pub const CAPTURE_TIMEOUT: Duration = Duration::from_secs(15);
/// The tallest full page or element captured, in pixels (a PNG this tall is already big).
pub const MAX_CAPTURE_HEIGHT: u32 = 8192;

/// An element's box in the document, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The script that scrolls to the top and answers the box of the first element `selector`
/// matches (document coordinates), or `null`; an invalid selector throws.
pub fn selector_script(selector: &str) -> String {
    let literal = serde_json::to_string(selector).expect("a string");
    format!(
        "(() => {{ window.scrollTo(0, 0); const element = document.querySelector({literal}); \
         if (!element) return null; const r = element.getBoundingClientRect(); \
         return {{x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}}; }})()"
    )
}

/// The element's box from `Runtime.evaluate`'s answer to [`selector_script`], or why not.
pub fn element_box(answer: &Value, selector: &str) -> Result<Rect, String> {
    if let Some(details) = answer.get("exceptionDetails") {
        let why = details["exception"]["description"].as_str().or(details["text"].as_str()).unwrap_or("an exception");
        let why = why.lines().next().unwrap_or(why);
        return Err(format!("the selector {selector:?} could not be used: {why}"));
    }
    let value = &answer["result"]["value"];
    if value.is_null() {
        return Err(format!("no element on the page matches the selector {selector:?}"));
    }
    let number =
        |name: &str| value[name].as_f64().ok_or_else(|| format!("the page answered no {name} for {selector:?}"));
    let rect = Rect { x: number("x")?, y: number("y")?, width: number("width")?, height: number("height")? };
    if rect.width < 1.0 || rect.height < 1.0 {
        return Err(format!("the element {selector:?} matches has no size (it is hidden or empty)"));
    }
    Ok(rect)
}

/// `Page.captureScreenshot`'s clip for a box: whole pixels around it, at most `max_width` wide
/// and [`MAX_CAPTURE_HEIGHT`] tall.
pub fn clip(rect: Rect, max_width: u32) -> Value {
    let (x, y) = (rect.x.max(0.0).floor(), rect.y.max(0.0).floor());
    let width = ((rect.x + rect.width).ceil() - x).clamp(1.0, f64::from(max_width));
    let height = ((rect.y + rect.height).ceil() - y).clamp(1.0, f64::from(MAX_CAPTURE_HEIGHT));
    json!({"x": x, "y": y, "width": width, "height": height, "scale": 1})
}

/// The full page's clip: the viewport's width, the document's height (`cssContentSize` of
/// `Page.getLayoutMetrics`), at least the viewport's and at most [`MAX_CAPTURE_HEIGHT`].
pub fn full_page_clip(viewport: Viewport, content_height: f64) -> Value {
    let height =
        content_height.ceil().clamp(f64::from(viewport.height), f64::from(MAX_CAPTURE_HEIGHT.max(viewport.height)));
    json!({"x": 0, "y": 0, "width": viewport.width, "height": height, "scale": 1})
}

/// The parameters of `Page.captureScreenshot` for a clip (none: the viewport as it is).
pub fn capture_params(clip: Option<Value>) -> Value {
    match clip {
        None => json!({"format": "png"}),
        Some(clip) => json!({"format": "png", "captureBeyondViewport": true, "clip": clip}),
    }
}

/// Whether a `Page.lifecycleEvent` is the `load` of the navigation `loader` in `session`.
pub fn is_load(event: &super::cdp::Event, session: &str, loader: Option<&str>) -> bool {
    event.method == "Page.lifecycleEvent"
        && event.session_id.as_deref() == Some(session)
        && event.params["name"] == "load"
        && loader.is_none_or(|loader| event.params["loaderId"] == loader)
}

/// Opens `shot.url` in a new page of the browser `cdp` is connected to, and captures it.
pub async fn shoot(cdp: &mut Cdp, shot: &Shot) -> Result<Vec<u8>, String> {
    fn failed(what: &str) -> impl FnOnce(anyhow::Error) -> String + '_ {
        move |e| format!("{what}: {e:#}")
    }
    let target = cdp
        .call("Target.createTarget", json!({"url": "about:blank"}), None, CALL_TIMEOUT)
        .await
        .map_err(failed("Chromium opened no page"))?;
    let target_id = target["targetId"].as_str().ok_or("Chromium opened no page (no targetId)")?;
    let attached = cdp
        .call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}), None, CALL_TIMEOUT)
        .await
        .map_err(failed("could not attach to the page"))?;
    let session = attached["sessionId"].as_str().ok_or("could not attach to the page (no sessionId)")?.to_string();
    let s = Some(session.as_str());
    let Viewport { width, height } = shot.viewport;
    let metrics = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
    for (method, params) in [
        ("Page.enable", json!({})),
        ("Page.setLifecycleEventsEnabled", json!({"enabled": true})),
        ("Emulation.setDeviceMetricsOverride", metrics),
    ] {
        cdp.call(method, params, s, CALL_TIMEOUT).await.map_err(failed("could not set the page up"))?;
    }

    let deadline = tokio::time::Instant::now() + NAVIGATION_TIMEOUT;
    let navigated = cdp
        .call("Page.navigate", json!({"url": shot.url}), s, NAVIGATION_TIMEOUT)
        .await
        .map_err(failed(&format!("could not open {}", shot.url)))?;
    if let Some(error) = navigated["errorText"].as_str().filter(|e| !e.is_empty()) {
        return Err(format!("Chromium could not open {}: {error}", shot.url));
    }
    let loader = navigated["loaderId"].as_str().map(str::to_string);
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    cdp.wait_for(left, |e| is_load(e, &session, loader.as_deref()))
        .await
        .map_err(|_| format!("{} did not finish loading within {} s", shot.url, NAVIGATION_TIMEOUT.as_secs()))?;
    // Web fonts, when the page has any (best effort).
    let fonts = json!({"expression": "document.fonts.ready.then(() => true)", "awaitPromise": true});
    let _ = cdp.call("Runtime.evaluate", fonts, s, CALL_TIMEOUT).await;

    let clip = match &shot.area {
        Area::Viewport => None,
        Area::FullPage => {
            let top = json!({"expression": "window.scrollTo(0, 0)"});
            let _ = cdp.call("Runtime.evaluate", top, s, CALL_TIMEOUT).await;
            let layout = cdp
                .call("Page.getLayoutMetrics", json!({}), s, CALL_TIMEOUT)
                .await
                .map_err(failed("could not measure the page"))?;
            let content = layout["cssContentSize"]["height"].as_f64().unwrap_or(f64::from(height));
            Some(full_page_clip(shot.viewport, content))
        }
        Area::Element(selector) => {
            let script = json!({"expression": selector_script(selector), "returnByValue": true});
            let answer = cdp
                .call("Runtime.evaluate", script, s, CALL_TIMEOUT)
                .await
                .map_err(failed("could not look for the selector"))?;
            Some(clip(element_box(&answer, selector)?, super::MAX_VIEWPORT))
        }
    };
    let captured = cdp
        .call("Page.captureScreenshot", capture_params(clip), s, CAPTURE_TIMEOUT)
        .await
        .map_err(failed("Chromium could not capture the page"))?;
    let data = captured["data"].as_str().ok_or("Chromium answered no image")?;
    base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| format!("Chromium's image is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::super::cdp::Event;
    use super::*;

    #[test]
    fn the_selector_script_quotes_the_selector() {
        let script = selector_script(r#"a[title="x"]"#);
        assert!(script.contains(r#"document.querySelector("a[title=\"x\"]")"#), "{script}");
        assert!(script.starts_with("(() => {") && script.ends_with("})()"), "{script}");
    }

    #[test]
    fn the_element_box_or_why_not() {
        let found = json!({"result": {"type": "object", "value": {"x": 8.5, "y": 1500, "width": 300, "height": 150}}});
        let cases: &[(Value, Result<Rect, &str>)] = &[
            (found, Ok(Rect { x: 8.5, y: 1500.0, width: 300.0, height: 150.0 })),
            (json!({"result": {"type": "object", "subtype": "null", "value": null}}), Err("no element on the page matches the selector \"#x\"")),
            (
                json!({"result": {}, "exceptionDetails": {"text": "Uncaught", "exception": {"description": "SyntaxError: Failed to execute 'querySelector' on 'Document': '#x' is not a valid selector.\n    at <anonymous>:1:1"}}}),
                Err("could not be used: SyntaxError: Failed to execute 'querySelector' on 'Document': '#x' is not a valid selector."),
            ),
            (json!({"result": {"value": {"x": 0, "y": 0, "width": 0, "height": 10}}}), Err("has no size")),
            (json!({"result": {"value": {"x": 0, "y": 0}}}), Err("no width")),
        ];
        for (answer, want) in cases {
            match (element_box(answer, "#x"), want) {
                (Ok(rect), Ok(want)) => assert_eq!(rect, *want),
                (Err(e), Err(part)) => assert!(e.contains(part), "{e}"),
                (got, want) => panic!("{answer}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn clips_are_whole_pixels_within_the_limits() {
        let rect = |x, y, width, height| Rect { x, y, width, height };
        let cases = [
            (
                rect(8.0, 1500.0, 300.0, 150.0),
                json!({"x": 8.0, "y": 1500.0, "width": 300.0, "height": 150.0, "scale": 1}),
            ),
            (rect(8.5, 10.25, 300.0, 150.0), json!({"x": 8.0, "y": 10.0, "width": 301.0, "height": 151.0, "scale": 1})),
            (rect(-5.0, 0.0, 10.0, 20000.0), json!({"x": 0.0, "y": 0.0, "width": 5.0, "height": 8192.0, "scale": 1})),
            (rect(0.0, 0.0, 9000.0, 10.0), json!({"x": 0.0, "y": 0.0, "width": 3840.0, "height": 10.0, "scale": 1})),
        ];
        for (rect, want) in cases {
            assert_eq!(clip(rect, 3840), want, "{rect:?}");
        }
        let viewport = Viewport { width: 1280, height: 800 };
        let heights = [(3000.2, 3001.0), (300.0, 800.0), (100_000.0, 8192.0)];
        for (content, want) in heights {
            assert_eq!(full_page_clip(viewport, content)["height"], json!(want), "{content}");
        }
        assert_eq!(capture_params(None), json!({"format": "png"}));
        assert_eq!(capture_params(Some(json!({"x": 0})))["captureBeyondViewport"], true);
    }

    #[test]
    fn the_load_of_this_navigation_in_this_page() {
        let event = |name: &str, loader: &str, session: &str| Event {
            method: "Page.lifecycleEvent".into(),
            params: json!({"name": name, "loaderId": loader, "frameId": "F"}),
            session_id: Some(session.into()),
        };
        assert!(is_load(&event("load", "L2", "S"), "S", Some("L2")));
        assert!(is_load(&event("load", "L2", "S"), "S", None));
        assert!(!is_load(&event("load", "L1", "S"), "S", Some("L2")), "about:blank's load");
        assert!(!is_load(&event("DOMContentLoaded", "L2", "S"), "S", Some("L2")));
        assert!(!is_load(&event("load", "L2", "T"), "S", Some("L2")), "another page");
    }
}
