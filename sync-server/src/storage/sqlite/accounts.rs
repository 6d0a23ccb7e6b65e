//! Dashboard users and sessions in SQLite: the queries behind the `Backend`'s account methods.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::exists;
use crate::access::Role;
use crate::lang::Lang;
use crate::storage::{ActiveSession, NewSession, NewUser, StorageError, User, UserCredentials};

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.office_id, u.created_at_ms, \
     u.disabled_at_ms, u.department_id, u.email, u.lang";

/// How many columns [`USER_COLUMNS`] has.
const USER_COLUMN_COUNT: usize = 9;

fn user(r: &Row<'_>) -> rusqlite::Result<Result<User, StorageError>> {
    let role: String = r.get(2)?;
    let Some(role) = Role::parse(&role) else {
        return Ok(Err(StorageError::Corrupt(format!("unknown role {role:?}"))));
    };
    Ok(Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        role,
        office_id: r.get(3)?,
        created_at_ms: r.get(4)?,
        disabled_at_ms: r.get(5)?,
        department_id: r.get(6)?,
        email: r.get(7)?,
        lang: Lang::parse(&r.get::<_, String>(8)?).unwrap_or_default(),
    }))
}

pub(super) fn add_user(
    tx: &Transaction<'_>,
    user: &NewUser,
    now_ms: i64,
) -> Result<i64, StorageError> {
    if exists(
        tx,
        "SELECT 1 FROM users WHERE username = ?1",
        [&user.username],
    )? {
        return Err(StorageError::Invalid(format!(
            "the username {:?} is taken",
            user.username
        )));
    }
    user.check_shape()?;
    if let Some(office) = &user.office_id {
        super::known_office(tx, office)?;
    }
    if let (Some(office), Some(department)) = (&user.office_id, &user.department_id)
        && !exists(
            tx,
            "SELECT 1 FROM departments WHERE office_id = ?1 AND id = ?2",
            [office, department],
        )?
    {
        return Err(StorageError::Invalid(format!(
            "unknown department {department:?} in office {office:?} (`sync-server desk list` shows each office's departments)"
        )));
    }
    tx.execute(
        "INSERT INTO users (username, password_hash, role, office_id, department_id, email, lang,
                            created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            user.username,
            user.password_hash,
            user.role.as_str(),
            user.office_id,
            user.department_id,
            user.email,
            user.lang.code(),
            now_ms
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn users(conn: &Connection) -> Result<Vec<User>, StorageError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
    ))?;
    let rows = stmt
        .query_map([], user)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().collect()
}

pub(super) fn user_credentials(
    conn: &Connection,
    username: &str,
) -> Result<Option<UserCredentials>, StorageError> {
    let found = conn
        .query_row(
            &format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ?1"),
            [username],
            |r| Ok((user(r)?, r.get::<_, String>(USER_COLUMN_COUNT)?)),
        )
        .optional()?;
    found
        .map(|(user, password_hash)| {
            Ok(UserCredentials {
                user: user?,
                password_hash,
            })
        })
        .transpose()
}

fn user_id(tx: &Transaction<'_>, username: &str) -> rusqlite::Result<Option<i64>> {
    tx.query_row(
        "SELECT id FROM users WHERE username = ?1",
        [username],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn disable_user(
    tx: &Transaction<'_>,
    username: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let Some(id) = user_id(tx, username)? else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE users SET disabled_at_ms = ?2 WHERE id = ?1 AND disabled_at_ms IS NULL",
        params![id, now_ms],
    )?;
    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    Ok(true)
}

pub(super) fn set_password(
    tx: &Transaction<'_>,
    username: &str,
    password_hash: &str,
) -> Result<bool, StorageError> {
    let Some(id) = user_id(tx, username)? else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![id, password_hash],
    )?;
    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    Ok(true)
}

pub(super) fn create_session(
    tx: &Transaction<'_>,
    session: &NewSession,
) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM sessions WHERE expires_at_ms <= ?1",
        [session.now_ms],
    )?;
    if let Some(old) = session.replaces {
        tx.execute("DELETE FROM sessions WHERE id_sha256 = ?1", [&old[..]])?;
    }
    tx.execute(
        "INSERT INTO sessions (id_sha256, user_id, csrf_token, lang, created_at_ms, last_seen_ms,
                               expires_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![
            &session.id_sha256[..],
            session.user_id,
            session.csrf_token,
            session.lang.code(),
            session.now_ms,
            session.expires_at_ms
        ],
    )?;
    Ok(())
}

