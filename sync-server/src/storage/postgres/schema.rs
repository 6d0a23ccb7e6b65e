//! The aggregator's PostgreSQL schema as numbered migrations of its own, recorded in
//! `schema_migrations` and applied in one transaction at open; a database migrated by newer code
//! is refused rather than guessed at.
//!
//! The tables mirror SQLite's (`storage/sqlite/schema.rs`) at its v11 with PostgreSQL's types: BIGINT
//! for every integer (`i64` in Rust), BOOLEAN for flags, BYTEA for hashes, TEXT in the byte-order
//! collation "C" (SQLite's BINARY). Answers are indexed,
//! not partitioned: a record id is unique forever through one primary key, which a table
//! partitioned by time could only enforce with the time inside the key, and an answer's event
//! time moves when its boot gets an anchor. The dashboard never scans answers: it reads the
//! rollup tables, whose keys start with the question and the period, so a multi-year table costs
//! only the days and months a view asks for.

use postgres::Transaction;

use crate::storage::StorageError;

/// Each entry moves the schema one version up; never edit one that has shipped, append instead.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE offices (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    -- The order offices were added in (SQLite's rowid): the dashboard lists them so.
    added BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);

CREATE TABLE departments (
    office_id TEXT NOT NULL REFERENCES offices(id),
    id        TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (office_id, id)
);

CREATE TABLE desks (
    id                     TEXT PRIMARY KEY,
    office_id              TEXT NOT NULL,
    department_id          TEXT NOT NULL,
    name                   TEXT NOT NULL,
    internal_service       BOOLEAN NOT NULL,
    standards              TEXT NOT NULL,
    languages              TEXT NOT NULL,
    default_language       TEXT NOT NULL,
    idle_prompt_after_s    BIGINT NOT NULL,
    idle_countdown_s       BIGINT NOT NULL,
    change_answer_window_s BIGINT NOT NULL,
    thank_you_s            BIGINT NOT NULL,
    revision               BIGINT NOT NULL,
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
);

CREATE TABLE desk_standards_offered (
    desk_id  TEXT NOT NULL REFERENCES desks(id),
    standard TEXT NOT NULL,
    PRIMARY KEY (desk_id, standard)
);

CREATE TABLE kiosks (
    id                 TEXT PRIMARY KEY,
    desk_id            TEXT NOT NULL REFERENCES desks(id),
    token_sha256       BYTEA NOT NULL UNIQUE,
    enrolled_at_ms     BIGINT NOT NULL,
    revoked_at_ms      BIGINT,
    last_seen_ms       BIGINT,
    version            TEXT NOT NULL,
    backlog            BIGINT,
    oldest_unsynced_ms BIGINT,
    last_error         TEXT,
    last_clock         TEXT
);

