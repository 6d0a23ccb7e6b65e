//! The `sync-server` binary's administration commands against a temporary database: the setup
//! an installer performs, and the precise errors for bad input.

use std::process::{Command, Output};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(self.dir.path().join("absent.toml"))
            .args(args)
            .env("OCENA_SERVER_DATABASE", self.dir.path().join("server.db"))
            .env_remove("OCENA_SERVER_LISTEN")
            .output()
            .expect("sync-server runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).expect("utf-8")
    }
}

#[test]
fn an_office_is_set_up_and_a_kiosk_code_printed() {
    let cli = Cli::new();
    assert!(cli.ok(&["seed-offices"]).contains('5'));
    let err = cli.fails(&[
        "department",
        "add",
        "--office",
        "warszawa",
        "--id",
        "wso",
        "--name",
        "X",
    ]);
    assert!(err.contains("unknown office \"warszawa\""), "{err}");
    cli.ok(&[
        "department",
        "add",
        "--office",
        "plock",
        "--id",
        "wso",
        "--name",
        "Wydział Spraw Obywatelskich",
    ]);
    let desk = |standards: &str| {
        vec![
            "desk",
            "add",
            "--office",
            "plock",
            "--department",
            "wso",
            "--id",
            "plock-wso-03",
            "--name",
            "Stanowisko 3",
            "--standards",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([standards.to_owned()])
        .collect::<Vec<_>>()
    };
    let args = desk("IV,XIV");
    let err = cli.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("XIV"), "{err}");
    let args = desk("IV,III,II,IX");
    cli.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let err = cli.fails(&["enroll-code", "--desk", "plock-wso-99"]);
    assert!(err.contains("unknown desk"), "{err}");
    let code = cli.ok(&[
        "enroll-code",
        "--desk",
        "plock-wso-03",
        "--valid-hours",
        "2",
    ]);
    assert_eq!(code.trim().len(), 11, "{code}");

    assert_eq!(cli.ok(&["kiosks"]).lines().count(), 1, "only the header");
    let err = cli.fails(&["revoke", "--kiosk", "kiosk-nobody"]);
    assert!(err.contains("unknown kiosk"), "{err}");
}

#[test]
fn a_config_error_names_the_file_and_key() {
    let cli = Cli::new();
    let config = cli.dir.path().join("bad.toml");
    std::fs::write(&config, "listen = \"nowhere\"\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .arg("--config")
        .arg(&config)
        .arg("kiosks")
        .env("OCENA_SERVER_DATABASE", cli.dir.path().join("server.db"))
        .env_remove("OCENA_SERVER_LISTEN")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("`listen`"),
        "{err}"
    );
}