/// The live session and when it was last marked used.
pub(super) fn session(
    conn: &Connection,
    id_sha256: [u8; 32],
    now_ms: i64,
    idle_ms: i64,
) -> Result<Option<(ActiveSession, i64)>, StorageError> {
    let found = conn
        .query_row(
            &format!(
                "SELECT {USER_COLUMNS}, s.csrf_token, s.lang, s.last_seen_ms
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_sha256 = ?1 AND s.expires_at_ms > ?2 AND s.last_seen_ms + ?3 > ?2
                   AND u.disabled_at_ms IS NULL"
            ),
            params![&id_sha256[..], now_ms, idle_ms],
            |r| {
                Ok((
                    user(r)?,
                    r.get::<_, String>(USER_COLUMN_COUNT)?,
                    r.get::<_, String>(USER_COLUMN_COUNT + 1)?,
                    r.get::<_, i64>(USER_COLUMN_COUNT + 2)?,
                ))
            },
        )
        .optional()?;
    found
        .map(|(user, csrf_token, lang, last_seen_ms)| {
            Ok((
                ActiveSession {
                    user: user?,
                    csrf_token,
                    lang: Lang::parse(&lang).unwrap_or_default(),
                },
                last_seen_ms,
            ))
        })
        .transpose()
}

pub(super) fn touch_session(
    tx: &Transaction<'_>,
    id_sha256: [u8; 32],
    now_ms: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?2) WHERE id_sha256 = ?1",
        params![&id_sha256[..], now_ms],
    )?;
    Ok(())
}

pub(super) fn set_session_lang(
    tx: &Transaction<'_>,
    id_sha256: [u8; 32],
    lang: Lang,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE sessions SET lang = ?2 WHERE id_sha256 = ?1",
        params![&id_sha256[..], lang.code()],
    )?;
    Ok(())
}