CREATE TABLE enrollment_codes (
    code_sha256   BYTEA PRIMARY KEY,
    desk_id       TEXT NOT NULL REFERENCES desks(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    used_by       TEXT
);

CREATE TABLE answers (
    id                      TEXT PRIMARY KEY,
    kiosk_id                TEXT NOT NULL REFERENCES kiosks(id),
    desk_id                 TEXT NOT NULL,
    visit_id                TEXT NOT NULL,
    sequence                BIGINT NOT NULL,
    question                TEXT NOT NULL,
    score                   BIGINT,
    not_applicable          BOOLEAN NOT NULL,
    reasons                 TEXT NOT NULL,
    language                TEXT NOT NULL,
    larger_text             BOOLEAN NOT NULL,
    input                   TEXT NOT NULL,
    supersedes              TEXT,
    wall_clock_ms           BIGINT NOT NULL,
    boot_id                 TEXT NOT NULL,
    boottime_ns             BIGINT NOT NULL,
    clock_synchronized      BOOLEAN NOT NULL,
    content_sha256          BYTEA NOT NULL,
    received_at_ms          BIGINT NOT NULL,
    sent_wall_clock_ms      BIGINT NOT NULL,
    sent_boot_id            TEXT NOT NULL,
    sent_boottime_ns        BIGINT NOT NULL,
    sent_clock_synchronized BOOLEAN NOT NULL,
    superseded_by           TEXT,
    counted                 BOOLEAN NOT NULL,
    event_utc_ms            BIGINT NOT NULL,
    event_earliest_ms       BIGINT NOT NULL,
    event_latest_ms         BIGINT NOT NULL,
    event_approximate       BOOLEAN NOT NULL,
    local_day               TEXT NOT NULL,
    local_hour              BIGINT NOT NULL,
    burst                   BOOLEAN NOT NULL DEFAULT false,
    CHECK ((score IS NULL) = not_applicable)
);
CREATE INDEX answers_supersedes ON answers(supersedes, sequence) WHERE supersedes IS NOT NULL;
CREATE INDEX answers_approximate ON answers(kiosk_id, boot_id) WHERE event_approximate;
CREATE INDEX answers_kiosk_sequence ON answers(kiosk_id, sequence);
CREATE INDEX answers_desk_day ON answers(desk_id, local_day, event_utc_ms);
CREATE INDEX answers_overall_time ON answers(kiosk_id, event_utc_ms) WHERE question = 'overall';

-- Ties one boot of one kiosk to UTC: utc = boottime + offset_ms. The best anchor is kept.
CREATE TABLE boot_anchors (
    kiosk_id      TEXT NOT NULL REFERENCES kiosks(id),
    boot_id       TEXT NOT NULL,
    offset_ms     BIGINT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('synchronised_clock', 'server_receipt')),
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, boot_id)
);

CREATE TABLE conflicts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id      TEXT NOT NULL,
    kiosk_id       TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    first_content  TEXT NOT NULL,
    second_content TEXT NOT NULL
);

-- What stays of an answer purged for retention: its id stays taken forever.
CREATE TABLE purged_answers (
    id             TEXT PRIMARY KEY,
    kiosk_id       TEXT NOT NULL,
    content_sha256 BYTEA NOT NULL,
    supersedes     TEXT
);
CREATE INDEX purged_answers_supersedes ON purged_answers(supersedes) WHERE supersedes IS NOT NULL;

-- The rollups, keyed in the order the dashboard reads them (question, period, …).
CREATE TABLE rollups (
    question       TEXT NOT NULL,
    day            TEXT NOT NULL,
    burst          BOOLEAN NOT NULL,
    desk_id        TEXT NOT NULL,
    language       TEXT NOT NULL,
    larger_text    BOOLEAN NOT NULL,
    score_1        BIGINT NOT NULL DEFAULT 0,
    score_2        BIGINT NOT NULL DEFAULT 0,
    score_3        BIGINT NOT NULL DEFAULT 0,
    score_4        BIGINT NOT NULL DEFAULT 0,
    not_applicable BIGINT NOT NULL DEFAULT 0,
    reasons        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (question, day, burst, desk_id, language, larger_text)
);
CREATE INDEX rollups_by_desk ON rollups(desk_id, question, day);

CREATE TABLE rollup_hours (
    question       TEXT NOT NULL,
    day            TEXT NOT NULL,
    burst          BOOLEAN NOT NULL,
    desk_id        TEXT NOT NULL,
    hour           BIGINT NOT NULL,
    language       TEXT NOT NULL,
    score_1        BIGINT NOT NULL DEFAULT 0,
    score_2        BIGINT NOT NULL DEFAULT 0,
    score_3        BIGINT NOT NULL DEFAULT 0,
    score_4        BIGINT NOT NULL DEFAULT 0,
    not_applicable BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (question, day, burst, desk_id, hour, language)
);

CREATE TABLE rollup_reasons (
    day      TEXT NOT NULL,
    question TEXT NOT NULL,
    burst    BOOLEAN NOT NULL,
    desk_id  TEXT NOT NULL,
    language TEXT NOT NULL,
    reason   TEXT NOT NULL,
    chosen   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, question, burst, desk_id, language, reason)
);

