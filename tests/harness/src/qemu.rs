//! The one QEMU command line every run uses, on a QEMU that can find no
//! firmware file.
//!
//! QEMU's `-L DIR` only puts DIR in front of its built-in data directories
//! (`-L help` lists them: `/usr/share/qemu`, `/usr/lib/ipxe/qemu`, ... found
//! relative to the binary's own location). So a run with `-L empty` still
//! finds whatever ROM this machine happens to have. Here QEMU runs from a link
//! (or copy) of its binary in `HOME/bin/`: the built-in directories then
//! resolve under `HOME`, where nothing exists, and `-L HOME/firmware`, kept
//! empty, is the only search path left. A run that needs a firmware file then
//! fails on every machine, not only on a fresh one.
//!
//! The board starts with `-nodefaults`: no network card (whose option ROM
//! was once found only by luck), no default serial, monitor or display; the
//! console is spelled out.
//!
//! A disk image (`--disk`) is a virtio-blk device on virtio-mmio transport
//! 0 ([`DISK_TRANSPORT`]): registers at 0x0a000000, SPI 16 (GIC INTID 48).
//! QEMU names virt's 32 transports `virtio-mmio-bus.N` in the order it
//! creates them, N at 0x0a000000 + N * 0x200 with SPI 16 + N (`info qtree`
//! and the device tree agree); a device given no bus takes the highest free
//! one, 31. Every transport speaks virtio 1.x (version 2): QEMU 7.2 keeps
//! them legacy (version 1) unless told `force-legacy=false`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const QEMU_BINARY: &str = "qemu-system-aarch64";
/// The virtio-mmio transport a `--disk` is attached to.
pub const DISK_TRANSPORT: u32 = 0;

/// Where the guest's serial console goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Piped to the harness; no QEMU monitor.
    Pipe,
    /// The user's terminal, with QEMU's monitor multiplexed on it (Ctrl-a c, Ctrl-a x quits).
    Terminal,
}

#[derive(Debug, Clone)]
pub struct Qemu {
    binary: PathBuf,
    firmware: PathBuf,
}

impl Qemu {
    /// Sets up `home` (`bin/` with QEMU's binary, an empty `firmware/`).
    pub fn prepare(home: &Path) -> Result<Qemu, String> {
        let system = find_in_path(QEMU_BINARY)
            .ok_or_else(|| format!("{QEMU_BINARY} is not on PATH (support/scripts/install-deps.sh installs it)"))?;
        let system = fs::canonicalize(&system).map_err(|e| format!("{}: {e}", system.display()))?;
        let bin = home.join("bin");
        let firmware = home.join("firmware");
        for dir in [&bin, &firmware] {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let entries = fs::read_dir(&firmware).map_err(|e| format!("{}: {e}", firmware.display()))?;
        if let Some(entry) = entries.flatten().next() {
            return Err(format!(
                "{} must stay empty so that no run finds a firmware file, but holds {}",
                firmware.display(),
                entry.file_name().to_string_lossy()
            ));
        }
        let binary = bin.join(QEMU_BINARY);
        refresh_link(&system, &binary)?;
        Ok(Qemu { binary, firmware })
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// QEMU listing the directories it would search for firmware, one a line.
    pub fn firmware_dirs_command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.arg("-L").arg(&self.firmware).args(["-L", "help"]);
        command
    }

    /// QEMU `virt` (Cortex-A53, `ram_mb` MiB) booting `image`, no default
    /// devices, with the `drives` given.
    pub fn command(&self, image: &Path, ram_mb: u32, console: Console, drives: &Drives) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(["-nodefaults", "-M", "virt", "-cpu", "cortex-a53", "-m"])
            .arg(format!("{ram_mb}M"))
            .arg("-L")
            .arg(&self.firmware)
            .args(["-display", "none", "-no-reboot", "-serial"])
            .arg(match console {
                Console::Pipe => "stdio",
                Console::Terminal => "mon:stdio",
            });
        if console == Console::Pipe {
            command.args(["-monitor", "none"]);
        }
        command.args(["-global", "virtio-mmio.force-legacy=false"]);
        if let Some(disk) = drives.disk {
            command.arg("-drive").arg(drive_option(disk)).arg("-device").arg(format!(
                "virtio-blk-device,drive={DISK_ID},bus=virtio-mmio-bus.{DISK_TRANSPORT}"
            ));
        }
        if let Some(nv) = drives.secure_nv {
            command.arg("-drive").arg(format!("if=pflash,unit=1,format=raw,file={}", nv.replace(',', ",,")));
        }
        command.arg("-kernel").arg(image);
        command
    }
}

