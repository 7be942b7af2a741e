//! A headless Chromium (Debian's package) driven over WebDriver: each [`Browser`] starts its own
//! chromedriver on a free loopback port, with a fresh profile directory, and stops both when
//! closed or dropped. Nothing is downloaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use oi_testkit::{free_port, ChildGroup};
use serde_json::{json, Value};

/// Where Debian installs Chromium and its driver (scripts/setup installs both).
pub fn chromium_bin() -> PathBuf {
    std::env::var_os("OI_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

pub fn chromedriver_bin() -> PathBuf {
    std::env::var_os("OI_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from)
}

/// How to start a browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub width: u32,
    pub height: u32,
    /// Emulate `prefers-color-scheme: dark`.
    pub dark: bool,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self { width: 1280, height: 900, dark: false }
    }
}

/// One browser (its own profile, so its own cookies: its own person in local mode).
pub struct Browser {
    pub client: Client,
    /// The UI's origin, `http://127.0.0.1:<port>`.
    pub base: String,
    driver: Option<ChildGroup>,
    profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(base: &str) -> Result<Self> {
        Self::start_with(base, BrowserOptions::default()).await
    }

    pub async fn start_with(base: &str, options: BrowserOptions) -> Result<Self> {
        for (bin, what) in [(chromium_bin(), "Chromium"), (chromedriver_bin(), "ChromeDriver")] {
            if !bin.exists() {
                bail!("{what} is missing at {} (scripts/setup installs it)", bin.display());
            }
        }
        let profile = tempfile::Builder::new().prefix("oi-chromium-").tempdir()?;
        let port = free_port();
        let log = std::fs::File::create(profile.path().join("chromedriver.log"))?;
        let mut command = Command::new(chromedriver_bin());
        command.arg(format!("--port={port}")).stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        let driver = ChildGroup::spawn(command).context("start chromedriver")?;
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&url).await?;

        let user_data = profile.path().join("profile");
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--user-data-dir={}", user_data.display()),
            format!("--window-size={},{}", options.width, options.height),
        ];
        if options.dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium_bin(), "args": args},
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .with_context(|| format!("open a Chromium session:\n{}", driver_log(profile.path())))?;
        client.set_window_size(options.width, options.height).await?;
        Ok(Self { client, base: base.trim_end_matches('/').to_string(), driver: Some(driver), profile })
    }

    /// Ends the WebDriver session (Chromium exits) and stops chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            driver.stop(Duration::from_secs(3));
        }
        kill_processes_using(self.profile.path());
    }

    /// The profile directory (chromedriver's log is there too).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_for_driver(url: &str) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(stream) = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await {
            drop(stream);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("chromedriver did not listen on {url} within 20 s")
}

fn driver_log(profile: &Path) -> String {
    std::fs::read_to_string(profile.join("chromedriver.log")).unwrap_or_default()
}

/// Chromium's helper processes may outlive chromedriver's process group; this ends the ones
/// started with our own profile directory (and nothing else).
fn kill_processes_using(profile: &Path) {
    let marker = profile.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&marker) {
            // A process we started (its command line names our profile); it may be gone already.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}
