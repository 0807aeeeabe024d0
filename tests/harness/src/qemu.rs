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

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const QEMU_BINARY: &str = "qemu-system-aarch64";

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

    /// QEMU `virt` (Cortex-A53, `ram_mb` MiB) booting `image`, no default devices.
    pub fn command(&self, image: &Path, ram_mb: u32, console: Console) -> Command {
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
        command.arg("-kernel").arg(image);
        command
    }
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
