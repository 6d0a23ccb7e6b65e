//! The aggregator's SQLite schema as numbered migrations, applied in order by `PRAGMA user_version`.

use rusqlite::Connection;

use crate::storage::StorageError;

/// Each entry moves the schema one version up; never edit one that has shipped, append instead.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE offices (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE departments (
    office_id TEXT NOT NULL REFERENCES offices(id),
    id        TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (office_id, id)
) STRICT;

CREATE TABLE desks (
    id                     TEXT PRIMARY KEY,
    office_id              TEXT NOT NULL,
    department_id          TEXT NOT NULL,
    name                   TEXT NOT NULL,
    internal_service       INTEGER NOT NULL,
    standards              TEXT NOT NULL,
    languages              TEXT NOT NULL,
    default_language       TEXT NOT NULL,
    idle_prompt_after_s    INTEGER NOT NULL,
    idle_countdown_s       INTEGER NOT NULL,
    change_answer_window_s INTEGER NOT NULL,
    thank_you_s            INTEGER NOT NULL,
    revision               INTEGER NOT NULL,
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
) STRICT;

CREATE TABLE kiosks (
    id                 TEXT PRIMARY KEY,
    desk_id            TEXT NOT NULL REFERENCES desks(id),
    token_sha256       BLOB NOT NULL UNIQUE,
    enrolled_at_ms     INTEGER NOT NULL,
    revoked_at_ms      INTEGER,
    last_seen_ms       INTEGER,
    version            TEXT NOT NULL,
    backlog            INTEGER,
    oldest_unsynced_ms INTEGER,
    last_error         TEXT,
    last_clock         TEXT
) STRICT;

CREATE TABLE enrollment_codes (
    code_sha256   BLOB PRIMARY KEY,
    desk_id       TEXT NOT NULL REFERENCES desks(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER,
    used_by       TEXT
) STRICT;

CREATE TABLE answers (
    id                      TEXT PRIMARY KEY,
    kiosk_id                TEXT NOT NULL REFERENCES kiosks(id),
    desk_id                 TEXT NOT NULL,
    visit_id                TEXT NOT NULL,
    sequence                INTEGER NOT NULL,
    question                TEXT NOT NULL,
    score                   INTEGER NOT NULL,
    reasons                 TEXT NOT NULL,
    language                TEXT NOT NULL,
    larger_text             INTEGER NOT NULL,
    input                   TEXT NOT NULL,
    supersedes              TEXT,
    wall_clock_ms           INTEGER NOT NULL,
    boot_id                 TEXT NOT NULL,
    boottime_ns             INTEGER NOT NULL,
    clock_synchronized      INTEGER NOT NULL,
    content                 TEXT NOT NULL,
    content_sha256          BLOB NOT NULL,
    received_at_ms          INTEGER NOT NULL,
    sent_wall_clock_ms      INTEGER NOT NULL,
    sent_boot_id            TEXT NOT NULL,
    sent_boottime_ns        INTEGER NOT NULL,
    sent_clock_synchronized INTEGER NOT NULL,
    superseded_by           TEXT,
    counted                 INTEGER NOT NULL,
    -- Event time as placed by the server (see event_time.rs): UTC, the proven bounds, whether it
    -- is approximate, and the Europe/Warsaw day and hour reports use.
    event_utc_ms            INTEGER NOT NULL,
    event_earliest_ms       INTEGER NOT NULL,
    event_latest_ms         INTEGER NOT NULL,
    event_approximate       INTEGER NOT NULL,
    local_day               TEXT NOT NULL,
    local_hour              INTEGER NOT NULL
) STRICT;
CREATE INDEX answers_supersedes ON answers(supersedes, sequence) WHERE supersedes IS NOT NULL;
CREATE INDEX answers_approximate ON answers(kiosk_id, boot_id) WHERE event_approximate = 1;
CREATE INDEX answers_kiosk_sequence ON answers(kiosk_id, sequence);

-- Ties one boot of one kiosk to UTC: utc = boottime + offset_ms. The best anchor is kept.
CREATE TABLE boot_anchors (
    kiosk_id      TEXT NOT NULL REFERENCES kiosks(id),
    boot_id       TEXT NOT NULL,
    offset_ms     INTEGER NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('synchronised_clock', 'server_receipt')),
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, boot_id)
) STRICT;

CREATE TABLE conflicts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id      TEXT NOT NULL,
    kiosk_id       TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    first_content  TEXT NOT NULL,
    second_content TEXT NOT NULL
) STRICT;

