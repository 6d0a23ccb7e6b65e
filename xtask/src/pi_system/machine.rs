//! The emulated desk: `qemu-system-aarch64 -M virt` (TCG) with a virtio-gpu display at 800×480,
//! a USB tablet as the touch panel and a USB sound card, virtio-blk disks that honour flushes, the clock at 1970, user
//! networking whose only way out is the host's aggregator, the serial console in a log file, and
//! two unix sockets: QMP (screendumps, touches, power) and the test's root shell in the guest.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::image::{BaseImage, SHELL_PORT};

/// The display's size, the Raspberry Pi 7" touch display's.
pub const SCREEN_WIDTH: u32 = 800;
pub const SCREEN_HEIGHT: u32 = 480;
/// Where the guest reaches the host's aggregator (QEMU's `guestfwd`).
pub const AGGREGATOR_IN_GUEST: &str = "10.0.2.100:80";
/// QEMU's absolute pointer axes run from 0 to this.
const ABS_MAX: u32 = 0x7fff;

/// Files of one machine: its disks and where its sockets and console go.
pub struct MachineFiles {
    pub base: BaseImage,
    /// The qcow2 overlay on the base image that this run's guest writes to.
    pub overlay: PathBuf,
    /// A small ext4 disk with the packages under test.
    pub packages_disk: PathBuf,
    pub dir: PathBuf,
    /// The aggregator on the host's loopback.
    pub aggregator_port: u16,
}

/// A running QEMU: killed with its process group (QEMU and the `nc` of each forwarded
/// connection) when dropped.
pub struct Machine {
    child: Child,
    pub qmp: Qmp,
    pub shell: Shell,
    pub started: Instant,
}

impl Machine {
    /// Starts QEMU and connects to QMP and the guest shell's socket (the guest still boots).
    pub fn start(files: &MachineFiles, boot: usize) -> anyhow::Result<Machine> {
        let qmp_socket = files.dir.join("qmp.sock");
        let shell_socket = files.dir.join("shell.sock");
        for socket in [&qmp_socket, &shell_socket] {
            let _ = std::fs::remove_file(socket);
        }
        let console = files.dir.join("serial-console.log");
        let qemu_log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(files.dir.join("qemu.log"))?;
        let mut command = Command::new("qemu-system-aarch64");
        command
            .args([
                "-M",
                "virt",
                "-cpu",
                "cortex-a72",
                "-smp",
                "2",
                "-m",
                "1024",
            ])
            .arg("-kernel")
            .arg(&files.base.kernel)
            .arg("-initrd")
            .arg(&files.base.initrd)
            .args([
                "-append",
                &format!(
                    "root=LABEL={} rw console=ttyAMA0 net.ifnames=0 systemd.show_status=auto",
                    super::image::ROOT_LABEL
                ),
            ])
            // cache=none: writes reach the host file directly and the guest's flushes are
            // honoured, so killing QEMU loses what the guest had not written or flushed — the
            // guest's RAM — as a power cut does.
            .arg("-drive")
            .arg(format!(
                "if=none,id=root,format=qcow2,cache=none,file={}",
                files.overlay.display()
            ))
            .args(["-device", "virtio-blk-pci,drive=root"])
            .arg("-drive")
            .arg(format!(
                "if=none,id=packages,format=raw,readonly=on,file={}",
                files.packages_disk.display()
            ))
            .args(["-device", "virtio-blk-pci,drive=packages"])
            .args([
                "-device",
                &format!("virtio-gpu-pci,xres={SCREEN_WIDTH},yres={SCREEN_HEIGHT}"),
            ])
            .args(["-device", "qemu-xhci", "-device", "usb-tablet"])
            // A sound card for read-aloud (its sound goes nowhere).
            .args([
                "-audiodev",
                "none,id=sound",
                "-device",
                "usb-audio,audiodev=sound",
            ])
            // A Pi without a real-time clock: the guest boots at the epoch.
            .args(["-rtc", "base=1970-01-01T00:00:00"])
            .arg("-netdev")
            .arg(format!(
                "user,id=net0,restrict=on,guestfwd=tcp:{AGGREGATOR_IN_GUEST}-cmd:nc 127.0.0.1 {}",
                files.aggregator_port
            ))
            // No option ROM: the guest boots from -kernel, never by PXE, and without this QEMU
            // wants efi-virtio.rom, which only the optional ipxe-qemu package ships.
            .args(["-device", "virtio-net-pci,netdev=net0,romfile="])
            .arg("-chardev")
            .arg(format!(
                "file,id=console,append=on,path={}",
                console.display()
            ))
            .args(["-serial", "chardev:console"])
            .args(["-device", "virtio-serial-pci"])
            .arg("-chardev")
            .arg(format!(
                "socket,id=shell,server=on,wait=off,path={}",
                shell_socket.display()
            ))
            .args([
                "-device",
                &format!("virtserialport,chardev=shell,name={SHELL_PORT}"),
            ])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_socket.display()))
            .args(["-display", "none", "-monitor", "none", "-nodefaults"])
            .stdin(Stdio::null())
            .stdout(qemu_log.try_clone()?)
            .stderr(qemu_log)
            // Its own process group, so a power cut also ends the `nc` helpers.
            .process_group(0);
        let mut console_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&console)?;
        writeln!(console_file, "\n===== boot {boot} =====")?;
        let started = Instant::now();
        let mut child = command
            .spawn()
            .context("cannot start qemu-system-aarch64")?;
        let connected = connect(&qmp_socket, &mut child).and_then(|qmp_stream| {
            let shell_stream = connect(&shell_socket, &mut child)?;
            Ok((Qmp::new(qmp_stream)?, Shell::new(shell_stream)?))
        });
        let (qmp, shell) = match connected {
            Ok(pair) => pair,
            Err(e) => {
                kill_group(&mut child);
                return Err(e.context(format!(
                    "QEMU did not start; see {}",
                    files.dir.join("qemu.log").display()
                )));
            }
        };
        Ok(Machine {
            child,
            qmp,
            shell,
            started,
        })
    }

    /// A power cut: SIGKILL to QEMU, nothing in the guest gets to finish.
    pub fn power_cut(mut self) {
        kill_group(&mut self.child);
    }

    /// Whether QEMU is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

