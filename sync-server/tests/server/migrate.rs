//! `sync-server migrate --to postgres://…` run as a binary: the demo database moved from SQLite
//! into a fresh database of the throwaway PostgreSQL, verified, served the same by a server on
//! each (a session made before the move still signs in); a second run, and any target that
//! holds something, refused with nothing changed; and the verification catching a damaged copy.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};
use sync_server::analytics::Disclosure;
use sync_server::config::Database;
use sync_server::database_move;
use sync_server::storage::{Connections, Storage};

use crate::cli::{page, sign_in};
use crate::support::app::App;

const PASSWORD: &str = "correct horse battery";

/// A temporary directory with the SQLite database the commands run on.
struct Source {
    dir: tempfile::TempDir,
}

impl Source {
    fn new() -> Source {
        Source {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// Runs `sync-server <args>` on this database, `input` on its standard input.
    fn run(&self, args: &[&str], input: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(self.dir.path().join("absent.toml"))
            .args(args)
            .env("OCENA_SERVER_DATABASE", self.database())
            .env_remove("OCENA_SERVER_LISTEN")
            .env_remove("OCENA_SERVER_DATABASE_PASSWORD")
            .env_remove("OCENA_SERVER_DATABASE_PASSWORD_FILE")
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
            .expect("input");
        child.wait_with_output().expect("sync-server ends")
    }

    fn ok(&self, args: &[&str], input: &str) -> String {
        let out = self.run(args, input);
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args, "");
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).expect("utf-8")
    }

    /// The SHA-256 of the database file and its write-ahead log, if any.
    fn fingerprint(&self) -> Vec<u8> {
        let mut hasher = Sha256::new();
        for suffix in ["", "-wal"] {
            let path = PathBuf::from(format!("{}{suffix}", self.database().display()));
            if let Ok(bytes) = std::fs::read(&path) {
                hasher.update(bytes);
            }
        }
        hasher.finalize().to_vec()
    }
}

fn postgres_settings(url: String) -> impl FnOnce(&mut sync_server::Settings) {
    move |settings| {
        settings.database = Database::Postgres {
            url,
            password: None,
        };
    }
}