-- Counted answers per Europe/Warsaw day of their placed event time.
CREATE TABLE rollups (
    desk_id     TEXT NOT NULL,
    question    TEXT NOT NULL,
    day         TEXT NOT NULL,
    language    TEXT NOT NULL,
    larger_text INTEGER NOT NULL,
    score_1     INTEGER NOT NULL DEFAULT 0,
    score_2     INTEGER NOT NULL DEFAULT 0,
    score_3     INTEGER NOT NULL DEFAULT 0,
    score_4     INTEGER NOT NULL DEFAULT 0,
    reasons     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, question, day, language, larger_text)
) STRICT;
"#,
    r#"
-- Alerts (crate::alerts): rules, each raise with its clearing, and one delivery per channel.
CREATE TABLE alert_rules (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('desk_csat', 'kiosk_silent')),
    office_id          TEXT REFERENCES offices(id),
    csat_below_percent INTEGER,
    last_responses     INTEGER,
    last_days          INTEGER,
    silent_hours       INTEGER,
    enabled            INTEGER NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    CHECK ((kind = 'desk_csat' AND csat_below_percent IS NOT NULL
               AND (last_responses IS NULL) <> (last_days IS NULL) AND silent_hours IS NULL)
        OR (kind = 'kiosk_silent' AND silent_hours IS NOT NULL AND csat_below_percent IS NULL
               AND last_responses IS NULL AND last_days IS NULL))
) STRICT;

CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    rule_id       INTEGER NOT NULL REFERENCES alert_rules(id),
    subject       TEXT NOT NULL,
    office_id     TEXT NOT NULL,
    raised_at_ms  INTEGER NOT NULL,
    cleared_at_ms INTEGER,
    value         REAL NOT NULL,
    responses     INTEGER
) STRICT;
-- One open alert per rule and subject.
CREATE UNIQUE INDEX alerts_open ON alerts(rule_id, subject) WHERE cleared_at_ms IS NULL;
CREATE INDEX alerts_office ON alerts(office_id, raised_at_ms);

CREATE TABLE alert_deliveries (
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    event           TEXT NOT NULL CHECK (event IN ('raised', 'cleared')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER,
    delivered_at_ms INTEGER,
    last_error      TEXT,
    PRIMARY KEY (alert_id, event, channel)
) STRICT;
CREATE INDEX alert_deliveries_due ON alert_deliveries(next_attempt_ms) WHERE delivered_at_ms IS NULL;

"#,
    r#"
-- Dashboard users: an Argon2id hash (PHC string) per password; an office viewer reads one office.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'office_viewer')),
    office_id     TEXT REFERENCES offices(id),
    created_at_ms INTEGER NOT NULL,
    disabled_at_ms INTEGER,
    CHECK ((role = 'office_viewer') = (office_id IS NOT NULL))
) STRICT;

-- Signed-in sessions: the id is the SHA-256 of the cookie's 256-bit token, never the token.
CREATE TABLE sessions (
    id_sha256     BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    lang          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at_ms);
"#,
    r#"
-- v4, the dashboard's data: overall ratings flagged as part of a burst (see
-- storage/sqlite/bursts.rs), the burst flag as a rollup dimension, and the rollups the
-- dashboard's views read instead of the answers table (hours for the weekday × hour heatmap,
-- reasons for the most chosen reasons). Week and month trends group the daily rollups.
ALTER TABLE answers ADD COLUMN burst INTEGER NOT NULL DEFAULT 0;
CREATE INDEX answers_kiosk_question_time ON answers(kiosk_id, question, event_utc_ms);
-- Exports read one desk's days in order.
CREATE INDEX answers_desk_day ON answers(desk_id, local_day, event_utc_ms);

CREATE TABLE rollups_with_bursts (
    desk_id     TEXT NOT NULL,
    question    TEXT NOT NULL,
    day         TEXT NOT NULL,
    language    TEXT NOT NULL,
    larger_text INTEGER NOT NULL,
    burst       INTEGER NOT NULL,
    score_1     INTEGER NOT NULL DEFAULT 0,
    score_2     INTEGER NOT NULL DEFAULT 0,
    score_3     INTEGER NOT NULL DEFAULT 0,
    score_4     INTEGER NOT NULL DEFAULT 0,
    reasons     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, question, day, language, larger_text, burst)
) STRICT, WITHOUT ROWID;
INSERT INTO rollups_with_bursts (desk_id, question, day, language, larger_text, burst, score_1,
        score_2, score_3, score_4, reasons)
    SELECT desk_id, question, day, language, larger_text, 0, score_1, score_2, score_3, score_4,
        reasons FROM rollups;
DROP TABLE rollups;
ALTER TABLE rollups_with_bursts RENAME TO rollups;

