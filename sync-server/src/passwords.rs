//! Dashboard passwords: Argon2id hashes with OWASP's parameters (m = 19456 KiB, t = 2, p = 1) as
//! PHC strings, the length rules a new password must meet, and a verification that costs the
//! same whether or not the user exists. The server hashes through [`PasswordSlots`], a cap on
//! how many hashes run at once.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

use crate::busy::Busy;

/// Memory per hash in KiB (OWASP Password Storage Cheat Sheet).
const MEMORY_KIB: u32 = 19_456;
/// Passes over the memory.
const ITERATIONS: u32 = 2;
/// Lanes.
const PARALLELISM: u32 = 1;

/// Shortest password accepted for a new or reset account.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (Argon2 takes any length; this bounds the work a request causes).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_CHARS} characters long")]
    TooLong,
    #[error("the password must not be only spaces")]
    Blank,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .unwrap_or_else(|e| unreachable!("constant Argon2 parameters are valid: {e}"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password against the length rules.
pub fn check_new(password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.trim().is_empty() {
        return Err(PasswordProblem::Blank);
    }
    Ok(())
}

/// The Argon2id PHC string of `password` with a fresh 128-bit salt. Takes tens of milliseconds
/// of CPU: call it off the async runtime.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .unwrap_or_else(|e| unreachable!("16 bytes always encode as a salt: {e}"));
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .unwrap_or_else(|e| unreachable!("hashing with valid parameters cannot fail: {e}"))
        .to_string()
}

/// A hash of a password nobody knows, verified when the username is unknown so that an unknown
/// user and a wrong password take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("no user has this password"));

/// Whether `password` matches `stored` (a PHC string); `None` verifies against a dummy hash and
/// answers false, in the same time. Call it off the async runtime.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(stored) => (stored, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::error!("a stored password hash is not a PHC string");
        return false;
    };
    // Verification uses the parameters stored in the hash, so old hashes keep working if the
    // parameters above are raised.
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// At most `n` Argon2id computations at once, each off the async runtime: one holds 19 MiB and a
/// core for tens of milliseconds, so a burst of sign-ins queues here (at most `max_wait`, then
/// [`Busy`]) instead of taking all memory and every blocking thread.
#[derive(Clone)]
pub struct PasswordSlots {
    slots: Arc<tokio::sync::Semaphore>,
    max_wait: Duration,
}

/// Why a hash was not computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("the hashing task stopped unexpectedly")]
    TaskFailed(#[from] tokio::task::JoinError),
}

impl PasswordSlots {
    pub fn new(n: usize, max_wait: Duration) -> PasswordSlots {
        PasswordSlots {
            slots: Arc::new(tokio::sync::Semaphore::new(n.max(1))),
            max_wait,
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let busy = Busy {
            what: "password-hashing slot",
        };
        let slot = tokio::time::timeout(self.max_wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| busy)?
            .map_err(|_| busy)?;
        // The slot goes with the work: a request that gives up does not free it early.
        Ok(tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await?)
    }

    /// [`verify`] in a slot.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(move || verify(&password, stored.as_deref())).await
    }

    /// [`hash`] in a slot.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash(&password)).await
    }
}

/// Computes the dummy hash now, so the first sign-in with an unknown name is not slower than
/// the others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_with_owasp_parameters_and_verifies_only_its_password() {
        let stored = hash("correct horse battery");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("correct horse batterY", Some(&stored)));
        assert_ne!(stored, hash("correct horse battery"), "salted");
    }

    #[test]
    fn an_unknown_user_never_verifies() {
        assert!(!verify("no user has this password", None));
        assert!(!verify("anything", Some("not a phc string")));
    }

    #[test]
    fn new_passwords_follow_the_length_rules() {
        assert_eq!(check_new("short"), Err(PasswordProblem::TooShort));
        assert_eq!(check_new(&" ".repeat(20)), Err(PasswordProblem::Blank));
        assert_eq!(check_new(&"x".repeat(257)), Err(PasswordProblem::TooLong));
        assert_eq!(check_new("zażółć gęślą jaźń"), Ok(()));
    }
}
