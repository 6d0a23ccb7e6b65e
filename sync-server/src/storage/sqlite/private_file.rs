//! The database file is created readable and writable by its owner only (0600), whatever the
//! process umask: it holds token and password hashes, sessions and every answer. SQLite creates
//! the `-wal` and `-shm` files with the database file's mode, so they are private too.

use std::path::Path;

/// Creates `path` empty with mode 0600 if it does not exist; an existing file is left as it is
/// (with a warning if others may read it).
pub(super) fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(file) => {
                // `mode` is filtered by the umask; set it exactly.
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                file.sync_all()
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the database file is readable by others; `chmod 600` it (and its -wal \
                         and -shm files)"
                    );
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}