-- Counted answers per Europe/Warsaw day and hour (the heatmap's weekday comes from the day).
CREATE TABLE rollup_hours (
    desk_id  TEXT NOT NULL,
    question TEXT NOT NULL,
    day      TEXT NOT NULL,
    hour     INTEGER NOT NULL,
    language TEXT NOT NULL,
    burst    INTEGER NOT NULL,
    score_1  INTEGER NOT NULL DEFAULT 0,
    score_2  INTEGER NOT NULL DEFAULT 0,
    score_3  INTEGER NOT NULL DEFAULT 0,
    score_4  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, question, day, hour, language, burst)
) STRICT, WITHOUT ROWID;
INSERT INTO rollup_hours (desk_id, question, day, hour, language, burst, score_1, score_2,
        score_3, score_4)
    SELECT desk_id, question, local_day, local_hour, language, 0, sum(score = 1),
        sum(score = 2), sum(score = 3), sum(score = 4)
    FROM answers WHERE counted = 1
    GROUP BY desk_id, question, local_day, local_hour, language;

-- How often each reason was chosen by counted answers.
CREATE TABLE rollup_reasons (
    desk_id  TEXT NOT NULL,
    question TEXT NOT NULL,
    day      TEXT NOT NULL,
    language TEXT NOT NULL,
    burst    INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    chosen   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, question, day, language, burst, reason)
) STRICT, WITHOUT ROWID;
INSERT INTO rollup_reasons (desk_id, question, day, language, burst, reason, chosen)
    WITH RECURSIVE split(desk_id, question, day, language, reason, rest) AS (
        SELECT desk_id, question, local_day, language, '', reasons || ','
        FROM answers WHERE counted = 1 AND reasons <> ''
        UNION ALL
        SELECT desk_id, question, day, language, substr(rest, 1, instr(rest, ',') - 1),
            substr(rest, instr(rest, ',') + 1)
        FROM split WHERE rest <> ''
    )
    SELECT desk_id, question, day, language, 0, reason, count(*)
    FROM split WHERE reason <> ''
    GROUP BY desk_id, question, day, language, reason;
"#,
    r#"
