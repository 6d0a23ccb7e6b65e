//! Dashboard users and sessions in PostgreSQL: the queries behind the `Backend`'s account
//! methods (the rules a new user keeps are `NewUser::check_shape`, above the engines).

use postgres::{GenericClient, Row, Transaction};

use super::{exists, known_office};
use crate::access::Role;
use crate::lang::Lang;
use crate::storage::{ActiveSession, NewSession, NewUser, StorageError, User, UserCredentials};

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.office_id, u.created_at_ms, \
     u.disabled_at_ms, u.department_id, u.email, u.lang";

/// How many columns [`USER_COLUMNS`] has.
const USER_COLUMN_COUNT: usize = 9;

fn user(r: &Row) -> Result<User, StorageError> {
    let role: String = r.try_get(2)?;
    let Some(role) = Role::parse(&role) else {
        return Err(StorageError::Corrupt(format!("unknown role {role:?}")));
    };
    Ok(User {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        role,
        office_id: r.try_get(3)?,
        created_at_ms: r.try_get(4)?,
        disabled_at_ms: r.try_get(5)?,
        department_id: r.try_get(6)?,
        email: r.try_get(7)?,
        lang: Lang::parse(&r.try_get::<_, String>(8)?).unwrap_or_default(),
    })
}

pub(super) fn add_user(
    tx: &mut Transaction<'_>,
    user: &NewUser,
    now_ms: i64,
) -> Result<i64, StorageError> {
    if exists(
        tx,
        "SELECT 1 FROM users WHERE username = $1",
        &[&user.username],
    )? {
        return Err(StorageError::Invalid(format!(
            "the username {:?} is taken",
            user.username
        )));
    }
    user.check_shape()?;
    if let Some(office) = &user.office_id {
        known_office(tx, office)?;
    }
    if let (Some(office), Some(department)) = (&user.office_id, &user.department_id)
        && !exists(
            tx,
            "SELECT 1 FROM departments WHERE office_id = $1 AND id = $2",
            &[office, department],
        )?
    {
        return Err(StorageError::Invalid(format!(
            "unknown department {department:?} in office {office:?} (`sync-server desk list` shows each office's departments)"
        )));
    }
    let row = tx.query_one(
        "INSERT INTO users (username, password_hash, role, office_id, department_id, email, lang,
                            created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            &user.username,
            &user.password_hash,
            &user.role.as_str(),
            &user.office_id,
            &user.department_id,
            &user.email,
            &user.lang.code(),
            &now_ms,
        ],
    )?;
    Ok(row.try_get(0)?)
}

pub(super) fn users(conn: &mut impl GenericClient) -> Result<Vec<User>, StorageError> {
    conn.query(
        &format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"),
        &[],
    )?
    .iter()
    .map(user)
    .collect()
}

pub(super) fn user_credentials(
    conn: &mut impl GenericClient,
    username: &str,
) -> Result<Option<UserCredentials>, StorageError> {
    conn.query_opt(
        &format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1"),
        &[&username],
    )?
    .map(|r| {
        Ok(UserCredentials {
            user: user(&r)?,
            password_hash: r.try_get(USER_COLUMN_COUNT)?,
        })
    })
    .transpose()
}

fn user_id(tx: &mut Transaction<'_>, username: &str) -> Result<Option<i64>, StorageError> {
    Ok(tx
        .query_opt("SELECT id FROM users WHERE username = $1", &[&username])?
        .map(|r| r.try_get(0))
        .transpose()?)
}

pub(super) fn disable_user(
    tx: &mut Transaction<'_>,
    username: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let Some(id) = user_id(tx, username)? else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE users SET disabled_at_ms = $2 WHERE id = $1 AND disabled_at_ms IS NULL",
        &[&id, &now_ms],
    )?;
    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])?;
    Ok(true)
}

pub(super) fn set_password(
    tx: &mut Transaction<'_>,
    username: &str,
    password_hash: &str,
) -> Result<bool, StorageError> {
    let Some(id) = user_id(tx, username)? else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&id, &password_hash],
    )?;
    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])?;
    Ok(true)
}

pub(super) fn create_session(
    tx: &mut Transaction<'_>,
    session: &NewSession,
) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM sessions WHERE expires_at_ms <= $1",
        &[&session.now_ms],
    )?;
    if let Some(old) = session.replaces {
        tx.execute(
            "DELETE FROM sessions WHERE id_sha256 = $1",
            &[&old.as_slice()],
        )?;
    }
    tx.execute(
        "INSERT INTO sessions (id_sha256, user_id, csrf_token, lang, created_at_ms, last_seen_ms,
                               expires_at_ms)
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
        &[
            &session.id_sha256.as_slice(),
            &session.user_id,
            &session.csrf_token,
            &session.lang.code(),
            &session.now_ms,
            &session.expires_at_ms,
        ],
    )?;
    Ok(())
}

/// The live session and when it was last marked used.
pub(super) fn session(
    conn: &mut impl GenericClient,
    id_sha256: [u8; 32],
    now_ms: i64,
    idle_ms: i64,
) -> Result<Option<(ActiveSession, i64)>, StorageError> {
    conn.query_opt(
        &format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.lang, s.last_seen_ms
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_sha256 = $1 AND s.expires_at_ms > $2 AND s.last_seen_ms + $3 > $2
               AND u.disabled_at_ms IS NULL"
        ),
        &[&id_sha256.as_slice(), &now_ms, &idle_ms],
    )?
    .map(|r| {
        Ok((
            ActiveSession {
                user: user(&r)?,
                csrf_token: r.try_get(USER_COLUMN_COUNT)?,
                lang: Lang::parse(&r.try_get::<_, String>(USER_COLUMN_COUNT + 1)?)
                    .unwrap_or_default(),
            },
            r.try_get(USER_COLUMN_COUNT + 2)?,
        ))
    })
    .transpose()
}

pub(super) fn touch_session(
    tx: &mut Transaction<'_>,
    id_sha256: [u8; 32],
    now_ms: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE sessions SET last_seen_ms = greatest(last_seen_ms, $2) WHERE id_sha256 = $1",
        &[&id_sha256.as_slice(), &now_ms],
    )?;
    Ok(())
}

pub(super) fn set_session_lang(
    tx: &mut Transaction<'_>,
    id_sha256: [u8; 32],
    lang: Lang,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE sessions SET lang = $2 WHERE id_sha256 = $1",
        &[&id_sha256.as_slice(), &lang.code()],
    )?;
    Ok(())
}

pub(super) fn delete_session(
    tx: &mut Transaction<'_>,
    id_sha256: [u8; 32],
) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM sessions WHERE id_sha256 = $1",
        &[&id_sha256.as_slice()],
    )?;
    Ok(())
}
