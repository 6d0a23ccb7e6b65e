//! Errors as one line for staff and logs: the error followed by its causes.

/// "disk full: cannot write …: database or disk is full" — each cause once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_follow_the_error_once() {
        let io = std::io::Error::other("disk on fire");
        let error = crate::config::ConfigError::Read {
            path: "/etc/k.toml".into(),
            source: io,
        };
        assert_eq!(
            error_chain(&error),
            "cannot read config file /etc/k.toml: disk on fire"
        );
    }
}