-- v5: the dashboard reads one question's period across every desk in scope. These covering
-- indexes hold that period in one contiguous range with every column the queries sum, so a
-- month of 100 desks is read without a lookup per row (one desk's drill-down uses the key).
CREATE INDEX rollups_by_question_day ON rollups(question, day, burst, desk_id, language,
    larger_text, score_1, score_2, score_3, score_4, reasons);
CREATE INDEX rollup_hours_by_question_day ON rollup_hours(question, day, burst, desk_id, hour,
    language, score_1, score_2, score_3, score_4);
CREATE INDEX rollup_reasons_by_day ON rollup_reasons(day, question, burst, desk_id, language,
    reason, chosen);
"#,
    r#"
-- Retention (storage/sqlite/retention.rs): answers older than `[privacy] answer_retention_months`
-- are deleted; the rollups they were counted in stay. What stays of each deleted answer is what
-- exactly-once needs and nothing a person could be found by: its id (unique forever, so a kiosk
-- re-sending it after the purge gets "duplicate" and nothing is counted twice), its kiosk, the
-- hash of its content (duplicate or conflict) and the id it corrected (so a late original or
-- correction is not counted beside a purged one).
CREATE TABLE purged_answers (
    id             TEXT PRIMARY KEY,
    kiosk_id       TEXT NOT NULL,
    content_sha256 BLOB NOT NULL,
    supersedes     TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX purged_answers_supersedes ON purged_answers(supersedes) WHERE supersedes IS NOT NULL;
"#,
    r#"
-- v7: every standard a desk's survey has offered, now or before. A kiosk may sync answers given
-- under an earlier survey days later, so ingest admits a standard once offered and rejects one
-- never offered (crate::admission). Filled from today's surveys and the answers already stored.
CREATE TABLE desk_standards_offered (
    desk_id  TEXT NOT NULL REFERENCES desks(id),
    standard TEXT NOT NULL,
    PRIMARY KEY (desk_id, standard)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO desk_standards_offered (desk_id, standard)
    WITH RECURSIVE split(desk_id, standard, rest) AS (
        SELECT id, '', standards || ',' FROM desks
        UNION ALL
        SELECT desk_id, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1)
        FROM split WHERE rest <> ''
    )
    SELECT desk_id, standard FROM split WHERE standard <> '';
INSERT OR IGNORE INTO desk_standards_offered (desk_id, standard)
    SELECT DISTINCT a.desk_id, a.question FROM answers a JOIN desks d ON d.id = a.desk_id
    WHERE a.question <> 'overall';
"#,
    r#"
-- v8: heads of departments (§5.1 of the ordinance). A `department_viewer` is bound to one office
-- and one department; every user may have an e-mail address and a language for what is mailed
-- to them (Polish unless chosen). SQLite cannot change a CHECK in place, so `users` is rebuilt
-- (ids kept), and `sessions`, whose rows point at users, with it.
CREATE TABLE users_v8 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL
        CHECK (role IN ('admin', 'analyst', 'office_viewer', 'department_viewer')),
    office_id      TEXT REFERENCES offices(id),
    department_id  TEXT,
    email          TEXT,
    lang           TEXT NOT NULL DEFAULT 'pl' CHECK (lang IN ('pl', 'en')),
    created_at_ms  INTEGER NOT NULL,
    disabled_at_ms INTEGER,
    CHECK ((role IN ('office_viewer', 'department_viewer')) = (office_id IS NOT NULL)),
    CHECK ((role = 'department_viewer') = (department_id IS NOT NULL)),
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
) STRICT;
INSERT INTO users_v8 (id, username, password_hash, role, office_id, created_at_ms,
        disabled_at_ms)
    SELECT id, username, password_hash, role, office_id, created_at_ms, disabled_at_ms FROM users;
CREATE TABLE sessions_v8 (
    id_sha256     BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users_v8(id),
    csrf_token    TEXT NOT NULL,
    lang          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO sessions_v8 SELECT id_sha256, user_id, csrf_token, lang, created_at_ms, last_seen_ms,
    expires_at_ms FROM sessions;
DROP TABLE sessions;
DROP TABLE users;
-- Renaming rewrites sessions_v8's reference to `users`.
ALTER TABLE users_v8 RENAME TO users;
ALTER TABLE sessions_v8 RENAME TO sessions;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at_ms);
CREATE INDEX users_department ON users(office_id, department_id) WHERE department_id IS NOT NULL;

-- The monthly department report mailed to each head (crate::department_reports): one row per
-- recipient and month, inserted once (the key) and claimed in a transaction before each attempt
-- (`claimed_until_ms`), so a restart or a second process never sends it twice; retried like
-- alerts' notifications. An admin's "send again" makes a delivered row due again.
CREATE TABLE department_report_deliveries (
    user_id          INTEGER NOT NULL REFERENCES users(id),
    month            TEXT NOT NULL,
    office_id        TEXT NOT NULL,
    department_id    TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER,
    claimed_until_ms INTEGER,
    delivered_at_ms  INTEGER,
    last_error       TEXT,
    resent_by        TEXT,
    PRIMARY KEY (user_id, month),
    FOREIGN KEY (office_id, department_id) REFERENCES departments(office_id, id)
) STRICT;
CREATE INDEX department_report_deliveries_due ON department_report_deliveries(next_attempt_ms)
    WHERE delivered_at_ms IS NULL;
"#,
    r#"
-- v9: how many times an admin has sent a report e-mail again, so each send-again is a new
-- message (its own Message-ID) rather than a copy that mail services drop as already received.
ALTER TABLE department_report_deliveries ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- v10: "does not apply" answers (a standard's question only, no reasons). An answer's `score` is
-- NULL when `not_applicable` is 1. SQLite cannot relax NOT NULL in place, so `answers` is
-- rebuilt once (every row copied, every index made again); the rollups count such answers in a
-- column of their own, beside the four scores, and never in them.
CREATE TABLE answers_v10 (
    id                      TEXT PRIMARY KEY,
    kiosk_id                TEXT NOT NULL REFERENCES kiosks(id),
    desk_id                 TEXT NOT NULL,
    visit_id                TEXT NOT NULL,
    sequence                INTEGER NOT NULL,
    question                TEXT NOT NULL,
    score                   INTEGER,
    not_applicable          INTEGER NOT NULL DEFAULT 0,
    reasons                 TEXT NOT NULL,
    language                TEXT NOT NULL,
    larger_text             INTEGER NOT NULL,
    input                   TEXT NOT NULL,
    supersedes              TEXT,
    wall_clock_ms           INTEGER NOT NULL,
    boot_id                 TEXT NOT NULL,
    boottime_ns             INTEGER NOT NULL,
    clock_synchronized      INTEGER NOT NULL,
    content                 TEXT NOT NULL,
    content_sha256          BLOB NOT NULL,
    received_at_ms          INTEGER NOT NULL,
    sent_wall_clock_ms      INTEGER NOT NULL,
    sent_boot_id            TEXT NOT NULL,
    sent_boottime_ns        INTEGER NOT NULL,
    sent_clock_synchronized INTEGER NOT NULL,
    superseded_by           TEXT,
    counted                 INTEGER NOT NULL,
    event_utc_ms            INTEGER NOT NULL,
    event_earliest_ms       INTEGER NOT NULL,
    event_latest_ms         INTEGER NOT NULL,
    event_approximate       INTEGER NOT NULL,
    local_day               TEXT NOT NULL,
    local_hour              INTEGER NOT NULL,
    burst                   INTEGER NOT NULL DEFAULT 0,
    CHECK ((score IS NULL) = (not_applicable = 1))
) STRICT;
INSERT INTO answers_v10 (id, kiosk_id, desk_id, visit_id, sequence, question, score,
        not_applicable, reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id,
        boottime_ns, clock_synchronized, content, content_sha256, received_at_ms,
        sent_wall_clock_ms, sent_boot_id, sent_boottime_ns, sent_clock_synchronized,
        superseded_by, counted, event_utc_ms, event_earliest_ms, event_latest_ms,
        event_approximate, local_day, local_hour, burst)
    SELECT id, kiosk_id, desk_id, visit_id, sequence, question, score, 0, reasons, language,
        larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns, clock_synchronized,
        content, content_sha256, received_at_ms, sent_wall_clock_ms, sent_boot_id,
        sent_boottime_ns, sent_clock_synchronized, superseded_by, counted, event_utc_ms,
        event_earliest_ms, event_latest_ms, event_approximate, local_day, local_hour, burst
    FROM answers;
DROP TABLE answers;
ALTER TABLE answers_v10 RENAME TO answers;
CREATE INDEX answers_supersedes ON answers(supersedes, sequence) WHERE supersedes IS NOT NULL;
CREATE INDEX answers_approximate ON answers(kiosk_id, boot_id) WHERE event_approximate = 1;
CREATE INDEX answers_kiosk_sequence ON answers(kiosk_id, sequence);
CREATE INDEX answers_kiosk_question_time ON answers(kiosk_id, question, event_utc_ms);
CREATE INDEX answers_desk_day ON answers(desk_id, local_day, event_utc_ms);

ALTER TABLE rollups ADD COLUMN not_applicable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_hours ADD COLUMN not_applicable INTEGER NOT NULL DEFAULT 0;
-- The covering indexes of v5, with the new count.
DROP INDEX rollups_by_question_day;
CREATE INDEX rollups_by_question_day ON rollups(question, day, burst, desk_id, language,
    larger_text, score_1, score_2, score_3, score_4, not_applicable, reasons);
DROP INDEX rollup_hours_by_question_day;
CREATE INDEX rollup_hours_by_question_day ON rollup_hours(question, day, burst, desk_id, hour,
    language, score_1, score_2, score_3, score_4, not_applicable);
"#,
    r#"
-- v11: less per answer, and long periods read by month. An answer's JSON is no longer kept: every
-- field of the record has its column, so the conflict log rebuilds it from them (its hash stays,
-- for duplicates). Bursts are looked for among overall ratings only, so their index holds those
-- only. Beside each daily rollup family a monthly one, kept at ingest by the same tally: a period
-- reads its whole calendar months from these and only the days at its ends from the daily ones
-- (storage/sqlite/analytics.rs). Their keys are in the order the dashboard reads them (question,
-- month, …), so they need no second, covering index.
ALTER TABLE answers DROP COLUMN content;
DROP INDEX answers_kiosk_question_time;
CREATE INDEX answers_overall_time ON answers(kiosk_id, event_utc_ms) WHERE question = 'overall';

CREATE TABLE rollup_months (
    question       TEXT NOT NULL,
    month          TEXT NOT NULL, -- the month's first day, YYYY-MM-01
    burst          INTEGER NOT NULL,
    desk_id        TEXT NOT NULL,
    language       TEXT NOT NULL,
    larger_text    INTEGER NOT NULL,
    score_1        INTEGER NOT NULL DEFAULT 0,
    score_2        INTEGER NOT NULL DEFAULT 0,
    score_3        INTEGER NOT NULL DEFAULT 0,
    score_4        INTEGER NOT NULL DEFAULT 0,
    not_applicable INTEGER NOT NULL DEFAULT 0,
    reasons        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (question, month, burst, desk_id, language, larger_text)
) STRICT, WITHOUT ROWID;
INSERT INTO rollup_months (question, month, burst, desk_id, language, larger_text, score_1,
        score_2, score_3, score_4, not_applicable, reasons)
    SELECT question, substr(day, 1, 7) || '-01', burst, desk_id, language, larger_text,
        sum(score_1), sum(score_2), sum(score_3), sum(score_4), sum(not_applicable), sum(reasons)
    FROM rollups GROUP BY 1, 2, 3, 4, 5, 6;

-- Per month, weekday (0 Monday … 6 Sunday) and hour: what the heatmap sums.
CREATE TABLE rollup_month_hours (
    question       TEXT NOT NULL,
    month          TEXT NOT NULL,
    burst          INTEGER NOT NULL,
    desk_id        TEXT NOT NULL,
    weekday        INTEGER NOT NULL,
    hour           INTEGER NOT NULL,
    language       TEXT NOT NULL,
    score_1        INTEGER NOT NULL DEFAULT 0,
    score_2        INTEGER NOT NULL DEFAULT 0,
    score_3        INTEGER NOT NULL DEFAULT 0,
    score_4        INTEGER NOT NULL DEFAULT 0,
    not_applicable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (question, month, burst, desk_id, weekday, hour, language)
) STRICT, WITHOUT ROWID;
INSERT INTO rollup_month_hours (question, month, burst, desk_id, weekday, hour, language,
        score_1, score_2, score_3, score_4, not_applicable)
    SELECT question, substr(day, 1, 7) || '-01', burst, desk_id,
        (CAST(strftime('%w', day) AS INTEGER) + 6) % 7, hour, language, sum(score_1),
        sum(score_2), sum(score_3), sum(score_4), sum(not_applicable)
    FROM rollup_hours GROUP BY 1, 2, 3, 4, 5, 6, 7;

CREATE TABLE rollup_month_reasons (
    month    TEXT NOT NULL,
    question TEXT NOT NULL,
    burst    INTEGER NOT NULL,
    desk_id  TEXT NOT NULL,
    language TEXT NOT NULL,
    reason   TEXT NOT NULL,
    chosen   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, question, burst, desk_id, language, reason)
) STRICT, WITHOUT ROWID;
INSERT INTO rollup_month_reasons (month, question, burst, desk_id, language, reason, chosen)
    SELECT substr(day, 1, 7) || '-01', question, burst, desk_id, language, reason, sum(chosen)
    FROM rollup_reasons GROUP BY 1, 2, 3, 4, 5, 6;
"#,
    r#"
-- v12: a notification being sent is claimed until this time (alerts::delivery::CLAIM_LEASE_MS
-- after it was handed out), so a second process on the file (`alerts check` beside `serve`)
-- does not send it too; a sender that dies leaves a claim that lapses and the next round sends.
ALTER TABLE alert_deliveries ADD COLUMN claimed_until_ms INTEGER;
"#,
];

