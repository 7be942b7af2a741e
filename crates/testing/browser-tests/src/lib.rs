//! The web UI tested in a real browser.
//!
//! Debian's Chromium, headless, driven over WebDriver ([fantoccini]) by its own chromedriver on a
//! free loopback port, against the whole local stack with the scripted model
//! ([`oi_testkit::Stack`]). Nothing is downloaded at test time. Tests assert on what the page
//! shows, found through stable `data-testid` attributes. `examples/screenshots.rs` saves the
//! README's screenshots the same way.

pub mod browser;
pub mod fixture;
pub mod github;
pub mod page;

pub use browser::{Browser, BrowserOptions};
pub use fixture::UiStack;
pub use github::GithubUi;
pub use page::{tid, ENTER, TAB, WAIT, WAIT_PROMPT};
