//! BSD calls (ABI.md lists each one's arguments and errors).
use xnu_abi::bsd::*;
use xnu_abi::spawn::SpawnAttr;

use crate::trap::{bsd_trap, Errno};

pub fn exit(code: i32) -> ! {
    let _ = bsd_trap(EXIT, [code as u64, 0, 0, 0, 0, 0]);
    // exit does not return; if XNU ever resumed us, stop here for good.
    loop {
        core::hint::spin_loop();
    }
}

pub fn read(fd: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    bsd_trap(READ, [fd, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]).map(|n| n as usize)
}

pub fn write(fd: u64, buf: &[u8]) -> Result<usize, Errno> {
    bsd_trap(WRITE, [fd, buf.as_ptr() as u64, buf.len() as u64, 0, 0, 0]).map(|n| n as usize)
}

/// Writes all of `buf`, in as many writes as it takes.
pub fn write_all(fd: u64, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        let n = write(fd, buf)?;
        if n == 0 {
            return Err(Errno(xnu_abi::errno::EFAULT));
        }
        buf = &buf[n.min(buf.len())..];
    }
    Ok(())
}

/// wait4(pid, &status, options): the pid reaped (0 with WNOHANG and
/// nothing to reap) and its status.
pub fn wait4(pid: i64, options: u64) -> Result<(u64, u32), Errno> {
    let mut status: u32 = 0;
    let pid = bsd_trap(WAIT4, [pid as u64, &mut status as *mut u32 as u64, options, 0, 0, 0])?;
    Ok((pid, status))
}

pub fn getpid() -> u64 {
    bsd_trap(GETPID, [0; 6]).unwrap_or(0)
}

pub fn kill(pid: i64, signal: u32) -> Result<(), Errno> {
    bsd_trap(KILL, [pid as u64, u64::from(signal), 0, 0, 0, 0]).map(|_| ())
}

pub fn thread_selfid() -> u64 {
    bsd_trap(THREAD_SELFID, [0; 6]).unwrap_or(0)
}

/// The most arguments `spawn` passes.
const MAX_ARGS: usize = 16;
/// Bytes for the NUL-terminated copies of the path and arguments.
const ARG_BYTES: usize = 1024;

/// posix_spawn of the boot-filesystem program `path` with `args` (argv[0]
/// included), and `attr` if given: the child's pid.
pub fn posix_spawn(path: &str, args: &[&str], attr: Option<&SpawnAttr>) -> Result<u64, Errno> {
    // Strings go to XNU NUL-terminated: copy them into one buffer.
    let mut bytes = [0u8; ARG_BYTES];
    let mut ptrs = [0u64; MAX_ARGS + 1];
    if args.len() > MAX_ARGS {
        return Err(Errno(xnu_abi::errno::E2BIG));
    }
    let mut used = 0;
    let mut put = |s: &str| -> Result<u64, Errno> {
        let end = used + s.len() + 1;
        if end > bytes.len() {
            return Err(Errno(xnu_abi::errno::E2BIG));
        }
        bytes[used..end - 1].copy_from_slice(s.as_bytes());
        bytes[end - 1] = 0;
        let at = bytes.as_ptr() as u64 + used as u64;
        used = end;
        Ok(at)
    };
    let path = put(path)?;
    for (i, a) in args.iter().enumerate() {
        ptrs[i] = put(a)?;
    }
    let raw = |p: *const u8| p as u64;
    let mut pid: u32 = 0;
    let attr = attr.map_or(0, |a| a as *const SpawnAttr as u64);
    spawn_raw(&mut pid as *mut u32 as u64, path, attr, raw(ptrs.as_ptr() as *const u8))?;
    Ok(u64::from(pid))
}

/// posix_spawn with raw pointers, for tests that pass bad ones.
pub fn spawn_raw(pid: u64, path: u64, attr: u64, argv: u64) -> Result<u64, Errno> {
    bsd_trap(POSIX_SPAWN, [pid, path, attr, argv, 0, 0])
}

/// One task, as `proc_list` reports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub state: u32,
    pub slot: u32,
    pub name: [u8; xnu_abi::proc::NAME_BYTES],
}

impl ProcInfo {
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(self.name.len());
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }
}

/// Fills `out` with the live tasks; returns how many there are.
pub fn proc_list(out: &mut [ProcInfo]) -> Result<usize, Errno> {
    let mut raw = [0u8; 16 * xnu_abi::proc::RECORD_BYTES];
    let n = bsd_trap(PROC_LIST, [raw.as_mut_ptr() as u64, raw.len() as u64, 0, 0, 0, 0])? as usize;
    for (i, rec) in raw.chunks_exact(xnu_abi::proc::RECORD_BYTES).take(n.min(out.len())).enumerate() {
        let word = |k: usize| u32::from_le_bytes([rec[k], rec[k + 1], rec[k + 2], rec[k + 3]]);
        out[i] = ProcInfo { pid: word(0), ppid: word(4), state: word(8), slot: word(12), ..Default::default() };
        out[i].name.copy_from_slice(&rec[16..]);
    }
    Ok(n)
}
