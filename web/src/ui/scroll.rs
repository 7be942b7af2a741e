//! Following a live transcript: if the reader is at the bottom when new text arrives, keep
//! them there; if they scrolled up to read, leave them be.

use leptos::prelude::request_animation_frame;

const SLACK_PX: f64 = 160.0;

/// Whether the page is scrolled to (nearly) the bottom.
pub fn near_bottom() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Some(body) = window.document().and_then(|d| d.document_element()) else {
        return false;
    };
    let viewport = window.inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let scrolled = window.scroll_y().unwrap_or(0.0);
    scrolled + viewport >= f64::from(body.scroll_height()) - SLACK_PX
}

/// Scrolls to the bottom after the next paint.
pub fn to_bottom_soon() {
    request_animation_frame(|| {
        if let Some(window) = web_sys::window() {
            let height = window.document().and_then(|d| d.document_element()).map(|e| e.scroll_height()).unwrap_or(0);
            window.scroll_to_with_x_and_y(0.0, f64::from(height));
        }
    });
}