const DISK_ID: &str = "disk0";

/// The image files a run attaches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Drives<'a> {
    /// A raw disk: virtio-blk on [`DISK_TRANSPORT`].
    pub disk: Option<&'a str>,
    /// The second CFI flash bank (64 MiB exactly): the storage exclave's
    /// simulated secure non-volatile memory.
    pub secure_nv: Option<&'a str>,
}

/// The size QEMU virt requires of a flash bank's image.
pub const FLASH_BANK_BYTES: u64 = 64 << 20;

/// `-drive`'s value for a raw image at `path`. QEMU splits option values at
/// commas (`,,` is a literal one), so the path's commas are doubled.
fn drive_option(path: &str) -> String {
    format!("if=none,format=raw,id={DISK_ID},file={}", path.replace(',', ",,"))
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// Makes `link` the same file as `target`: a hard link, or a copy when they
/// are on different file systems (then made anew on every run). Replaced
/// atomically, so concurrent runs never see it missing; an upgraded QEMU
/// is a new file, so the link follows it.
fn refresh_link(target: &Path, link: &Path) -> Result<(), String> {
    let wanted = fs::metadata(target).map_err(|e| format!("{}: {e}", target.display()))?;
    if let Ok(have) = fs::metadata(link) {
        if have.dev() == wanted.dev() && have.ino() == wanted.ino() {
            return Ok(());
        }
    }
    let temp = link.with_extension(format!("new-{}", std::process::id()));
    let _ = fs::remove_file(&temp);
    if fs::hard_link(target, &temp).is_err() {
        fs::copy(target, &temp).map_err(|e| format!("cannot copy {} to {}: {e}", target.display(), temp.display()))?;
    }
    fs::rename(&temp, link).map_err(|e| format!("cannot put QEMU at {}: {e}", link.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn a_disk_is_a_raw_virtio_blk_drive_on_transport_0() {
        let qemu = Qemu { binary: "q".into(), firmware: "f".into() };
        let with = args(&qemu.command(Path::new("i.elf"), 64, Console::Pipe, &Drives { disk: Some("build/a,b.img"), secure_nv: None }));
        let at = |flag: &str| with.iter().position(|a| a == flag).map(|i| with[i + 1].as_str());
        assert_eq!(at("-drive"), Some("if=none,format=raw,id=disk0,file=build/a,,b.img"));
        assert_eq!(at("-device"), Some("virtio-blk-device,drive=disk0,bus=virtio-mmio-bus.0"));
        assert_eq!(at("-global"), Some("virtio-mmio.force-legacy=false"));
        let without = args(&qemu.command(Path::new("i.elf"), 64, Console::Pipe, &Drives::default()));
        assert!(!without.iter().any(|a| a == "-drive" || a == "-device"));
    }

    #[test]
    fn secure_nv_is_the_second_flash_bank() {
        let qemu = Qemu { binary: "q".into(), firmware: "f".into() };
        let with = args(&qemu.command(Path::new("i.elf"), 64, Console::Pipe, &Drives { disk: None, secure_nv: Some("nv,1.img") }));
        let at = |flag: &str| with.iter().position(|a| a == flag).map(|i| with[i + 1].as_str());
        assert_eq!(at("-drive"), Some("if=pflash,unit=1,format=raw,file=nv,,1.img"));
        assert!(!with.iter().any(|a| a == "-device"), "no virtio device without a disk");
    }
}
