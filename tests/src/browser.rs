//! Headless Chromium for whole-system dashboard tests, driven over WebDriver (fantoccini talking
//! plain HTTP to a local `chromedriver`), with an axe-core accessibility check and screenshots
//! saved under `target/screenshots/dashboard/` (a PostgreSQL run's in its `postgres/`).
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core from npm: `cargo xtask test`
//! installs them and sets [`AXE_CORE_ENV`].

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::server::Engine;

/// The environment variable naming axe-core's directory (the npm package, holding
/// `axe.min.js`) or the `axe.min.js` file itself.
pub const AXE_CORE_ENV: &str = "OCENA_AXE_CORE";
/// Overrides the chromedriver program (default: `chromedriver` on the PATH).
pub const CHROMEDRIVER_ENV: &str = "OCENA_CHROMEDRIVER";
/// Overrides the browser binary (default: `/usr/bin/chromium`).
pub const CHROMIUM_ENV: &str = "OCENA_CHROMIUM";

/// Window size of every page's screenshot.
const WINDOW: (u32, u32) = (1280, 900);

/// A headless Chromium session with its own fresh profile; the driver process ends on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Where [`Browser::screenshot`] saves.
    screenshots: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a browser session in a fresh profile;
    /// screenshots go to `target/screenshots/dashboard/`.
    pub async fn start() -> anyhow::Result<Browser> {
        Browser::start_for(Engine::Sqlite).await
    }

    /// Like [`Browser::start`], for a test of an aggregator on `engine`: a PostgreSQL run's
    /// screenshots go to `target/screenshots/dashboard/postgres/`, beside (not over) SQLite's.
    pub async fn start_for(engine: Engine) -> anyhow::Result<Browser> {
        let mut screenshots = crate::target_dir()?.join("screenshots").join("dashboard");
        if engine == Engine::Postgres {
            screenshots.push("postgres");
        }
        let chromedriver =
            std::env::var(CHROMEDRIVER_ENV).unwrap_or_else(|_| "chromedriver".to_owned());
        let chromium =
            std::env::var(CHROMIUM_ENV).unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        anyhow::ensure!(
            Path::new(&chromium).exists(),
            "{chromium} not found: install Debian's chromium and chromium-driver \
             (`cargo xtask test` does), or set {CHROMIUM_ENV}"
        );
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot run {chromedriver} ({e}): install chromium-driver \
                     (`cargo xtask test` does), or set {CHROMEDRIVER_ENV}"
                )
            })?;
        let mut browser_driver = DriverGuard(Some(driver));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "chromedriver does not listen");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let profile = tempfile::tempdir()?;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "args": args, "binary": chromium }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await?;
        Ok(Browser {
            client,
            driver: browser_driver
                .0
                .take()
                .ok_or_else(|| anyhow::anyhow!("driver already taken"))?,
            _profile: profile,
            screenshots,
        })
    }

    /// Ends the browser session and the driver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.client.clone().close().await?;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }

    /// Saves a PNG of the current page as `<name>.png` in the screenshots' directory
    /// (`target/screenshots/dashboard/`, or its `postgres/` for a PostgreSQL run).
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        std::fs::create_dir_all(&self.screenshots)?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Runs axe-core on the current page and fails listing every violation (rule, impact,
    /// help and the elements), if there is any.
    pub async fn check_accessibility(&self, page: &str) -> anyhow::Result<()> {
        let axe = axe_source()?;
        self.client
            .execute(&format!("{axe}\n;return typeof axe;"), vec![])
            .await?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v =>
                        v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                        v.nodes.map(n => n.target.join(' ')).join(', '))))
                    .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await?;
        let violations: Vec<String> = serde_json::from_value(result)?;
        anyhow::ensure!(
            violations.is_empty(),
            "axe-core found {} accessibility violation(s) on {page}:\n  {}",
            violations.len(),
            violations.join("\n  ")
        );
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Kills chromedriver if the session never opens.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The text of `axe.min.js` from [`AXE_CORE_ENV`].
fn axe_source() -> anyhow::Result<String> {
    let configured = std::env::var_os(AXE_CORE_ENV).ok_or_else(|| {
        anyhow::anyhow!(
            "{AXE_CORE_ENV} is not set: run the tests with `cargo xtask test`, which installs \
             axe-core from npm, or `npm install --prefix DIR axe-core@4` and set \
             {AXE_CORE_ENV}=DIR/node_modules/axe-core"
        )
    })?;
    let path = PathBuf::from(configured);
    let file = if path.is_dir() {
        path.join("axe.min.js")
    } else {
        path
    };
    std::fs::read_to_string(&file).map_err(|e| {
        anyhow::anyhow!(
            "cannot read axe-core at {} ({e}): set {AXE_CORE_ENV} to the axe-core package directory",
            file.display()
        )
    })
}
