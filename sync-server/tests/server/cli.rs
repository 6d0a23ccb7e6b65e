//! The `sync-server` binary's administration commands against a temporary database: the setup
//! an installer performs, and the precise errors for bad input.

use std::process::{Command, Output};

use crate::support::app::App;

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
        self.run_with_config(&self.dir.path().join("absent.toml"), args)
    }

    /// Runs `sync-server --config <config> <args>` on this directory's database.
    fn run_with_config(&self, config: &std::path::Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(config)
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
    let out = cli.run_with_config(&config, &["kiosks"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("`listen`"),
        "{err}"
    );
}

impl Cli {
    /// An office with one department and desk plock-wso-03 asking IV,III,II in pl,en,uk,de.
    fn with_desk() -> Cli {
        let cli = Cli::new();
        cli.ok(&["seed-offices"]);
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
        cli.ok(&[
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
            "IV,III,II",
        ]);
        cli
    }

    fn survey(&self) -> serde_json::Value {
        let shown = self.ok(&["desk", "show", "--id", "plock-wso-03", "--json"]);
        let desk: serde_json::Value = serde_json::from_str(&shown).expect("json");
        desk["survey"].clone()
    }

    fn set(&self, flags: &[&str]) -> Output {
        let args = ["desk", "set", "--id", "plock-wso-03"]
            .iter()
            .chain(flags)
            .copied()
            .collect::<Vec<_>>();
        self.run(&args)
    }
}

#[test]
fn desk_set_changes_only_the_given_fields_and_bumps_the_revision_once() {
    let cli = Cli::with_desk();
    let before = cli.survey();
    assert_eq!(before["revision"], 1);

    let out = cli.set(&["--standards", "II,IV", "--thank-you-s", "8"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("revision 2"));
    let after = cli.survey();
    let mut expected = before;
    expected["revision"] = 2.into();
    expected["standards"] = serde_json::json!(["II", "IV"]);
    expected["thank_you_s"] = 8.into();
    assert_eq!(after, expected);

    let out = cli.set(&["--thank-you-s", "8", "--standards", "II,IV"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing changed"),
        "a no-op says so"
    );
    assert_eq!(cli.survey(), after, "a no-op does not bump the revision");

    let out = cli.set(&["--internal-service", "true", "--standards", "XI,IV"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(cli.survey()["revision"], 3);

    let listed = cli.ok(&["desks"]);
    assert!(
        listed.contains("plock\twso\tplock-wso-03\tStanowisko 3\tXI,IV\t3"),
        "{listed}"
    );
    let shown = cli.ok(&["desk", "show", "--id", "plock-wso-03"]);
    assert!(
        shown.contains("revision: 3") && shown.contains("internal service: yes"),
        "{shown}"
    );
}

#[test]
fn an_invalid_desk_set_names_the_problem_and_changes_nothing() {
    let cli = Cli::with_desk();
    let before = cli.survey();
    let refused: &[(&[&str], &str)] = &[
        (&["--standards", "IV,XIV"], "unknown standard \"XIV\""),
        (
            &["--standards", "IV,X"],
            "standard X in --standards is never rated",
        ),
        (
            &["--standards", "IV,IV"],
            "standard IV is listed twice in --standards",
        ),
        (
            &["--standards", ""],
            "--standards needs at least one standard",
        ),
        (
            &["--standards", "XI"],
            "standard XI in --standards (the internal client) is only asked at desks that serve",
        ),
        (
            &["--languages", ""],
            "--languages needs at least one language",
        ),
        (
            &["--languages", "pl,fr"],
            "--languages: no translation is shipped for \"fr\"",
        ),
        (&["--languages", "pl,Pl"], "in --languages"),
        (
            &["--languages", "en,uk"],
            "--default-language \"pl\" is not one of --languages en,uk",
        ),
        (
            &["--default-language", "de", "--languages", "pl,en"],
            "--default-language \"de\" is not one of --languages pl,en",
        ),
        (
            &["--idle-countdown-s", "19"],
            "--idle-countdown-s must be between 20 and 300 seconds, not 19 (WCAG 2.2.1",
        ),
        (
            &["--idle-prompt-after-s", "86400"],
            "--idle-prompt-after-s must be between 5 and 600 seconds, not 86400",
        ),
        (
            &["--change-answer-window-s", "0"],
            "--change-answer-window-s must be between 3 and 60 seconds, not 0",
        ),
        (
            &["--thank-you-s", "3600"],
            "--thank-you-s must be between 2 and 60 seconds, not 3600",
        ),
        (&["--thank-you-s", "-5"], "--thank-you-s"),
        (&["--name", "  "], "--name must be 1-80 characters, not 0"),
        (&["--internal-service", "maybe"], "--internal-service"),
        (&[], "nothing to change"),
    ];
    for (flags, message) in refused {
        let out = cli.set(flags);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flags:?} should fail");
        assert!(err.contains(message), "{flags:?}: {err}");
        assert_eq!(cli.survey(), before, "{flags:?} changed the desk");
    }
    let err = cli.fails(&["desk", "set", "--id", "plock-wso-99", "--thank-you-s", "8"]);
    assert!(err.contains("unknown desk \"plock-wso-99\""), "{err}");
    let err = cli.fails(&["desk", "show", "--id", "plock-wso-99"]);
    assert!(err.contains("unknown desk \"plock-wso-99\""), "{err}");
}

#[test]
fn desk_add_keeps_the_same_survey_rules() {
    let cli = Cli::with_desk();
    let add = |id: &str, flags: &[&str]| {
        let args = [
            "desk",
            "add",
            "--office",
            "plock",
            "--department",
            "wso",
            "--id",
            id,
            "--name",
            "Stanowisko",
        ]
        .iter()
        .chain(flags)
        .copied()
        .collect::<Vec<_>>();
        cli.run(&args)
    };
    let out = add("plock-wso-04", &["--standards", "IV,X"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard X in --standards"));
    let out = add(
        "plock-wso-04",
        &["--standards", "IV", "--languages", "pl,fr"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"fr\""));
    let out = add("plock-wso-04", &["--standards", "XI", "--internal-service"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        cli.ok(&["desks"]).lines().count(),
        3,
        "header and two desks"
    );
}

impl Cli {
    /// Runs a command with `input` on its standard input (a password, never an argument).
    fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(self.dir.path().join("absent.toml"))
            .args(args)
            .env("OCENA_SERVER_DATABASE", self.dir.path().join("server.db"))
            .env_remove("OCENA_SERVER_LISTEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sync-server runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write password");
        child.wait_with_output().expect("sync-server ends")
    }

    fn ok_with_input(&self, args: &[&str], input: &str) -> String {
        let out = self.run_with_input(args, input);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn fails_with_input(&self, args: &[&str], input: &str) -> String {
        let out = self.run_with_input(args, input);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).expect("utf-8")
    }

    fn password_hash(&self, username: &str) -> String {
        rusqlite::Connection::open(self.dir.path().join("server.db"))
            .expect("db")
            .query_row(
                "SELECT password_hash FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .expect("user")
    }
}

#[test]
fn the_first_admin_and_other_users_are_managed_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["seed-offices"]);
    let out = cli.ok_with_input(
        &["admin", "create", "--username", "Anna"],
        "correct horse battery\n",
    );
    assert_eq!(out.trim(), "user anna added as admin");
    let hash = cli.password_hash("anna");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("correct horse"), "only the hash is stored");

    for (args, input, expected) in [
        (
            vec!["admin", "create", "--username", "anna"],
            "another long password\n",
            "the username \"anna\" is taken",
        ),
        (
            vec!["user", "add", "--username", "bob", "--role", "analyst"],
            "short\n",
            "at least 12 characters",
        ),
        (
            vec!["user", "add", "--username", "bob", "--role", "analyst"],
            "",
            "no password on standard input",
        ),
        (
            vec!["user", "add", "--username", "bob", "--role", "root"],
            "a long password here\n",
            "invalid --role \"root\"",
        ),
        (
            vec![
                "user",
                "add",
                "--username",
                "bob",
                "--role",
                "office_viewer",
            ],
            "a long password here\n",
            "needs --office",
        ),
        (
            vec![
                "user",
                "add",
                "--username",
                "bob",
                "--role",
                "analyst",
                "--office",
                "gabin",
            ],
            "a long password here\n",
            "--office is only for office_viewer and department_viewer",
        ),
        (
            vec![
                "user",
                "add",
                "--username",
                "bob",
                "--role",
                "office_viewer",
                "--office",
                "warszawa",
            ],
            "a long password here\n",
            "unknown office \"warszawa\"",
        ),
        (
            vec![
                "user",
                "add",
                "--username",
                "bob smith",
                "--role",
                "analyst",
            ],
            "a long password here\n",
            "invalid username \"bob smith\"",
        ),
    ] {
        let err = cli.fails_with_input(&args, input);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    cli.ok_with_input(
        &[
            "user",
            "add",
            "--username",
            "bob",
            "--role",
            "office_viewer",
            "--office",
            "gabin",
        ],
        "a long password here\n",
    );
    let list = cli.ok(&["user", "list"]);
    assert_eq!(
        list,
        "username\trole\toffice\tdepartment\temail\tstate\nanna\tadmin\t-\t-\t-\tactive\nbob\toffice_viewer\tgabin\t-\t-\tactive\n"
    );

    let before = cli.password_hash("bob");
    cli.ok_with_input(
        &["user", "set-password", "--username", "bob"],
        "a new long password\n",
    );
    assert_ne!(cli.password_hash("bob"), before);
    cli.ok(&["user", "disable", "--username", "bob"]);
    assert!(
        cli.ok(&["user", "list"])
            .contains("bob\toffice_viewer\tgabin\t-\t-\tdisabled")
    );
    let err = cli.fails(&["user", "disable", "--username", "carol"]);
    assert!(err.contains("unknown user \"carol\""), "{err}");
    let err = cli.fails_with_input(
        &["user", "set-password", "--username", "carol"],
        "a new long password\n",
    );
    assert!(err.contains("unknown user \"carol\""), "{err}");
    // There is no way to pass a password as an argument.
    let err = cli.fails(&["admin", "create", "--username", "eve", "--password", "x"]);
    assert!(err.contains("--password"), "{err}");
}

#[test]
fn a_head_of_department_is_added_for_a_department_that_exists() {
    let cli = Cli::new();
    cli.ok(&["seed-offices"]);
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
    let head = |office: &str, department: &str, lang: &str| {
        vec![
            "user".to_owned(),
            "add".to_owned(),
            "--username".to_owned(),
            "ewa".to_owned(),
            "--role".to_owned(),
            "department_viewer".to_owned(),
            "--office".to_owned(),
            office.to_owned(),
            "--department".to_owned(),
            department.to_owned(),
            "--email".to_owned(),
            "ewa@plock.test".to_owned(),
            "--lang".to_owned(),
            lang.to_owned(),
        ]
    };
    let password = "a long password here\n";
    for (args, expected) in [
        (
            head("plock", "xyz", "pl"),
            "unknown department \"xyz\" in office \"plock\"",
        ),
        (
            head("gabin", "wso", "pl"),
            "unknown department \"wso\" in office \"gabin\"",
        ),
        (head("plock", "wso", "de"), "invalid --lang \"de\""),
        (
            head("plock", "wso", "pl")[..6].to_vec(),
            "needs --office and --department",
        ),
        (
            vec![
                "user".to_owned(),
                "add".to_owned(),
                "--username".to_owned(),
                "olga".to_owned(),
                "--role".to_owned(),
                "office_viewer".to_owned(),
                "--office".to_owned(),
                "plock".to_owned(),
                "--department".to_owned(),
                "wso".to_owned(),
            ],
            "--department is only for --role department_viewer",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = cli.fails_with_input(&args, password);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(
        cli.ok(&["user", "list"]),
        "username\trole\toffice\tdepartment\temail\tstate\n",
        "nothing stored by the refused ones"
    );
    let args = head("plock", "wso", "en");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        cli.ok_with_input(&args, password).trim(),
        "user ewa added as department_viewer"
    );
    assert!(
        cli.ok(&["user", "list"])
            .contains("ewa\tdepartment_viewer\tplock\twso\tewa@plock.test\tactive"),
    );
}

#[test]
fn a_weak_admin_token_is_refused_at_start_naming_the_variable() {
    let cli = Cli::new();
    let run = |token: &str| {
        Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(cli.dir.path().join("absent.toml"))
            .arg("seed-offices")
            .env("OCENA_SERVER_DATABASE", cli.dir.path().join("server.db"))
            .env("OCENA_ADMIN_TOKEN", token)
            .output()
            .expect("sync-server runs")
    };
    for weak in ["a".repeat(40), "ocena".repeat(8), "x".repeat(10)] {
        let out = run(&weak);
        assert!(!out.status.success(), "{weak} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("OCENA_ADMIN_TOKEN"), "{err}");
    }
    let out = run("Zq3v9LrT1xKp8wE2mN5bH7cJ0dF4gY6sAuRiOoPlQkWe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Mode bits of `path`, without the file type.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn the_database_and_its_wal_and_shm_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("server.db");
    // `umask 000` would leave a default SQLite file world-writable (0666).
    let mut serve = Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_sync-server"))
        .arg("--config")
        .arg(dir.path().join("absent.toml"))
        .arg("serve")
        .env("OCENA_SERVER_DATABASE", &database)
        .env("OCENA_SERVER_LISTEN", "127.0.0.1:0")
        .env_remove("OCENA_ADMIN_TOKEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sync-server serves");
    let files = ["server.db", "server.db-wal", "server.db-shm"].map(|f| dir.path().join(f));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !files.iter().all(|f| f.exists()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never made its files"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let modes: Vec<(String, u32)> = files
        .iter()
        .map(|f| (f.display().to_string(), mode(f)))
        .collect();
    serve.kill().expect("stopped");
    serve.wait().expect("reaped");
    for (file, mode) in modes {
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
}

#[test]
fn purge_deletes_by_the_configured_retention_and_a_lower_k_is_refused() {
    let cli = Cli::with_desk();
    let out = cli.ok(&["purge"]);
    let cutoff = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Warsaw)
        .date_naive()
        .checked_sub_months(chrono::Months::new(24))
        .expect("cutoff");
    assert!(
        out.contains(&format!(
            "0 answers placed before {cutoff} deleted (retention 24 months"
        )),
        "{out}"
    );
    let config = cli.dir.path().join("privacy.toml");
    std::fs::write(&config, "[privacy]\nmin_responses = 3\n").expect("write");
    let out = cli.run_with_config(&config, &["purge"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("privacy.toml") && err.contains("`privacy.min_responses`"),
        "{err}"
    );
}

#[test]
fn offices_are_added_renamed_and_listed_and_bad_ids_are_named() {
    let cli = Cli::new();
    assert_eq!(
        cli.ok(&["office", "list"]),
        "office\tname\n",
        "no office yet"
    );
    let err = cli.fails(&[
        "department",
        "add",
        "--office",
        "kutno",
        "--id",
        "wso",
        "--name",
        "X",
    ]);
    assert!(err.contains("unknown office \"kutno\""), "{err}");
    assert_eq!(
        cli.ok(&["office", "add", "kutno", "--name", " Urząd Miasta Kutno "])
            .trim(),
        "office kutno added: Urząd Miasta Kutno"
    );
    for bad in ["Kutno", "kutno_2", "-kutno", "łódź"] {
        let err = cli.fails(&["office", "add", bad, "--name", "X"]);
        assert!(err.contains(&format!("invalid office id {bad:?}")), "{err}");
    }
    let err = cli.fails(&["office", "add", "kutno", "--name", "Again"]);
    assert!(err.contains("office \"kutno\" already exists"), "{err}");
    let err = cli.fails(&["office", "add", "lodz", "--name", "  "]);
    assert!(err.contains("invalid name for office \"lodz\""), "{err}");
    let err = cli.fails(&["office", "rename", "lodz", "--name", "Urząd Miasta Łodzi"]);
    assert!(err.contains("unknown office \"lodz\""), "{err}");
    assert_eq!(
        cli.ok(&["office", "rename", "kutno", "--name", "Urząd Miasta Kutna"])
            .trim(),
        "office kutno renamed: Urząd Miasta Kutna"
    );
    // The partner offices come from `seed-offices`, which keeps what is there.
    assert!(cli.ok(&["seed-offices"]).contains('5'));
    assert!(cli.ok(&["seed-offices"]).contains('0'));
    assert_eq!(
        cli.ok(&["office", "list"]),
        "office\tname\n\
         gabin\tUrząd Miasta i Gminy Gąbin\n\
         gostynin\tUrząd Miasta Gostynina\n\
         kutno\tUrząd Miasta Kutna\n\
         plock\tUrząd Miasta Płocka\n\
         powiat-gostyninski\tStarostwo Powiatowe w Gostyninie\n\
         stara-biala\tUrząd Gminy Stara Biała\n"
    );
    // A department, desk, user or alert rule names an existing office, by a valid id.
    let desk = |office: &str| {
        cli.fails(&[
            "desk",
            "add",
            "--office",
            office,
            "--department",
            "wso",
            "--id",
            "lodz-wso-01",
            "--name",
            "Stanowisko 1",
            "--standards",
            "IV",
        ])
    };
    let err = desk("lodz");
    assert!(err.contains("unknown office \"lodz\""), "{err}");
    let err = desk("Łódź");
    assert!(err.contains("invalid office id \"Łódź\""), "{err}");
    let err = cli.fails(&[
        "department",
        "add",
        "--office",
        "Lodz",
        "--id",
        "wso",
        "--name",
        "X",
    ]);
    assert!(err.contains("invalid office id \"Lodz\""), "{err}");
    let err = cli.fails_with_input(
        &[
            "user",
            "add",
            "--username",
            "ola",
            "--role",
            "office_viewer",
            "--office",
            "lodz",
        ],
        "correct horse battery\n",
    );
    assert!(err.contains("unknown office \"lodz\""), "{err}");
    let err = cli.fails(&[
        "alert-rule",
        "add",
        "--silent-hours",
        "2",
        "--office",
        "lodz",
    ]);
    assert!(err.contains("unknown office \"lodz\""), "{err}");
}

/// A synchronised kiosk clock reading at `wall_clock_ms`, in one boot that began 20 days ago.
fn reading(wall_clock_ms: i64) -> model::RecordedTime {
    let boot_start = chrono::Utc::now().timestamp_millis() - 20 * 24 * 3_600_000;
    model::RecordedTime {
        wall_clock_ms,
        boot_id: "boot".into(),
        boottime_ns: u64::try_from(wall_clock_ms - boot_start).expect("after boot") * 1_000_000,
        clock_synchronized: true,
    }
}

/// The `name=value` of every `Set-Cookie`, as one `Cookie` header.
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Signs in through the dashboard's form: the session's `Cookie` header.
pub async fn sign_in(base: &str, username: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = client
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("form");
    let cookie = cookies(&form);
    let page = form.text().await.expect("page");
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).expect("a form token") + marker.len();
    let token = page[start..].split('"').next().expect("token").to_owned();
    let response = client
        .post(format!("{base}/dashboard/login"))
        .header(reqwest::header::COOKIE, cookie)
        .header(reqwest::header::ORIGIN, base)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("sign-in");
    assert_eq!(
        response.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{username} signed in"
    );
    cookies(&response)
}

/// Enrolls a kiosk with `code` over the API and sends `n` overall ratings of 4, each its own
/// visit, five minutes apart, the last an hour ago.
pub(crate) async fn kiosk_with_answers(base: &str, code: &str, desk: &str, n: i64) {
    let client = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp_millis();
    let enrolled = client
        .post(format!("{base}/api/v1/enroll"))
        .json(&model::wire::EnrollRequest {
            code: code.trim().to_owned(),
            kiosk_version: "0.1.0".into(),
            clock: reading(now),
        })
        .send()
        .await
        .expect("enroll");
    assert_eq!(
        enrolled.status(),
        reqwest::StatusCode::OK,
        "kiosk at {desk} enrolled"
    );
    let enrolled: model::wire::EnrollResponse = enrolled.json().await.expect("enrolled");
    assert_eq!(enrolled.survey.desk_id.as_str(), desk);
    let records = (0..n)
        .map(|i| model::RatingRecord {
            id: model::RecordId::new_random(),
            visit_id: model::VisitId::new_random(),
            sequence: 1,
            desk_id: desk.parse().expect("desk"),
            question: model::Question::Overall,
            answer: model::Score::GOOD.into(),
            reasons: Vec::new(),
            language: model::LanguageTag::polish(),
            larger_text: false,
            input: model::InputKind::Touch,
            supersedes: None,
            recorded: reading(now - (60 + 5 * i) * 60_000),
        })
        .collect();
    let sent = client
        .post(format!("{base}/api/v1/records"))
        .bearer_auth(&enrolled.token)
        .json(&model::wire::RecordBatch {
            sent: reading(now),
            records,
        })
        .send()
        .await
        .expect("records");
    assert_eq!(
        sent.status(),
        reqwest::StatusCode::OK,
        "answers from {desk} stored"
    );
}

/// `path` on the server as the session in `cookie`: status and body.
pub async fn page(base: &str, cookie: &str, path: &str) -> (reqwest::StatusCode, String) {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_new_office_is_set_up_from_the_command_line_and_read_on_the_dashboard() {
    let cli = Cli::new();
    cli.ok(&["seed-offices"]);
    cli.ok(&["office", "add", "kutno", "--name", "Urząd Miasta Kutno"]);
    for (office, department) in [("kutno", "wso"), ("plock", "wso")] {
        cli.ok(&[
            "department",
            "add",
            "--office",
            office,
            "--id",
            department,
            "--name",
            "Wydział Spraw Obywatelskich",
        ]);
        cli.ok(&[
            "desk",
            "add",
            "--office",
            office,
            "--department",
            department,
            "--id",
            &format!("{office}-wso-01"),
            "--name",
            "Stanowisko 1",
            "--standards",
            "IV,III",
        ]);
    }
    let kutno_code = cli.ok(&["enroll-code", "--desk", "kutno-wso-01"]);
    let plock_code = cli.ok(&["enroll-code", "--desk", "plock-wso-01"]);
    let password = "correct horse battery";
    cli.ok_with_input(
        &[
            "user",
            "add",
            "--username",
            "kasia",
            "--role",
            "office_viewer",
            "--office",
            "kutno",
        ],
        &format!("{password}\n"),
    );
    cli.ok_with_input(
        &["user", "add", "--username", "adam", "--role", "analyst"],
        &format!("{password}\n"),
    );

    let database = cli.dir.path().join("server.db");
    let app = App::spawn_empty(|settings| {
        settings.database = sync_server::config::Database::Sqlite(database);
    })
    .await;
    let base = app.origin();
    kiosk_with_answers(&base, &kutno_code, "kutno-wso-01", 6).await;
    kiosk_with_answers(&base, &plock_code, "plock-wso-01", 7).await;

    // A kiosk enrolled just now has its answers placed no earlier than its enrollment, all within
    // seconds: a burst, so the figures below include bursts.
    // Every office's row for the analyst, Kutno's with its six answers.
    let analyst = sign_in(&base, "adam", password).await;
    let (status, overview) = page(&base, &analyst, "/dashboard?bursts=include").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(overview.contains("data-id=\"kutno\""), "{overview}");
    assert!(overview.contains("data-id=\"plock\""), "{overview}");
    assert!(overview.contains("Urząd Miasta Kutno"), "{overview}");
    let (_, by_office) = page(
        &base,
        &analyst,
        "/api/v1/stats/breakdown?by=office&bursts=include",
    )
    .await;
    let by_office: serde_json::Value = serde_json::from_str(&by_office).expect("json");
    let responses = |body: &serde_json::Value, office: &str| {
        body["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["id"] == office)
            .map(|g| g["responses"].clone())
    };
    assert_eq!(
        responses(&by_office, "kutno"),
        Some(6.into()),
        "{by_office}"
    );
    assert_eq!(
        responses(&by_office, "plock"),
        Some(7.into()),
        "{by_office}"
    );

    // Kutno's office viewer sees Kutno only, on the page and in the API.
    let viewer = sign_in(&base, "kasia", password).await;
    let (status, overview) = page(&base, &viewer, "/dashboard?bursts=include").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(overview.contains("Urząd Miasta Kutno"), "{overview}");
    assert!(!overview.contains("Płock"), "{overview}");
    let (_, by_office) = page(
        &base,
        &viewer,
        "/api/v1/stats/breakdown?by=office&bursts=include",
    )
    .await;
    let by_office: serde_json::Value = serde_json::from_str(&by_office).expect("json");
    assert_eq!(
        responses(&by_office, "kutno"),
        Some(6.into()),
        "{by_office}"
    );
    assert_eq!(responses(&by_office, "plock"), None, "{by_office}");
    let (status, _) = page(&base, &viewer, "/dashboard?office=plock").await;
    assert_ne!(
        status,
        reqwest::StatusCode::OK,
        "another office is not Kutno's to read"
    );
}
