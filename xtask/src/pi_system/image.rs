//! The emulated desk's base system: arm64 Debian 12 from Debian's own packages (debootstrap, the
//! arm64 maintainer scripts run through qemu-user and binfmt_misc), with its kernel and initrd
//! beside it for QEMU's `-kernel`. Built once per set of inputs and kept outside the clone, in
//! `/var/cache/ocena/pi-image/<hash>/`; a missing or stale cache is rebuilt by itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::run_checked;

/// Where base images are kept, one directory per hash of their inputs.
const CACHE_DIR: &str = "/var/cache/ocena/pi-image";
/// Debian's mirror, as the host's apt uses it (`/etc/apt/sources.list.d/debian.sources`).
const MIRROR: &str = "http://deb.debian.org/debian";
/// What Raspberry Pi OS (64-bit) is built on.
const SUITE: &str = "bookworm";
/// The label the kernel command line mounts as root.
pub const ROOT_LABEL: &str = "ocena-root";
/// The virtio-serial port the test's root shell listens on inside the guest.
pub const SHELL_PORT: &str = "org.ocena.shell";

/// What a Pi running Raspberry Pi OS Lite has that the kiosk's package relies on but does not
/// depend on: systemd and udev, libinput (linuxkms' touch), sudo (INSTALL.md's commands) and
/// espeak-ng (the package recommends it; `apt install ./…deb` would install it from the
/// network, which the test machine does not have). sqlite3 is the test's integrity check.
const PACKAGES: &[&str] = &[
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "procps",
    "iproute2",
    "sudo",
    "adduser",
    "libinput10",
    "libxkbcommon0",
    "libgbm1",
    "libdrm2",
    "libfontconfig1",
    "fonts-dejavu-core",
    "espeak-ng",
    "sqlite3",
];

