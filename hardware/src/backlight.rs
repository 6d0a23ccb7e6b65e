//! The display's backlight through Linux sysfs (`/sys/class/backlight/<device>/brightness` and
//! `max_brightness`), with plain file IO: no GPIO, so it works with any panel the kernel drives.

use std::path::{Path, PathBuf};

/// Where Linux lists backlight devices.
pub const SYSFS_BACKLIGHTS: &str = "/sys/class/backlight";

/// A backlight that could not be opened or set, naming the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum BacklightError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source} (is the kiosk's user in the `video` group?)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds {content:?}, not a brightness of at least 1")]
    BadMaximum { path: PathBuf, content: String },
    #[error(
        "{dir} lists {count} backlight devices; set `hardware.backlight` to the `brightness` file of the display's"
    )]
    Ambiguous { dir: PathBuf, count: usize },
}

/// One sysfs backlight device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysfsBacklight {
    brightness: PathBuf,
    max: u32,
}

impl SysfsBacklight {
    /// Opens the device whose `brightness` file is `path` (or whose directory is `path`),
    /// reading its `max_brightness` beside it.
    pub fn open(path: &Path) -> Result<SysfsBacklight, BacklightError> {
        let brightness = if path.is_dir() {
            path.join("brightness")
        } else {
            path.to_owned()
        };
        let max_path = brightness.with_file_name("max_brightness");
        let content =
            std::fs::read_to_string(&max_path).map_err(|source| BacklightError::Read {
                path: max_path.clone(),
                source,
            })?;
        let max = content
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&max| max >= 1)
            .ok_or_else(|| BacklightError::BadMaximum {
                path: max_path,
                content: content.trim().to_owned(),
            })?;
        Ok(SysfsBacklight { brightness, max })
    }

    /// The only backlight device under `dir` (normally [`SYSFS_BACKLIGHTS`]), or none if there
    /// is none; several are an error because guessing could dim the wrong panel.
    pub fn discover(dir: &Path) -> Result<Option<SysfsBacklight>, BacklightError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(BacklightError::Read {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let mut devices: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        match devices.len() {
            0 => Ok(None),
            1 => devices.pop().map(|device| Self::open(&device)).transpose(),
            count => Err(BacklightError::Ambiguous {
                dir: dir.to_owned(),
                count,
            }),
        }
    }

    /// The `brightness` file written.
    pub fn path(&self) -> &Path {
        &self.brightness
    }

    /// The raw value for `percent` (capped at 100): 0 is off, anything above 0 is at least 1 so
    /// a dimmed display never goes dark by rounding.
    pub fn raw_for(&self, percent: u8) -> u32 {
        let percent = u32::from(percent.min(100));
        if percent == 0 {
            return 0;
        }
        (self.max * percent).div_ceil(100).max(1)
    }

    /// Sets the brightness to `percent` of the maximum.
    pub fn set_percent(&self, percent: u8) -> Result<(), BacklightError> {
        std::fs::write(&self.brightness, self.raw_for(percent).to_string()).map_err(|source| {
            BacklightError::Write {
                path: self.brightness.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `/sys/class/backlight` with one device per `(name, max)`.
    fn sysfs(devices: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        for (name, max) in devices {
            let device = root.path().join(name);
            std::fs::create_dir(&device).expect("device dir");
            std::fs::write(device.join("max_brightness"), format!("{max}\n")).expect("max");
            std::fs::write(device.join("brightness"), format!("{max}\n")).expect("brightness");
        }
        root
    }

    fn brightness(root: &tempfile::TempDir, device: &str) -> String {
        std::fs::read_to_string(root.path().join(device).join("brightness")).expect("read")
    }

    #[test]
    fn percent_is_scaled_to_the_device_maximum_and_written() {
        let root = sysfs(&[("10-0045", "255")]);
        let backlight =
            SysfsBacklight::open(&root.path().join("10-0045/brightness")).expect("opens");
        backlight.set_percent(0).expect("off");
        assert_eq!(brightness(&root, "10-0045"), "0");
        backlight.set_percent(50).expect("half");
        assert_eq!(brightness(&root, "10-0045"), "128");
        backlight.set_percent(100).expect("full");
        assert_eq!(brightness(&root, "10-0045"), "255");
        backlight.set_percent(250).expect("capped");
        assert_eq!(brightness(&root, "10-0045"), "255");
    }

    #[test]
    fn a_dimmed_display_on_a_coarse_device_is_never_rounded_to_dark() {
        let root = sysfs(&[("rpi_backlight", "1")]);
        let backlight = SysfsBacklight::open(&root.path().join("rpi_backlight")).expect("dir");
        assert_eq!(
            backlight.path(),
            root.path().join("rpi_backlight/brightness")
        );
        assert_eq!(
            (
                backlight.raw_for(0),
                backlight.raw_for(1),
                backlight.raw_for(100)
            ),
            (0, 1, 1)
        );
    }

    #[test]
    fn discovery_takes_the_only_device_and_refuses_to_guess_between_several() {
        let root = sysfs(&[("10-0045", "31")]);
        let found = SysfsBacklight::discover(root.path())
            .expect("reads")
            .expect("one device");
        assert_eq!(found.path(), root.path().join("10-0045/brightness"));

        let empty = sysfs(&[]);
        assert_eq!(SysfsBacklight::discover(empty.path()).expect("reads"), None);
        assert_eq!(
            SysfsBacklight::discover(&empty.path().join("absent")).expect("no sysfs"),
            None
        );

        let two = sysfs(&[("10-0045", "31"), ("hdmi", "100")]);
        let err = SysfsBacklight::discover(two.path()).expect_err("ambiguous");
        assert!(
            err.to_string().contains("lists 2 backlight devices"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_or_nonsense_maximum_names_the_file() {
        let root = sysfs(&[("zero", "0"), ("text", "bright")]);
        for device in ["zero", "text"] {
            let err = SysfsBacklight::open(&root.path().join(device)).expect_err("bad max");
            assert!(
                err.to_string()
                    .contains(&format!("{device}/max_brightness")),
                "{err}"
            );
        }
        let err = SysfsBacklight::open(&root.path().join("absent/brightness")).expect_err("none");
        assert!(err.to_string().starts_with("cannot read "), "{err}");
    }

    #[test]
    fn a_write_failure_names_the_file() {
        let root = sysfs(&[("10-0045", "255")]);
        let backlight = SysfsBacklight::open(&root.path().join("10-0045")).expect("opens");
        std::fs::remove_dir_all(root.path().join("10-0045")).expect("unplug");
        let err = backlight.set_percent(10).expect_err("gone");
        assert!(err.to_string().contains("10-0045/brightness"), "{err}");
    }
}
