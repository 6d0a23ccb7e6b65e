//! The kiosk's identity at the aggregator: server address, kiosk id and token, in a file in the
//! data directory that only the kiosk's user can read (a Pi has no hardware key store).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The enrollment file's name inside the data directory.
pub const ENROLLMENT_FILE: &str = "enrollment.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Base address of the aggregator, e.g. `https://ocena.plock.eu`.
    pub server: String,
    pub kiosk_id: String,
    pub token: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Enrollment")
            .field("server", &self.server)
            .field("kiosk_id", &self.kiosk_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    #[error("cannot read the enrollment file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the enrollment file {path} is damaged: {problem}")]
    Damaged { path: PathBuf, problem: String },
    #[error("cannot write the enrollment file {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Enrollment {
    /// The kiosk's enrollment, or `None` if it was never enrolled (it then runs on local config).
    pub fn load(data_dir: &Path) -> Result<Option<Enrollment>, EnrollmentError> {
        let path = data_dir.join(ENROLLMENT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(EnrollmentError::Read { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| EnrollmentError::Damaged {
                path,
                problem: e.to_string(),
            })
    }

    /// Writes the file with mode 0600 atomically (temporary file, fsync, rename).
    pub fn save(&self, data_dir: &Path) -> Result<(), EnrollmentError> {
        let path = data_dir.join(ENROLLMENT_FILE);
        serde_json::to_vec_pretty(self)
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_private_file(data_dir, ENROLLMENT_FILE, &bytes))
            .map_err(|source| EnrollmentError::Write { path, source })
    }
}

/// Replaces `dir/name` atomically with `bytes`, readable only by its owner (mode 0600): a crash
/// leaves either the old file or the new one, never a torn one.
pub(super) fn write_private_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(name);
    let temporary = dir.join(format!("{name}.new"));
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_enrollment_reads_back_and_only_its_owner_may_read_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Enrollment::load(dir.path()).expect("load"), None);
        let enrollment = Enrollment {
            server: "http://127.0.0.1:8080".into(),
            kiosk_id: "k-1".into(),
            token: "secret-token".into(),
        };
        enrollment.save(dir.path()).expect("save");
        assert_eq!(
            Enrollment::load(dir.path()).expect("load"),
            Some(enrollment.clone())
        );
        let mode = std::fs::metadata(dir.path().join(ENROLLMENT_FILE))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!format!("{enrollment:?}").contains("secret-token"));
    }

    #[test]
    fn a_damaged_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(ENROLLMENT_FILE), "{not json").expect("write");
        let err = Enrollment::load(dir.path()).expect_err("damaged");
        assert!(err.to_string().contains(ENROLLMENT_FILE), "{err}");
    }
}