/// Run in the new system (arm64, through qemu-user): the kernel with a small initramfs, the
/// network by DHCP through systemd-networkd (QEMU's user network), a persistent journal, and
/// the test's root shell on a virtio-serial port (the test image's only addition to Debian).
const CONFIGURE: &str = r#"set -eu
export DEBIAN_FRONTEND=noninteractive
echo ocena-kiosk > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 ocena-kiosk\n' > /etc/hosts
printf 'LABEL=ocena-root / ext4 defaults 0 1\n' > /etc/fstab
# Only what QEMU's virt machine needs to mount its root: an initramfs built under qemu-user
# with every module takes many minutes.
mkdir -p /etc/initramfs-tools/conf.d
printf 'MODULES=list\nCOMPRESS=gzip\n' > /etc/initramfs-tools/conf.d/ocena-system-test.conf
printf 'virtio_pci\nvirtio_blk\next4\n' >> /etc/initramfs-tools/modules
apt-get update -q
apt-get install -y -q --no-install-recommends linux-image-arm64 initramfs-tools
mkdir -p /var/log/journal
mkdir -p /etc/systemd/network
printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n' > /etc/systemd/network/20-wired.network
systemctl enable systemd-networkd.service systemd-networkd-wait-online.service
cat > /etc/systemd/system/ocena-test-shell.service <<'UNIT'
# The system test's root shell on a virtio-serial port (test images only, never on a desk).
# The port opens once, read-write: a virtio port takes one open at a time.
[Unit]
Description=Ocena system test shell
StartLimitIntervalSec=0
[Service]
ExecStart=/bin/sh -c 'exec /bin/bash --noprofile --norc -s <>/dev/virtio-ports/org.ocena.shell >&0 2>&0'
Restart=always
RestartSec=1
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable ocena-test-shell.service
apt-get clean
rm -rf /var/lib/apt/lists/*
"#;

/// The base image's files: a raw ext4 disk, its kernel and its initramfs.
pub struct BaseImage {
    pub disk: PathBuf,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
}

/// The cached base image for the current inputs, built first if it is missing.
pub fn base_image() -> anyhow::Result<BaseImage> {
    let dir = Path::new(CACHE_DIR).join(inputs_hash());
    let image = BaseImage {
        disk: dir.join("root.img"),
        kernel: dir.join("vmlinuz"),
        initrd: dir.join("initrd.img"),
    };
    let complete = dir.join("complete");
    if complete.is_file() {
        println!("Base image (cached): {}", dir.display());
        return Ok(image);
    }
    println!(
        "Building the arm64 base image in {} (once per set of inputs)",
        dir.display()
    );
    let started = Instant::now();
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rootfs = dir.join("rootfs");
    let built = build(&rootfs, &image);
    // The tree was only needed to fill the disk image.
    let cleared = std::fs::remove_dir_all(&rootfs);
    built?;
    cleared.with_context(|| format!("cannot remove {}", rootfs.display()))?;
    std::fs::write(&complete, "")?;
    println!(
        "Base image built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(image)
}

/// The hash of everything the image is made from.
fn inputs_hash() -> String {
    let mut hasher = Sha256::new();
    for part in [MIRROR, SUITE, ROOT_LABEL, SHELL_PORT, CONFIGURE] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for package in PACKAGES {
        hasher.update(package.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn build(rootfs: &Path, image: &BaseImage) -> anyhow::Result<()> {
    enable_binfmt()?;
    run_checked(
        Command::new("debootstrap")
            .args(["--arch=arm64", "--variant=minbase"])
            .arg(format!("--include={}", PACKAGES.join(",")))
            .arg(SUITE)
            .arg(rootfs)
            .arg(MIRROR),
    )
    .context("debootstrap of the arm64 system failed")?;
    // No daemon may start inside the build, and apt needs a resolver.
    let policy = rootfs.join("usr/sbin/policy-rc.d");
    std::fs::write(&policy, "#!/bin/sh\nexit 101\n")?;
    run_checked(Command::new("chmod").arg("755").arg(&policy))?;
    std::fs::copy("/etc/resolv.conf", rootfs.join("etc/resolv.conf"))
        .context("cannot copy /etc/resolv.conf into the new system")?;
    let proc_dir = rootfs.join("proc");
    run_checked(
        Command::new("mount")
            .args(["-t", "proc", "proc"])
            .arg(&proc_dir),
    )?;
    let configured = run_checked(
        Command::new("chroot")
            .arg(rootfs)
            .args(["/bin/sh", "-c", CONFIGURE]),
    );
    let unmounted = run_checked(Command::new("umount").arg(&proc_dir));
    configured.context("configuring the arm64 system failed")?;
    unmounted?;
    std::fs::remove_file(&policy)?;
    std::fs::write(rootfs.join("etc/resolv.conf"), "")?;

    let boot = rootfs.join("boot");
    std::fs::copy(newest(&boot, "vmlinuz-")?, &image.kernel)?;
    std::fs::copy(newest(&boot, "initrd.img-")?, &image.initrd)?;
    run_checked(
        Command::new("mkfs.ext4")
            .args(["-q", "-L", ROOT_LABEL, "-d"])
            .arg(rootfs)
            .arg(&image.disk)
            .arg("3G"),
    )
    .context("mkfs.ext4 could not make the disk image")
}

/// Lets the host run arm64 programs (the packages' maintainer scripts): binfmt_misc is not
/// mounted by default on these machines; qemu-user-static registers itself once it is.
fn enable_binfmt() -> anyhow::Result<()> {
    let binfmt = Path::new("/proc/sys/fs/binfmt_misc");
    if !binfmt.join("register").exists() {
        run_checked(
            Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc"])
                .arg(binfmt),
        )
        .context("cannot mount binfmt_misc (the image build runs as root)")?;
    }
    if !binfmt.join("qemu-aarch64").exists() {
        run_checked(Command::new("update-binfmts").args(["--enable", "qemu-aarch64"]))?;
    }
    if !binfmt.join("qemu-aarch64").exists() {
        bail!("qemu-aarch64 is not registered in binfmt_misc: is qemu-user-static installed?");
    }
    Ok(())
}

/// The one file in `dir` whose name starts with `prefix` (the image has a single kernel).
fn newest(dir: &Path, prefix: &str) -> anyhow::Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(prefix))
        })
        .collect();
    found.sort();
    found
        .pop()
        .with_context(|| format!("no {prefix}* in {}", dir.display()))
}
