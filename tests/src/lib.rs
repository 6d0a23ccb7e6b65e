//! Helpers for Ocena's whole-system tests: locating the built binaries, writing configs, the real
//! aggregator as a process, and a fault-injecting proxy.

#![forbid(unsafe_code)]

pub mod browser;
pub mod engine;
pub mod kiosk;
pub mod postgres;
pub mod proxy;
pub mod server;
pub mod sqlite;

use std::path::{Path, PathBuf};

/// Instantiates a whole-system test once per database engine: for `fn body(engine: Engine)`
/// (or `async fn`), a module `body` with the tests `sqlite` and `postgres`, both running that one
/// body (so `cargo test body` runs both, `cargo test postgres` every PostgreSQL run).
#[macro_export]
macro_rules! test_on_both_engines {
    (fn $body:ident) => {
        mod $body {
            #[test]
            fn sqlite() -> ::anyhow::Result<()> {
                super::$body($crate::server::Engine::Sqlite)
            }

            #[test]
            fn postgres() -> ::anyhow::Result<()> {
                super::$body($crate::server::Engine::Postgres)
            }
        }
    };
    (async fn $body:ident) => {
        mod $body {
            #[::tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$body($crate::server::Engine::Sqlite).await
            }

            #[::tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                super::$body($crate::server::Engine::Postgres).await
            }
        }
    };
}

/// The path of a binary built from this workspace (`cargo test --workspace` builds them all).
/// `OCENA_TEST_BIN_DIR`, when set, names another directory holding the binaries (e.g. a copy
/// made right after building, when several worktrees share one target directory).
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("OCENA_TEST_BIN_DIR") {
        let path = PathBuf::from(dir).join(name);
        anyhow::ensure!(
            path.exists(),
            "{} is missing (OCENA_TEST_BIN_DIR)",
            path.display()
        );
        return Ok(path);
    }
    // The test executable lives in target/<profile>/deps/; binaries in target/<profile>/.
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow::anyhow!("unexpected test executable path {}", exe.display()))?;
    let path = profile_dir.join(name);
    anyhow::ensure!(
        path.exists(),
        "{} is not built: run the tests with `cargo test --workspace` (or `cargo build -p {name}` first)",
        path.display()
    );
    Ok(path)
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, or the one this test runs from).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let exe = std::env::current_exe()?;
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow::anyhow!("unexpected test executable path {}", exe.display()))
}

/// Writes a kiosk config for a Płock desk keeping its data in `data_dir`; returns its path.
pub fn kiosk_config(dir: &Path, data_dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("kiosk.toml");
    let text = format!(
        "data_dir = {data_dir:?}\n\
         [desk]\nid = \"plock-wso-03\"\nname = \"Wydział Spraw Obywatelskich — stanowisko 3\"\n\
         office = \"plock\"\nstandards = [\"IV\", \"III\", \"II\", \"IX\"]\n\
         [languages]\nenabled = [\"pl\", \"en\", \"uk\", \"de\"]\ndefault = \"pl\"\n"
    );
    std::fs::write(&path, text)?;
    Ok(path)
}
