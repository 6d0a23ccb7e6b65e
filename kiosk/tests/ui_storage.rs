//! UI tests of storage faults: an unwritable data directory and a full disk show "temporarily out
//! of service" instead of crashing, keep the answer that could not be written, and the kiosk
//! recovers by itself once it can write again. The screen names the fault only by its code (INSTALL.md
//! explains each); the technical text, with paths, is for the log and never on the screen.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Kiosk, run_ui_test, uncreatable_dir, until};
use kiosk::config::Config;
use ui::Screen;

#[test]
fn storage_faults_do_not_crash_the_ui() {
    run_ui_test(|| async {
        an_unwritable_data_directory_shows_out_of_service_then_recovers().await;
        a_full_disk_keeps_the_answer_and_recovers().await;
        a_data_directory_turned_read_only_keeps_the_answer_and_recovers().await;
    });
}

async fn an_unwritable_data_directory_shows_out_of_service_then_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = uncreatable_dir(dir.path());
    let kiosk = Kiosk::start_with(Config::example(data_dir.clone()), dir);
    kiosk.until_screen(Screen::OutOfService).await;
    assert_eq!(kiosk.adapter().get_out_of_service_code(), "S2");
    kiosk.find("Temporarily out of service");
    kiosk.find(&kiosk.localized("Error code: {0}").replace("{0}", "S2"));
    let labels = kiosk.labels();
    assert!(
        labels
            .iter()
            .all(|l| !l.contains("blocker") && !l.contains("kiosk.db")),
        "no technical text for clients: {labels:?}"
    );
    assert!(
        kiosk.try_find("Very good").is_none(),
        "no rating while out of service"
    );

    // Staff fix the directory; the kiosk notices by itself.
    let blocker = data_dir.parent().expect("parent").to_owned();
    std::fs::remove_file(&blocker).expect("remove blocker");
    kiosk.until_screen(Screen::Home).await;
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    assert_eq!(kiosk.records().len(), 1);
}

async fn a_full_disk_keeps_the_answer_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = SmallDisk::mount(&dir.path().join("disk"));
    let kiosk = Kiosk::start_with(Config::example(mount.path.join("data")), dir);
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Finish");
    kiosk.until_screen(Screen::ThankYou).await;
    common::pass_time(kiosk.config.timing.thank_you.as_secs_f64() + 0.5);
    kiosk.until_screen(Screen::Home).await;

    let filler = mount.fill();
    kiosk.tap("Very bad");
    kiosk.until_screen(Screen::OutOfService).await;
    assert_eq!(kiosk.adapter().get_out_of_service_code(), "S1", "disk full");

    std::fs::remove_file(filler).expect("free space");
    // The answer given when the disk was full was kept in memory and is stored now.
    until("the kept answer to be stored", || {
        kiosk.screen() == Screen::AskMore
    })
    .await;
    let records = kiosk.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].answer.score().expect("a score").value(), 1);
}

async fn a_data_directory_turned_read_only_keeps_the_answer_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = SmallDisk::mount(&dir.path().join("disk"));
    let data_dir = mount.path.join("data");
    // A kiosk that ran before left its database; then the filesystem went read-only (as an SD
    // card does when it detects errors).
    drop(kiosk::store::Store::open(&data_dir).expect("first run"));
    mount.remount("ro");
    let kiosk = Kiosk::start_with(Config::example(&data_dir), dir);
    kiosk.until_screen(Screen::OutOfService).await;
    assert_eq!(kiosk.adapter().get_out_of_service_code(), "S2", "read-only");

    mount.remount("rw");
    kiosk.until_screen(Screen::Home).await;
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    assert_eq!(kiosk.records().len(), 1);
}

/// A 2 MiB tmpfs, unmounted on drop. Needs root, as CI and the development machines run.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path) -> SmallDisk {
        std::fs::create_dir_all(path).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a small tmpfs needs root (CI runs as root): {status}"
        );
        SmallDisk {
            path: path.to_owned(),
        }
    }

    /// Remounts read-only (`ro`) or writable again (`rw`).
    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.path)
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {mode}: {status}");
    }

    /// Fills the disk to the last byte; returns the filler file.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path.join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0xAB_u8; 4096];
        while file
            .write_all(&block)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
        for _ in 0..64 {
            let _ = file.write_all(&[0]).and_then(|()| file.sync_all());
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