fn kill_group(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Connects to one of QEMU's server sockets, waiting (bounded) for QEMU to create it.
fn connect(path: &Path, child: &mut Child) -> anyhow::Result<UnixStream> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(stream) = UnixStream::connect(path) {
            return Ok(stream);
        }
        if let Some(status) = child.try_wait()? {
            bail!("QEMU exited at start ({status})");
        }
        if Instant::now() > deadline {
            bail!("QEMU did not open {}", path.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The QEMU Machine Protocol: JSON lines over the socket.
pub struct Qmp {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Qmp {
    fn new(stream: UnixStream) -> anyhow::Result<Qmp> {
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut qmp = Qmp {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
        };
        let greeting = qmp.read_message()?;
        if greeting.get("QMP").is_none() {
            bail!("QMP greeting expected, got {greeting}");
        }
        qmp.execute("qmp_capabilities", &json!({}))?;
        Ok(qmp)
    }

    fn read_message(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("QMP closed");
        }
        Ok(serde_json::from_str(&line)?)
    }

    /// Runs a command and returns its `return` value; events in between are skipped.
    pub fn execute(&mut self, command: &str, arguments: &Value) -> anyhow::Result<Value> {
        let request = json!({ "execute": command, "arguments": arguments });
        writeln!(self.writer, "{request}")?;
        for _ in 0..1000 {
            let message = self.read_message()?;
            if let Some(value) = message.get("return") {
                return Ok(value.clone());
            }
            if let Some(error) = message.get("error") {
                bail!("QMP {command} failed: {error}");
            }
        }
        bail!("QMP {command}: no answer among 1000 messages")
    }

    /// The display's picture as RGB, through a PPM file in `scratch`.
    pub fn screendump(&mut self, scratch: &Path) -> anyhow::Result<super::screen::Picture> {
        let _ = std::fs::remove_file(scratch);
        self.execute(
            "screendump",
            &json!({ "filename": scratch.to_string_lossy() }),
        )?;
        super::screen::Picture::read_ppm(scratch)
    }

    /// A finger down and up at (`x`, `y`) on the display, through the USB tablet.
    pub fn tap(&mut self, x: u32, y: u32) -> anyhow::Result<()> {
        let axis = |value: u32, size: u32| value.min(size - 1) * ABS_MAX / (size - 1);
        let position = json!([
            { "type": "abs", "data": { "axis": "x", "value": axis(x, SCREEN_WIDTH) } },
            { "type": "abs", "data": { "axis": "y", "value": axis(y, SCREEN_HEIGHT) } },
        ]);
        self.execute("input-send-event", &json!({ "events": position }))?;
        for down in [true, false] {
            let button = json!([{ "type": "btn", "data": { "down": down, "button": "left" } }]);
            self.execute("input-send-event", &json!({ "events": button }))?;
            std::thread::sleep(Duration::from_millis(120));
        }
        Ok(())
    }
}

/// The root shell in the guest (bash reading the virtio-serial port): one command at a time,
/// its output read until a marker with its exit status.
pub struct Shell {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    next_marker: u64,
}

/// What a command printed and how it ended.
pub struct Output {
    pub status: i32,
    pub text: String,
}

impl Shell {
    fn new(stream: UnixStream) -> anyhow::Result<Shell> {
        stream.set_read_timeout(Some(Duration::from_millis(500)))?;
        Ok(Shell {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
            next_marker: 0,
        })
    }

    /// Waits until the guest's shell answers (the guest has booted to multi-user).
    pub fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.run("true", Duration::from_secs(3)).is_ok() {
                return Ok(());
            }
        }
        bail!(
            "the guest's shell did not answer within {} s",
            timeout.as_secs()
        )
    }

    /// Runs `command` (stdin from /dev/null, stderr with stdout) and returns its output.
    pub fn run(&mut self, command: &str, timeout: Duration) -> anyhow::Result<Output> {
        let mut text = String::new();
        let status = self.run_streaming(command, timeout, |line| {
            text.push_str(line);
            text.push('\n');
            true
        })?;
        Ok(Output { status, text })
    }

    /// Runs `command` and succeeds only if it exits 0; returns its output.
    pub fn check(&mut self, command: &str, timeout: Duration) -> anyhow::Result<String> {
        let out = self.run(command, timeout)?;
        if out.status != 0 {
            bail!(
                "in the guest, `{command}` exited {}:\n{}",
                out.status,
                out.text
            );
        }
        Ok(out.text)
    }

    /// Runs `command`, handing each output line to `line` as it arrives; returns the exit
    /// status. `line` returning false stops waiting (the command keeps running).
    pub fn run_streaming(
        &mut self,
        command: &str,
        timeout: Duration,
        mut line: impl FnMut(&str) -> bool,
    ) -> anyhow::Result<i32> {
        self.next_marker += 1;
        let marker = format!("__OCENA_DONE_{}_", self.next_marker);
        // The marker is split in the command so its echo can never be mistaken for it.
        writeln!(
            self.writer,
            "{{ {command} ; }} </dev/null 2>&1; echo \"__OCENA_DONE_\"'{}_'$?",
            self.next_marker
        )?;
        let deadline = Instant::now() + timeout;
        let mut pending = Vec::new();
        while Instant::now() < deadline {
            let mut byte = [0u8; 4096];
            match self.reader.read(&mut byte) {
                Ok(0) => bail!("the guest shell's socket closed"),
                Ok(n) => pending.extend_from_slice(&byte[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.into()),
            }
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&raw);
                let text = text.trim_end_matches(['\n', '\r']);
                if let Some(status) = text.strip_prefix(&marker) {
                    return status
                        .trim()
                        .parse()
                        .with_context(|| format!("bad status line {text:?}"));
                }
                if text.starts_with("__OCENA_DONE_") {
                    continue; // an earlier command's, given up on
                }
                if !line(text) {
                    return Ok(-1);
                }
            }
        }
        bail!(
            "in the guest, `{command}` did not finish within {} s",
            timeout.as_secs()
        )
    }
}