pub(super) fn delete_session(
    tx: &Transaction<'_>,
    id_sha256: [u8; 32],
) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM sessions WHERE id_sha256 = ?1",
        [&id_sha256[..]],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::access::Role;
    use crate::lang::Lang;
    use crate::storage::sqlite::SqliteBackend;
    use crate::storage::{Backend, NewSession, NewUser, StorageError};

    const IDLE_MS: i64 = 1_000;

    fn open() -> (tempfile::TempDir, SqliteBackend) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = SqliteBackend::open(
            &dir.path().join("s.db"),
            &crate::storage::Connections::default(),
        )
        .expect("open");
        for office in crate::offices::partner_offices() {
            db.add_office(&office).expect("office");
        }
        (dir, db)
    }

    fn user(db: &SqliteBackend, name: &str, role: Role, office: Option<&str>) -> i64 {
        db.add_user(
            &NewUser {
                username: name.into(),
                password_hash: "$argon2id$stand-in".into(),
                role,
                office_id: office.map(str::to_owned),
                department_id: None,
                email: None,
                lang: Lang::Pl,
            },
            0,
        )
        .expect("user")
    }

    fn session(db: &SqliteBackend, id: u8, user_id: i64, now_ms: i64, replaces: Option<u8>) {
        db.create_session(&NewSession {
            id_sha256: [id; 32],
            user_id,
            csrf_token: format!("csrf-{id}"),
            lang: Lang::En,
            now_ms,
            expires_at_ms: now_ms + 10_000,
            replaces: replaces.map(|r| [r; 32]),
        })
        .expect("session");
    }

    #[test]
    fn users_keep_their_office_only_as_office_viewers() {
        let (_dir, db) = open();
        user(&db, "anna", Role::Admin, None);
        let problems = [
            ("anna", Role::Analyst, None, "taken"),
            ("bob", Role::OfficeViewer, None, "viewer needs an office"),
            (
                "bob",
                Role::Analyst,
                Some("gabin"),
                "viewer needs an office",
            ),
            (
                "bob",
                Role::OfficeViewer,
                Some("warszawa"),
                "unknown office",
            ),
        ];
        for (name, role, office, expected) in problems {
            let err = db
                .add_user(
                    &NewUser {
                        username: name.into(),
                        password_hash: "h".into(),
                        role,
                        office_id: office.map(str::to_owned),
                        department_id: None,
                        email: None,
                        lang: Lang::Pl,
                    },
                    0,
                )
                .expect_err(expected);
            assert!(
                matches!(&err, StorageError::Invalid(m) if m.contains(expected)),
                "{err}"
            );
        }
        user(&db, "bob", Role::OfficeViewer, Some("gabin"));
        let users = db.users().expect("users");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].office_id.as_deref(), Some("gabin"));
    }

    #[test]
    fn a_department_viewer_needs_a_department_of_its_office_and_a_real_address() {
        let (_dir, db) = open();
        db.add_department("plock", "wso", "Wydział Spraw Obywatelskich")
            .expect("department");
        let head = |name: &str, office: Option<&str>, department: Option<&str>, email: &str| {
            db.add_user(
                &NewUser {
                    username: name.into(),
                    password_hash: "h".into(),
                    role: Role::DepartmentViewer,
                    office_id: office.map(str::to_owned),
                    department_id: department.map(str::to_owned),
                    email: Some(email.into()),
                    lang: Lang::En,
                },
                0,
            )
        };
        for (office, department, email, expected) in [
            (Some("plock"), None, "a@plock.test", "needs a department"),
            (None, Some("wso"), "a@plock.test", "needs an office"),
            (
                Some("plock"),
                Some("xyz"),
                "a@plock.test",
                "unknown department \"xyz\" in office \"plock\"",
            ),
            (
                Some("gabin"),
                Some("wso"),
                "a@plock.test",
                "unknown department \"wso\" in office \"gabin\"",
            ),
            (
                Some("plock"),
                Some("wso"),
                "not an address",
                "not an e-mail",
            ),
        ] {
            let err = head("ewa", office, department, email).expect_err(expected);
            assert!(
                matches!(&err, StorageError::Invalid(m) if m.contains(expected)),
                "{err}"
            );
        }
        head("ewa", Some("plock"), Some("wso"), "ewa@plock.test").expect("a head of wso");
        let users = db.users().expect("users");
        assert_eq!(users.len(), 1, "nothing stored by the refused ones");
        assert_eq!(users[0].department_id.as_deref(), Some("wso"));
        assert_eq!(users[0].email.as_deref(), Some("ewa@plock.test"));
        assert_eq!(users[0].lang, Lang::En);
        let err = db
            .add_user(
                &NewUser {
                    username: "adam".into(),
                    password_hash: "h".into(),
                    role: Role::Analyst,
                    office_id: None,
                    department_id: Some("wso".into()),
                    email: None,
                    lang: Lang::Pl,
                },
                0,
            )
            .expect_err("an analyst with a department");
        assert!(
            err.to_string().contains("only a department viewer"),
            "{err}"
        );
    }

    #[test]
    fn sessions_end_when_idle_expired_replaced_or_their_user_is_disabled() {
        let (_dir, db) = open();
        let anna = user(&db, "anna", Role::Admin, None);
        session(&db, 1, anna, 0, None);
        let live = db
            .session([1; 32], 900, IDLE_MS)
            .expect("lookup")
            .expect("live");
        assert_eq!((live.csrf_token.as_str(), live.lang), ("csrf-1", Lang::En));
        // Used at 900 ms, so still live at 1 800 ms; idle after 2 000 ms.
        assert!(
            db.session([1; 32], 1_800, IDLE_MS)
                .expect("lookup")
                .is_some()
        );
        assert!(
            db.session([1; 32], 2_900, IDLE_MS)
                .expect("lookup")
                .is_none()
        );
        // Busy but past the absolute expiry.
        session(&db, 2, anna, 0, None);
        for now in (500..10_000).step_by(500) {
            assert!(
                db.session([2; 32], now, IDLE_MS).expect("lookup").is_some(),
                "{now}"
            );
        }
        assert!(
            db.session([2; 32], 10_000, IDLE_MS)
                .expect("lookup")
                .is_none()
        );
        // Signing in again replaces the session the browser carried.
        session(&db, 3, anna, 0, None);
        session(&db, 4, anna, 100, Some(3));
        assert!(db.session([3; 32], 200, IDLE_MS).expect("lookup").is_none());
        assert!(db.session([4; 32], 200, IDLE_MS).expect("lookup").is_some());
        // A new password or a disabled account ends every session.
        assert!(db.set_password("anna", "new").expect("password"));
        assert!(db.session([4; 32], 300, IDLE_MS).expect("lookup").is_none());
        session(&db, 5, anna, 400, None);
        assert!(db.disable_user("anna", 500).expect("disable"));
        assert!(db.session([5; 32], 600, IDLE_MS).expect("lookup").is_none());
        session(&db, 6, anna, 700, None);
        assert!(
            db.session([6; 32], 800, IDLE_MS).expect("lookup").is_none(),
            "a disabled user's new session is not live either"
        );
        assert!(!db.disable_user("nobody", 0).expect("disable"));
    }
}