/// The schema version this binary migrates to: one per migration it knows.
pub fn known_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings `conn`'s schema up to date in one IMMEDIATE transaction. A database a newer
/// sync-server has migrated is refused, naming both versions, before anything is changed.
pub fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version = refuse_newer(&tx)?;
    let done = usize::try_from(version).unwrap_or(0);
    for (i, sql) in (1i64..).zip(MIGRATIONS).skip(done) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i)?;
    }
    Ok(tx.commit()?)
}

/// `conn`'s schema version, or [`StorageError::NewerSchema`] if a newer sync-server migrated it
/// past [`known_version`]: this binary would misread its tables. Cheap (the file header), so
/// the writer asks at the start of every write transaction, and a newer server migrating the
/// database under a running one fails that write by name rather than with SQLite's words.
pub fn refuse_newer(conn: &Connection) -> Result<i64, StorageError> {
    let found: i64 = conn
        .prepare_cached("PRAGMA user_version")?
        .query_row([], |r| r.get(0))?;
    let known = known_version();
    if found > known {
        return Err(StorageError::NewerSchema {
            path: conn.path().unwrap_or_default().to_owned(),
            found,
            known,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v8_keeps_users_and_their_sessions_and_adds_heads_of_departments() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
        for (i, sql) in (1i64..).zip(&MIGRATIONS[..7]) {
            conn.execute_batch(sql).expect("migration");
            conn.pragma_update(None, "user_version", i)
                .expect("version");
        }
        conn.execute_batch(
            "INSERT INTO offices VALUES ('plock', 'Urząd Miasta Płocka');
             INSERT INTO departments VALUES ('plock', 'wso', 'Wydział Spraw Obywatelskich');
             INSERT INTO users (id, username, password_hash, role, office_id, created_at_ms)
                 VALUES (7, 'olga', 'h', 'office_viewer', 'plock', 1);
             INSERT INTO sessions VALUES (x'01', 7, 'csrf', 'en', 1, 2, 3);",
        )
        .expect("v7 rows");
        migrate(&mut conn).expect("to v8");
        let kept: (String, String, String, i64) = conn
            .query_row(
                "SELECT u.username, u.role, u.lang, s.user_id FROM sessions s
                 JOIN users u ON u.id = s.user_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the session and its user");
        assert_eq!(
            kept,
            ("olga".into(), "office_viewer".into(), "pl".into(), 7)
        );
        let add = |department: &str| {
            conn.execute(
                "INSERT INTO users (username, password_hash, role, office_id, department_id,
                                    created_at_ms)
                 VALUES ('ewa', 'h', 'department_viewer', 'plock', ?1, 1)",
                [department],
            )
        };
        assert!(add("xyz").is_err(), "an unknown department");
        add("wso").expect("a head of wso");
        let ewa: i64 = conn
            .query_row("SELECT id FROM users WHERE username = 'ewa'", [], |r| {
                r.get(0)
            })
            .expect("ewa");
        assert_eq!(
            ewa, 8,
            "ids go on after the rebuilt table's (AUTOINCREMENT kept)"
        );
        let bad_session = conn.execute(
            "INSERT INTO sessions VALUES (x'02', 99, 'csrf', 'pl', 1, 2, 3)",
            [],
        );
        assert!(bad_session.is_err(), "sessions still point at users");
    }

    #[test]
    fn migrating_twice_is_harmless() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(usize::try_from(v).ok(), Some(MIGRATIONS.len()));
    }

    #[test]
    fn answers_stored_before_not_applicable_survive_its_migration() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fks");
        let tx = conn.transaction().expect("tx");
        // Every migration before v10, the one that rebuilds `answers`.
        for (i, sql) in (1i64..).zip(&MIGRATIONS[..9]) {
            tx.execute_batch(sql).expect("older migration");
            tx.pragma_update(None, "user_version", i).expect("version");
        }
        tx.execute_batch(
            "INSERT INTO offices VALUES ('o', 'Office');
             INSERT INTO departments VALUES ('o', 'd', 'Department');
             INSERT INTO desks VALUES ('desk', 'o', 'd', 'Desk', 0, 'IV', 'pl', 'pl', 60, 20, 5,
                 8, 1);
             INSERT INTO kiosks (id, desk_id, token_sha256, enrolled_at_ms, version)
                 VALUES ('k', 'desk', x'00', 0, '1');
             INSERT INTO answers (id, kiosk_id, desk_id, visit_id, sequence, question, score,
                 reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id,
                 boottime_ns, clock_synchronized, content, content_sha256, received_at_ms,
                 sent_wall_clock_ms, sent_boot_id, sent_boottime_ns, sent_clock_synchronized,
                 superseded_by, counted, event_utc_ms, event_earliest_ms, event_latest_ms,
                 event_approximate, local_day, local_hour, burst)
             VALUES ('a', 'k', 'desk', 'v', 1, 'IV', 2, 'iv-jargon', 'pl', 0, 'touch', NULL, 1,
                 'b', 1, 1, '{}', x'01', 2, 2, 'b', 2, 1, NULL, 1, 1, 1, 1, 0, '2026-11-02', 9,
                 0);
             INSERT INTO rollups (desk_id, question, day, language, larger_text, burst, score_2,
                 reasons) VALUES ('desk', 'IV', '2026-11-02', 'pl', 0, 0, 1, 1);
             INSERT INTO purged_answers VALUES ('p', 'k', x'02', NULL);
             INSERT INTO desk_standards_offered VALUES ('desk', 'IV');",
        )
        .expect("old rows");
        tx.commit().expect("commit");

        migrate(&mut conn).expect("migrated");
        let (score, not_applicable, reasons, burst): (Option<i64>, i64, String, i64) = conn
            .query_row(
                "SELECT score, not_applicable, reasons, burst FROM answers WHERE id = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the old answer");
        assert_eq!(
            (score, not_applicable, reasons.as_str(), burst),
            (Some(2), 0, "iv-jargon", 0)
        );
        let rollup: (i64, i64) = conn
            .query_row(
                "SELECT score_2, not_applicable FROM rollups INDEXED BY rollups_by_question_day
                 WHERE question = 'IV'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the old rollup");
        assert_eq!(rollup, (1, 0));
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'answers'
                 AND name NOT LIKE 'sqlite_autoindex%'",
                [],
                |r| r.get(0),
            )
            .expect("indexes");
        assert_eq!(indexes, 5, "every index of answers is made again");
        let kept: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM purged_answers),
                        (SELECT count(*) FROM desk_standards_offered)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("v6 and v7 tables");
        assert_eq!(kept, (1, 1), "the tombstones and offered standards stay");
        assert!(
            conn.execute("UPDATE answers SET score = NULL WHERE id = 'a'", [],)
                .is_err(),
            "a score or not applicable, never neither"
        );
    }

    #[test]
    fn monthly_rollups_are_filled_from_the_daily_ones_and_answers_lose_only_their_json() {
        let mut conn = Connection::open_in_memory().expect("open");
        // Every migration before v11's monthly rollups.
        let before = 10;
        let tx = conn.transaction().expect("tx");
        for (i, sql) in (1i64..).zip(&MIGRATIONS[..before]) {
            tx.execute_batch(sql).expect("older migration");
            tx.pragma_update(None, "user_version", i).expect("version");
        }
        tx.execute_batch(
            "INSERT INTO offices VALUES ('o', 'Office');
             INSERT INTO departments VALUES ('o', 'd', 'Department');
             INSERT INTO desks VALUES ('desk', 'o', 'd', 'Desk', 0, 'IV', 'pl', 'pl', 60, 20, 5,
                 8, 1);
             INSERT INTO kiosks (id, desk_id, token_sha256, enrolled_at_ms, version)
                 VALUES ('k', 'desk', x'00', 0, '1');
             INSERT INTO answers (id, kiosk_id, desk_id, visit_id, sequence, question, score,
                 reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id,
                 boottime_ns, clock_synchronized, content, content_sha256, received_at_ms,
                 sent_wall_clock_ms, sent_boot_id, sent_boottime_ns, sent_clock_synchronized,
                 superseded_by, counted, event_utc_ms, event_earliest_ms, event_latest_ms,
                 event_approximate, local_day, local_hour, burst)
             VALUES ('a', 'k', 'desk', 'v', 1, 'IV', 2, 'iv-jargon', 'pl', 0, 'touch', NULL, 1,
                 'b', 1, 1, '{}', x'01', 2, 2, 'b', 2, 1, NULL, 1, 1, 1, 1, 0, '2026-11-02', 9,
                 0);
             INSERT INTO rollups (desk_id, question, day, language, larger_text, burst, score_2,
                 reasons) VALUES ('desk', 'IV', '2026-11-02', 'pl', 0, 0, 1, 1),
                 ('desk', 'IV', '2026-11-09', 'pl', 0, 0, 2, 0),
                 ('desk', 'IV', '2026-12-01', 'pl', 0, 0, 4, 0);
             INSERT INTO rollup_hours (desk_id, question, day, hour, language, burst, score_2)
                 VALUES ('desk', 'IV', '2026-11-02', 9, 'pl', 0, 1),
                 ('desk', 'IV', '2026-11-09', 9, 'pl', 0, 2),
                 ('desk', 'IV', '2026-11-10', 9, 'pl', 0, 8);
             INSERT INTO rollup_reasons (desk_id, question, day, language, burst, reason, chosen)
                 VALUES ('desk', 'IV', '2026-11-02', 'pl', 0, 'iv-jargon', 1),
                 ('desk', 'IV', '2026-11-30', 'pl', 0, 'iv-jargon', 3);",
        )
        .expect("old rows");
        tx.commit().expect("commit");

        migrate(&mut conn).expect("migrated");
        let rows = |sql: &str| -> Vec<String> {
            conn.prepare(sql)
                .expect("prepare")
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows")
        };
        assert_eq!(
            rows("SELECT month || ' ' || score_2 || ' ' || reasons FROM rollup_months"),
            ["2026-11-01 3 1", "2026-12-01 4 0"]
        );
        // 2 and 9 November 2026 are Mondays (0), the 10th a Tuesday.
        assert_eq!(
            rows(
                "SELECT month || ' ' || weekday || ' ' || hour || ' ' || score_2
                 FROM rollup_month_hours"
            ),
            ["2026-11-01 0 9 3", "2026-11-01 1 9 8"]
        );
        assert_eq!(
            rows("SELECT month || ' ' || reason || ' ' || chosen FROM rollup_month_reasons"),
            ["2026-11-01 iv-jargon 4"]
        );
        assert_eq!(
            rows("SELECT id || ' ' || reasons || ' ' || hex(content_sha256) FROM answers"),
            ["a iv-jargon 01"]
        );
        assert!(
            conn.prepare("SELECT content FROM answers").is_err(),
            "the JSON is gone"
        );
    }

    #[test]
    fn a_database_from_a_newer_server_is_refused_by_name() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("current");
        let newer = i64::try_from(MIGRATIONS.len()).expect("few") + 1;
        conn.pragma_update(None, "user_version", newer)
            .expect("version");
        let err = migrate(&mut conn).expect_err("a schema this binary does not know");
        let known = newer - 1;
        assert!(
            err.to_string().contains(&format!("at schema v{newer}"))
                && err.to_string().contains(&format!("knows up to v{known}")),
            "the error names both versions: {err}"
        );
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, newer, "left as it was");
    }
}