CREATE TABLE rollup_months (
    question       TEXT NOT NULL,
    month          TEXT NOT NULL, -- the month's first day, YYYY-MM-01
    burst          BOOLEAN NOT NULL,
    desk_id        TEXT NOT NULL,
    language       TEXT NOT NULL,
    larger_text    BOOLEAN NOT NULL,
    score_1        BIGINT NOT NULL DEFAULT 0,
    score_2        BIGINT NOT NULL DEFAULT 0,
    score_3        BIGINT NOT NULL DEFAULT 0,
    score_4        BIGINT NOT NULL DEFAULT 0,
    not_applicable BIGINT NOT NULL DEFAULT 0,
    reasons        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (question, month, burst, desk_id, language, larger_text)
);

CREATE TABLE rollup_month_hours (
    question       TEXT NOT NULL,
    month          TEXT NOT NULL,
    burst          BOOLEAN NOT NULL,
    desk_id        TEXT NOT NULL,
    weekday        BIGINT NOT NULL,
    hour           BIGINT NOT NULL,
    language       TEXT NOT NULL,
    score_1        BIGINT NOT NULL DEFAULT 0,
    score_2        BIGINT NOT NULL DEFAULT 0,
    score_3        BIGINT NOT NULL DEFAULT 0,
    score_4        BIGINT NOT NULL DEFAULT 0,
    not_applicable BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (question, month, burst, desk_id, weekday, hour, language)
);

CREATE TABLE rollup_month_reasons (
    month    TEXT NOT NULL,
    question TEXT NOT NULL,
    burst    BOOLEAN NOT NULL,
    desk_id  TEXT NOT NULL,
    language TEXT NOT NULL,
    reason   TEXT NOT NULL,
    chosen   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, question, burst, desk_id, language, reason)
);

-- Alerts (crate::alerts): rules, each raise with its clearing, and one delivery per channel.
CREATE TABLE alert_rules (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('desk_csat', 'kiosk_silent')),
    office_id          TEXT REFERENCES offices(id),
    csat_below_percent BIGINT,
    last_responses     BIGINT,
    last_days          BIGINT,
    silent_hours       BIGINT,
    enabled            BOOLEAN NOT NULL,
    created_at_ms      BIGINT NOT NULL,
    CHECK ((kind = 'desk_csat' AND csat_below_percent IS NOT NULL
               AND (last_responses IS NULL) <> (last_days IS NULL) AND silent_hours IS NULL)
        OR (kind = 'kiosk_silent' AND silent_hours IS NOT NULL AND csat_below_percent IS NULL
               AND last_responses IS NULL AND last_days IS NULL))
);

CREATE TABLE alerts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id       BIGINT NOT NULL REFERENCES alert_rules(id),
    subject       TEXT NOT NULL,
    office_id     TEXT NOT NULL,
    raised_at_ms  BIGINT NOT NULL,
    cleared_at_ms BIGINT,
    value         DOUBLE PRECISION NOT NULL,
    responses     BIGINT
);
CREATE UNIQUE INDEX alerts_open ON alerts(rule_id, subject) WHERE cleared_at_ms IS NULL;
CREATE INDEX alerts_office ON alerts(office_id, raised_at_ms);

