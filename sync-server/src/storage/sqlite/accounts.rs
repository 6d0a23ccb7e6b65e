//! Dashboard users and sessions in SQLite: the queries behind the `Backend`'s account methods.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::exists;
use crate::dashboard::{Lang, Role};
use crate::storage::{ActiveSession, NewSession, NewUser, StorageError, User, UserCredentials};

const USER_COLUMNS: &str =
    "u.id, u.username, u.role, u.office_id, u.created_at_ms, u.disabled_at_ms";

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
    if (user.role == Role::OfficeViewer) != user.office_id.is_some() {
        return Err(StorageError::Invalid(
            "an office viewer needs an office, and only an office viewer has one".into(),
        ));
    }
    if let Some(office) = &user.office_id
        && !exists(tx, "SELECT 1 FROM offices WHERE id = ?1", [office])?
    {
        return Err(StorageError::Invalid(format!("unknown office {office:?}")));
    }
    tx.execute(
        "INSERT INTO users (username, password_hash, role, office_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            user.username,
            user.password_hash,
            user.role.as_str(),
            user.office_id,
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
            |r| Ok((user(r)?, r.get::<_, String>(6)?)),
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
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
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