/// The stats API's answers a dashboard draws from, for the signed-in `cookie`.
async fn stats(base: &str, cookie: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    for path in [
        "/api/v1/stats/breakdown?by=office&period=this-year&bursts=include",
        "/api/v1/stats/breakdown?by=question&period=last90",
        "/api/v1/stats/trend?period=last90&step=week",
        "/api/v1/stats/heatmap?period=last30",
        "/dashboard?period=last90&bursts=include",
    ] {
        let (status, body) = page(base, cookie, path).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{path}: {body}");
        bodies.push(body);
    }
    bodies
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_database_moves_to_postgres_verified_and_a_second_run_refuses() {
    let source = Source::new();
    let demo = source.ok(&["demo"], "");
    source.ok(
        &["user", "add", "--username", "adam", "--role", "analyst"],
        &format!("{PASSWORD}\n"),
    );
    // A server on the SQLite file: a session made there, and what its dashboard shows.
    let on_sqlite = App::spawn_empty(|settings| {
        settings.database = Database::Sqlite(source.database());
    })
    .await;
    let cookie = sign_in(&on_sqlite.origin(), "adam", PASSWORD).await;
    let shown_on_sqlite = stats(&on_sqlite.origin(), &cookie).await;

    let target = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL");
    let before = source.fingerprint();
    let started = std::time::Instant::now();
    let report = source.ok(&["migrate", "--to", &target.url()], "");
    let took = started.elapsed();
    eprintln!("{demo}{report}migrate took {:.1} s", took.as_secs_f64());
    assert!(report.contains("verified in"), "{report}");
    assert!(report.contains("copied 22 tables"), "{report}");
    assert_eq!(
        source.fingerprint(),
        before,
        "the SQLite file is left as it was"
    );

    // A server on the copy shows the same figures and pages, to the session made before.
    let on_postgres = App::spawn_empty(postgres_settings(target.url())).await;
    let shown_on_postgres = stats(&on_postgres.origin(), &cookie).await;
    for (on_sqlite, on_postgres) in shown_on_sqlite.iter().zip(&shown_on_postgres) {
        assert_eq!(on_sqlite, on_postgres, "the same page on both engines");
    }
    assert!(
        shown_on_sqlite[0].contains("\"responses\""),
        "{}",
        shown_on_sqlite[0]
    );

    // Ids go on after the copied ones (the sequences were moved past them).
    let next_user = on_postgres
        .storage
        .add_user(
            sync_server::storage::NewUser {
                username: "ewa".to_owned(),
                password_hash: "not a hash: never signs in".to_owned(),
                role: sync_server::access::Role::Analyst,
                office_id: None,
                department_id: None,
                email: None,
                lang: sync_server::lang::Lang::Pl,
            },
            crate::support::app::now_ms(),
        )
        .await
        .expect("a user added on the copy");
    assert_eq!(next_user, 2, "after adam, the one user copied");

    let refused = source.fails(&["migrate", "--to", &target.url()]);
    assert!(
        refused.contains("is not empty") && refused.contains("5 offices"),
        "the second run names what the target holds: {refused}"
    );
    assert!(
        refused.contains("changed nothing"),
        "and says it changed nothing: {refused}"
    );
    // Still the one copy: nothing was added twice.
    let on_file = Storage::open_sqlite_read_only(source.database(), Connections::default())
        .await
        .expect("the file, read-only");
    assert_eq!(
        on_postgres.storage.contents().await.expect("copy"),
        on_file.contents().await.expect("file")
    );
}

fn postgres(target: &throwaway_postgres::TestDatabase) -> Database {
    Database::Postgres {
        url: target.url(),
        password: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_holds_anything_is_refused_and_left_as_it_was() {
    let source = Source::new();
    source.ok(&["demo", "--days", "3"], "");
    let target = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL");
    let storage = Storage::open(&postgres(&target), Connections::default())
        .await
        .expect("open the target");
    storage
        .add_office(sync_server::offices::parse("kutno", "Urząd Miasta Kutno").expect("office"))
        .await
        .expect("an office");

    let refused = source.fails(&["migrate", "--to", &target.url()]);
    assert!(
        refused.contains("is not empty") && refused.contains("1 offices"),
        "{refused}"
    );
    let contents = storage.contents().await.expect("contents");
    assert_eq!(
        (contents.offices, contents.desks, contents.answers),
        (1, 0, 0),
        "the target keeps only what it had"
    );

    let with_password = source.fails(&["migrate", "--to", "postgres://ocena:secret@db/ocena"]);
    assert!(
        with_password.contains("carries a password"),
        "{with_password}"
    );
    let not_postgres = source.fails(&["migrate", "--to", "/tmp/elsewhere.db"]);
    assert!(
        not_postgres.contains("not a PostgreSQL database"),
        "{not_postgres}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_that_cannot_be_copied_leaves_the_target_as_it_was() {
    let source = Source::new();
    source.ok(&["demo", "--days", "2"], "");
    // SQLite keeps a NUL inside text; PostgreSQL's text cannot hold one. Kiosks come after
    // offices, departments and desks, which are copied by then.
    rusqlite::Connection::open(source.database())
        .expect("open")
        .execute(
            "UPDATE kiosks SET last_error = 'a' || char(0) || 'b'
             WHERE rowid = (SELECT max(rowid) FROM kiosks)",
            [],
        )
        .expect("a NUL in a kiosk's last error");
    let target = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL");

    let failed = source.fails(&["migrate", "--to", &target.url()]);
    assert!(
        failed.contains("nothing was copied") && failed.contains("copying table kiosks"),
        "{failed}"
    );
    let config = target.config();
    let tables: i64 = std::thread::spawn(move || {
        let mut client = config.connect(postgres::NoTls).expect("connect");
        client
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                &[],
            )
            .expect("tables")
            .get(0)
    })
    .join()
    .expect("counted");
    assert_eq!(tables, 0, "not even the schema is left behind");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_verification_names_a_table_whose_copy_differs() {
    let source = Source::new();
    source.ok(&["demo", "--days", "10"], "");
    let target = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL");
    let report = database_move::move_to_postgres(
        source.database(),
        postgres(&target),
        Disclosure::default(),
    )
    .await
    .expect("copied");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.copied.len(), 22);

    let damage = |sql: &'static str| {
        let config = target.config();
        std::thread::spawn(move || {
            let mut client = config.connect(postgres::NoTls).expect("connect");
            client.batch_execute(sql).expect("damage");
        })
        .join()
        .expect("damaged");
    };
    let problems = || async {
        database_move::verify(source.database(), postgres(&target), Disclosure::default())
            .await
            .expect("verify")
            .problems
            .join("\n")
    };

    damage("DELETE FROM boot_anchors WHERE ctid = (SELECT min(ctid) FROM boot_anchors)");
    let found = problems().await;
    assert!(
        found.contains("table boot_anchors:") && found.contains("in PostgreSQL"),
        "{found}"
    );

    damage("UPDATE kiosks SET version = 'tampered' WHERE id = (SELECT min(id) FROM kiosks)");
    let found = problems().await;
    assert!(
        found.contains("table kiosks:") && found.contains("contents differ"),
        "{found}"
    );

    damage(
        "UPDATE rollups SET score_4 = score_4 + 1
         WHERE ctid = (SELECT min(ctid) FROM rollups WHERE question = 'overall')",
    );
    let found = problems().await;
    assert!(
        found.contains("PostgreSQL: rollup_months counts")
            && found.contains("PostgreSQL: the rollups count")
            && found.contains("dashboard: the breakdown by office differs")
            && found.contains("dashboard: the total differs"),
        "{found}"
    );
    assert!(
        !found.contains("SQLite: "),
        "the source itself is consistent: {found}"
    );
}