CREATE TABLE alert_deliveries (
    alert_id        BIGINT NOT NULL REFERENCES alerts(id),
    event           TEXT NOT NULL CHECK (event IN ('raised', 'cleared')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    attempts        BIGINT NOT NULL,
    next_attempt_ms BIGINT,
    delivered_at_ms BIGINT,
    last_error      TEXT,
    PRIMARY KEY (alert_id, event, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(next_attempt_ms) WHERE delivered_at_ms IS NULL;

-- Dashboard users and their sessions (the id is the SHA-256 of the cookie's token).
CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL
        CHECK (role IN ('admin', 'analyst', 'office_viewer', 'department_viewer')),
    office_id      TEXT REFERENCES offices(id),
    department_id  TEXT,
    email          TEXT,
    lang           TEXT NOT NULL DEFAULT 'pl' CHECK (lang IN ('pl', 'en')),
    created_at_ms  BIGINT NOT NULL,
    disabled_at_ms BIGINT,
    CHECK ((role IN ('office_viewer', 'department_viewer')) = (office_id IS NOT NULL)),
    CHECK ((role = 'department_viewer') = (department_id IS NOT NULL)),
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
);
CREATE INDEX users_department ON users(office_id, department_id) WHERE department_id IS NOT NULL;

CREATE TABLE sessions (
    id_sha256     BYTEA PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    lang          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at_ms);

CREATE TABLE department_report_deliveries (
    user_id          BIGINT NOT NULL REFERENCES users(id),
    month            TEXT NOT NULL,
    office_id        TEXT NOT NULL,
    department_id    TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT,
    claimed_until_ms BIGINT,
    delivered_at_ms  BIGINT,
    last_error       TEXT,
    resent_by        TEXT,
    resends          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, month),
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
);
CREATE INDEX department_report_deliveries_due ON department_report_deliveries(next_attempt_ms)
    WHERE delivered_at_ms IS NULL;
"#,
    r#"
-- Version 2: a due alert notification is claimed by the round that sends it, until its attempt
-- is recorded or the lease ends, so another process's round does not send it too.
ALTER TABLE alert_deliveries ADD COLUMN claimed_until_ms BIGINT;
"#,
    r#"
-- Version 3: text sorts and compares by its bytes, as in SQLite, whatever collation the database
-- was created with (a Polish cluster's puts "wso_b" before "wso-a" and "ł" before "m"), so
-- listings, the dashboard and `migrate`'s comparison come out in one order on both engines. Every
-- TEXT column becomes "C"; a later migration's TEXT column says COLLATE "C" itself (a test checks).
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT c.table_name, c.column_name
        FROM information_schema.columns c
        JOIN information_schema.tables t
          ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
          AND c.data_type = 'text'
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text COLLATE "C"',
                       col.table_name, col.column_name);
    END LOOP;
END
$$;
"#,
];

/// Serialises migrations between processes opening the same database at once.
const MIGRATION_LOCK: i64 = 0x6f63_656e_615f_6d69; // "ocena_mi"

/// Brings the schema up to date in one transaction; refuses a database newer than this code.
pub fn migrate(tx: &mut Transaction<'_>) -> Result<(), StorageError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let version: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if version > known {
        return Err(StorageError::Invalid(format!(
            "the PostgreSQL database is at schema version {version}, newer than this server's \
             {known}: run a newer sync-server (a database is never migrated down)"
        )));
    }
    let done = usize::try_from(version).unwrap_or(0);
    for (number, sql) in (1i64..).zip(MIGRATIONS).skip(done) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&number],
        )?;
    }
    Ok(())
}

/// The schema version this code migrates to.
pub fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated(client: &mut postgres::Client) -> Result<(), StorageError> {
        let mut tx = client.transaction()?;
        migrate(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    #[test]
    fn migrating_twice_is_harmless_and_a_newer_database_is_refused() {
        let database = throwaway_postgres::fresh_database().expect("database");
        let mut client = database.config().connect(postgres::NoTls).expect("connect");
        migrated(&mut client).expect("first");
        migrated(&mut client).expect("second");
        let version: i64 = client
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .expect("version")
            .get(0);
        assert_eq!(version, latest_version());

        client
            .execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&(latest_version() + 1)],
            )
            .expect("a newer server's migration");
        let refused = migrated(&mut client).expect_err("newer than the code");
        assert!(
            refused.to_string().contains("newer than this server's"),
            "{refused}"
        );
    }

    #[test]
    fn every_text_column_sorts_by_its_bytes() {
        let database = throwaway_postgres::fresh_database().expect("database");
        let mut client = database.config().connect(postgres::NoTls).expect("connect");
        migrated(&mut client).expect("migrated");
        let other: Vec<String> = client
            .query(
                "SELECT c.table_name || '.' || c.column_name
                 FROM information_schema.columns c
                 JOIN information_schema.tables t
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                   AND c.data_type = 'text' AND c.collation_name IS DISTINCT FROM 'C'
                 ORDER BY 1",
                &[],
            )
            .expect("columns")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(
            other.is_empty(),
            "TEXT columns without COLLATE \"C\" (sorted unlike SQLite): {other:?}"
        );
    }
}
