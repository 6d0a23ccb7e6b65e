//! What the storage keeps for the dashboard's sign-in: users with their password hashes and
//! roles, server-side sessions, and the fleet as a viewer's scope may read it.

use crate::access::Role;
use crate::lang::Lang;

use super::{KioskStatus, StorageError};

/// A user to add. `office_id` is set exactly for office and department viewers,
/// `department_id` exactly for department viewers.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    /// The Argon2id PHC string, see [`crate::passwords`].
    pub password_hash: String,
    pub role: Role,
    pub office_id: Option<String>,
    pub department_id: Option<String>,
    /// Where what is mailed to the user goes (a department viewer's monthly report).
    pub email: Option<String>,
    /// The language of what is mailed to the user.
    pub lang: Lang,
}

impl NewUser {
    /// The rules a new user keeps whatever the engine: an office exactly for office and
    /// department viewers, a department exactly for department viewers, an e-mail address that
    /// parses. (That the office and department exist, and the username is free, the backend
    /// checks against its rows.)
    pub fn check_shape(&self) -> Result<(), StorageError> {
        if self.role.needs_office() != self.office_id.is_some() {
            return Err(StorageError::Invalid(
                "an office or department viewer needs an office, and only they have one".into(),
            ));
        }
        if self.role.needs_department() != self.department_id.is_some() {
            return Err(StorageError::Invalid(
                "a department viewer needs a department, and only a department viewer has one"
                    .into(),
            ));
        }
        if let Some(email) = &self.email
            && email.parse::<lettre::Address>().is_err()
        {
            return Err(StorageError::Invalid(format!(
                "{email:?} is not an e-mail address"
            )));
        }
        Ok(())
    }
}

/// Whether a session last marked used at `last_seen_ms` is marked again at `now_ms`: marking
/// every request would be a write each; a sixtieth of the idle timeout is precise enough (30 s
/// of a 30-minute timeout).
pub fn worth_marking_used(now_ms: i64, last_seen_ms: i64, idle_ms: i64) -> bool {
    now_ms - last_seen_ms >= idle_ms / 60
}

/// A dashboard user as listed for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub office_id: Option<String>,
    pub department_id: Option<String>,
    pub email: Option<String>,
    pub lang: Lang,
    pub created_at_ms: i64,
    pub disabled_at_ms: Option<i64>,
}

/// A user with the password hash sign-in checks.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A session to store at sign-in.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie's token.
    pub id_sha256: [u8; 32],
    pub user_id: i64,
    pub csrf_token: String,
    pub lang: Lang,
    pub now_ms: i64,
    pub expires_at_ms: i64,
    /// The session the browser carried before signing in, deleted in the same transaction so an
    /// id planted before sign-in never becomes signed in (session fixation).
    pub replaces: Option<[u8; 32]>,
}

/// A live session with its user, as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub user: User,
    pub csrf_token: String,
    pub lang: Lang,
}

/// One kiosk in the fleet page: where it stands and its health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetKiosk {
    pub office_id: String,
    pub office_name: String,
    pub department_id: String,
    pub desk_name: String,
    pub status: KioskStatus,
}
