//! Mach traps (ABI.md): ports are names in the task's own port space.
use xnu_abi::mach::*;
use xnu_abi::port::HEADER_BYTES;

use crate::trap::mach_trap;

/// A `kern_return_t` other than success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernError(pub u64);

fn kr(value: u64) -> Result<(), KernError> {
    if value == 0 {
        Ok(())
    } else {
        Err(KernError(value))
    }
}

/// Counter ticks since boot.
pub fn mach_absolute_time() -> u64 {
    mach_trap(MACH_ABSOLUTE_TIME, [0; 7])
}

/// `mach_timebase_info`: nanoseconds = ticks * numer / denom.
pub fn mach_timebase_info() -> Result<(u32, u32), KernError> {
    let mut info = [0u32; 2];
    kr(mach_trap(MACH_TIMEBASE_INFO, [info.as_mut_ptr() as u64, 0, 0, 0, 0, 0, 0]))?;
    Ok((info[0], info[1]))
}

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    let (numer, denom) = mach_timebase_info().unwrap_or((1, 1));
    (u128::from(mach_absolute_time()) * u128::from(numer) / u128::from(denom.max(1))) as u64
}

/// Sleeps `ms` milliseconds.
pub fn sleep_ms(ms: u64) -> Result<(), KernError> {
    let (numer, denom) = mach_timebase_info()?;
    let ticks = u128::from(ms) * 1_000_000 * u128::from(denom) / u128::from(numer.max(1));
    mach_wait_until(mach_absolute_time().saturating_add(ticks as u64))
}

/// Blocks until `mach_absolute_time()` reaches `deadline`.
pub fn mach_wait_until(deadline: u64) -> Result<(), KernError> {
    kr(mach_trap(MACH_WAIT_UNTIL, [deadline, 0, 0, 0, 0, 0, 0]))
}

/// A new port with its receive right (and a send-once right may be made
/// from it); the name, or 0 if none could be made.
pub fn mach_reply_port() -> u32 {
    mach_trap(MACH_REPLY_PORT, [0; 7]) as u32
}

/// A send right to this task's own task port.
pub fn task_self() -> u32 {
    mach_trap(TASK_SELF_TRAP, [0; 7]) as u32
}

pub fn port_allocate(task: u32, right: u64) -> Result<u32, KernError> {
    let mut name: u32 = 0;
    kr(mach_trap(MACH_PORT_ALLOCATE, [u64::from(task), right, &mut name as *mut u32 as u64, 0, 0, 0, 0]))?;
    Ok(name)
}

pub fn port_deallocate(task: u32, name: u32) -> Result<(), KernError> {
    kr(mach_trap(MACH_PORT_DEALLOCATE, [u64::from(task), u64::from(name), 0, 0, 0, 0, 0]))
}

pub fn port_mod_refs(task: u32, name: u32, right: u64, delta: i64) -> Result<(), KernError> {
    kr(mach_trap(MACH_PORT_MOD_REFS, [u64::from(task), u64::from(name), right, delta as u64, 0, 0, 0]))
}

/// `mach_msg_header_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    pub bits: u32,
    pub size: u32,
    pub remote_port: u32,
    pub local_port: u32,
    pub voucher_port: u32,
    pub id: i32,
}

/// The header's bits for a remote and a local disposition.
pub const fn msgh_bits(remote: u32, local: u32) -> u32 {
    remote | (local << 8)
}

/// A message: a header and up to 256 inline bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Message {
    pub header: Header,
    pub body: [u8; 256],
}

impl Default for Message {
    fn default() -> Self {
        Message { header: Header::default(), body: [0; 256] }
    }
}

impl Message {
    /// A message to `remote` with `body` (at most 256 bytes are kept),
    /// zero-padded to a multiple of 4 bytes as Mach sizes are.
    pub fn new(remote: u32, disposition: u32, id: i32, body: &[u8]) -> Self {
        let mut m = Message::default();
        let n = body.len().min(m.body.len());
        m.body[..n].copy_from_slice(&body[..n]);
        let size = (HEADER_BYTES + n).next_multiple_of(4) as u32;
        m.header = Header { bits: msgh_bits(disposition, 0), size, remote_port: remote, local_port: 0, voucher_port: 0, id };
        m
    }
    pub fn body(&self) -> &[u8] {
        let n = (self.header.size as usize).saturating_sub(HEADER_BYTES).min(self.body.len());
        &self.body[..n]
    }
}

/// mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout, notify).
pub fn mach_msg_raw(msg: u64, option: u64, send_size: u64, rcv_size: u64, rcv_name: u32, timeout: u64) -> u64 {
    mach_trap(MACH_MSG, [msg, option, send_size, rcv_size, u64::from(rcv_name), timeout, 0])
}

pub fn send(msg: &Message) -> Result<(), KernError> {
    let size = u64::from(msg.header.size);
    kr(mach_msg_raw(msg as *const Message as u64, xnu_abi::port::MACH_SEND_MSG, size, 0, 0, 0))
}

/// Receives on `port` into `msg`, blocking until a message comes (or for
/// at most `timeout_ms` if given, 0 meaning poll).
pub fn receive(msg: &mut Message, port: u32, timeout_ms: Option<u64>) -> Result<(), KernError> {
    let mut option = xnu_abi::port::MACH_RCV_MSG;
    if timeout_ms.is_some() {
        option |= xnu_abi::port::MACH_RCV_TIMEOUT;
    }
    let size = core::mem::size_of::<Message>() as u64;
    kr(mach_msg_raw(msg as *mut Message as u64, option, 0, size, port, timeout_ms.unwrap_or(0)))
}
