//! Headless Chromium driven over WebDriver: `chromedriver` on a free 127.0.0.1 port, Chromium
//! with a fresh profile, screenshots under `target/screenshots/`. Without Chromium the end-to-end
//! tests are skipped loudly, or fail when `CI` is set (`make test` installs both).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;
use tokio::process::{Child, Command};

use super::free_port;

/// Where Debian puts the browser and its driver.
const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

/// A browser session; call [`Browser::finish`] at the end so Chromium quits.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (after a loud warning) when they are
    /// not installed and `CI` is unset.
    pub async fn start(width: u32, height: u32) -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) =
            (first_existing(CHROMIUM), first_existing(CHROMEDRIVER))
        else {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
            assert!(
                !ci,
                "chromium and chromium-driver are not installed and CI is set: the browser test must run (make deps installs them)"
            );
            // Straight to the process's stderr: the test harness captures eprintln!.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!!!! WARNING: chromium/chromedriver not installed — browser tests SKIPPED (apt-get install chromium chromium-driver) !!!!!!!!!!\n"
            );
            return None;
        };
        let profile = tempfile::Builder::new()
            .prefix("mf-chromium-")
            .tempdir()
            .expect("profile dir");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so dropping the handle can end Chromium with it.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--no-proxy-server",
                    "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut client = None;
        // Chromium's first start can take a moment; chromedriver may listen before it is ready.
        for _ in 0..20 {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => {
                    eprintln!("webdriver session not ready yet: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
        let client = client.expect("a WebDriver session with headless Chromium");
        Some(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits) and chromedriver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }

    /// The element matching `css`.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Types `text` into the field matching `css`, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Opens `url` and waits for the page.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// The visible text of the element matching `css`, or "" when there is none right now
    /// (htmx may be swapping it).
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// An attribute of the element matching `css`, if both exist right now.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let el = self.client.find(Locator::Css(css)).await.ok()?;
        el.attr(name).await.ok().flatten()
    }

    /// Polls `check` every 100 ms until it is true; fails the test after `secs` seconds.
    pub async fn wait_until<F, Fut>(&self, what: &str, secs: u64, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !check().await {
            if Instant::now() > deadline {
                let _ = self
                    .screenshot(&format!("timeout-{}", what.replace(' ', "-")))
                    .await;
                panic!("timed out after {secs} s waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves the viewport as `target/screenshots/NAME.png`; returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        save(name, &png)
    }

    /// Saves one element as `target/screenshots/NAME.png`; returns the path. Tries again when
    /// htmx replaced the element between finding and shooting it.
    pub async fn screenshot_of(&self, css: &str, name: &str) -> PathBuf {
        let mut last_error = String::new();
        for _ in 0..10 {
            match self.find(css).await.screenshot().await {
                Ok(png) => return save(name, &png),
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no screenshot of {css}: {last_error}");
    }

    /// Logs in as `user` through the login page at `base` (the server's root URL) and waits
    /// until the header names them.
    pub async fn log_in(&self, base: &str, user: &str, password: &str) {
        self.goto(&format!("{}/login", base.trim_end_matches('/')))
            .await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click("form.stacked-form button[type=submit]").await;
        self.wait_until("logged in", 10, || async {
            self.text(".nav-user").await.contains(user)
        })
        .await;
    }

    /// Resizes the window to `width` x `height`, then asserts the page `what` does not scroll
    /// sideways (`document.documentElement.scrollWidth <= width`), naming the elements that
    /// reach past the edge when it does.
    pub async fn assert_fits(&self, what: &str, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        let wide = self
            .eval("return document.documentElement.scrollWidth;")
            .await;
        let culprits = self
            .eval(&format!(
                "var out = []; document.querySelectorAll('body *').forEach(function (e) {{ \
                 var r = e.getBoundingClientRect(); if (r.right > {edge}) {{ \
                 out.push(e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(r.right)); }} }}); \
                 return out.slice(0, 12).join(' | ');",
                edge = width + 1
            ))
            .await;
        assert!(
            wide.as_u64().is_some_and(|w| w <= u64::from(width)),
            "{what}: no sideways scroll at {width} px, but scrollWidth is {wide}; wider: {culprits}"
        );
    }

    /// Runs `script` (a function body that returns a value) in the page, in one step, so
    /// an htmx swap cannot come between finding an element and reading it.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After a panic: end chromedriver's whole group (Chromium included), not just the driver.
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `target/screenshots/`, found from the test binary's place (`target/debug/deps/it-…`).
pub fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .or_else(|| exe.ancestors().nth(3).map(Path::to_path_buf))
        .expect("a target directory");
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn save(name: &str, png: &[u8]) -> PathBuf {
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Shoots the page at 1280 px as `name`, then checks it fits 390 px (no sideways scroll) and
/// shoots it as `name-390`, and goes back to 1280 px.
pub async fn both_widths(b: &Browser, what: &str, name: &str) {
    b.screenshot(name).await;
    b.assert_fits(what, 390, 1000).await;
    b.screenshot(&format!("{name}-390")).await;
    b.client.set_window_size(1280, 1000).await.unwrap();
}
