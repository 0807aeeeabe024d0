//! `exclaves_ctl` (ABI.md): BOOT, LOOKUP_SERVICES and ENDPOINT_CALL.
use xnu_abi::exclaves::*;
use xnu_abi::fast;
use xnu_abi::mach::EXCLAVES_CTL;

use crate::mach::KernError;
use crate::trap::mach_trap;

/// The raw trap: operation and flags as given (x1), identifier, buffer, size.
pub fn ctl(op_flags: u64, id: u64, buffer: u64, size: u64) -> u64 {
    ctl_all([0, op_flags, id, buffer, size, 0, 0])
}

/// The raw trap with every argument: name, operation and flags, identifier,
/// buffer, size, size2, offset (x0-x6, as XNU's `exclaves_ctl_trap_args`).
pub fn ctl_all(args: [u64; 7]) -> u64 {
    mach_trap(EXCLAVES_CTL, args)
}

/// `name` NUL-terminated, as the create operations read it (cut at
/// NAME_MAX bytes, so XNU sees a name it does not know).
fn name_text(name: &str) -> [u8; NAME_MAX + 1] {
    let mut text = [0u8; NAME_MAX + 1];
    let n = name.len().min(NAME_MAX);
    text[..n].copy_from_slice(&name.as_bytes()[..n]);
    text
}

/// NAMED_BUFFER_CREATE: a handle to the named buffer `name` of this task's
/// domains, `size` bytes of it, used as `perm` says (BUFFER_PERM_*).
pub fn buffer_create(name: &str, size: u64, perm: u64) -> Result<u32, KernError> {
    let text = name_text(name);
    let mut handle: u32 = 0;
    let out = &mut handle as *mut u32 as u64;
    kr(ctl_all([0, op_word(NAMED_BUFFER_CREATE), text.as_ptr() as u64, out, size, perm, 0]))?;
    Ok(handle)
}

/// SENSOR_CREATE: a handle to the sensor `name` of this task's domains.
pub fn sensor_create(name: &str) -> Result<u32, KernError> {
    let text = name_text(name);
    let mut handle: u32 = 0;
    kr(ctl_all([0, op_word(SENSOR_CREATE), text.as_ptr() as u64, &mut handle as *mut u32 as u64, 0, 0, 0]))?;
    Ok(handle)
}

/// NOTIFICATION_RESOURCE_LOOKUP: a handle to the notification `name` of
/// this task's domains, whose events `notification_wait` waits for.
pub fn notification_lookup(name: &str) -> Result<u32, KernError> {
    let text = name_text(name);
    let mut handle: u32 = 0;
    kr(ctl_all([0, op_word(NOTIFICATION_RESOURCE_LOOKUP), text.as_ptr() as u64, &mut handle as *mut u32 as u64, 0, 0, 0]))?;
    Ok(handle)
}

/// EXCLAVES_NOTIFICATION_WAIT: the handle's events in `mask` (bits), once
/// there are any or after `timeout_ms` (`ETIMEDOUT`; 0 polls, returning 0).
pub fn notification_wait(handle: u32, mask: u64, timeout_ms: u64) -> Result<u64, crate::Errno> {
    crate::bsd_trap(crate::abi::bsd::EXCLAVES_NOTIFICATION_WAIT, [u64::from(handle), mask, timeout_ms, 0, 0, 0])
}

/// LAUNCH_CONCLAVE: the conclave this task is attached to starts, from a
/// clean image.
pub fn launch_conclave() -> Result<(), KernError> {
    kr(ctl_all([0, op_word(LAUNCH_CONCLAVE), 0, 0, 0, 0, 0]))
}

/// A conclave's status, as EXCLAVES_CONCLAVE_CTL gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConclaveStatus {
    /// tightbeam::conclave::State's number.
    pub state: u32,
    pub launches: u32,
    pub crashes: u32,
    pub stop_requests: u32,
    /// The task attached to it, 0 for none.
    pub owner: u32,
}

/// EXCLAVES_CONCLAVE_CTL `op` (xnu_abi::conclave_ctl) on conclave `id`
/// (0: this task's own): its status after.
pub fn conclave_ctl(op: u64, id: u32) -> Result<ConclaveStatus, crate::Errno> {
    let mut record = [0u8; crate::abi::conclave_ctl::STATUS_BYTES as usize];
    let args = [op, u64::from(id), record.as_mut_ptr() as u64, record.len() as u64, 0, 0];
    crate::bsd_trap(crate::abi::bsd::EXCLAVES_CONCLAVE_CTL, args)?;
    let w = |i: usize| u32::from_le_bytes([record[4 * i], record[4 * i + 1], record[4 * i + 2], record[4 * i + 3]]);
    Ok(ConclaveStatus { state: w(0), launches: w(1), crashes: w(2), stop_requests: w(3), owner: w(4) })
}

/// The last crash's page of conclave `id` (0: this task's own) into `out`:
/// its length.
pub fn conclave_crash_info(id: u32, out: &mut [u8]) -> Result<usize, crate::Errno> {
    let args = [crate::abi::conclave_ctl::CRASH_INFO, u64::from(id), out.as_mut_ptr() as u64, out.len() as u64, 0, 0];
    crate::bsd_trap(crate::abi::bsd::EXCLAVES_CONCLAVE_CTL, args).map(|n| n as usize)
}

fn sensor_op(op: u64, handle: u32) -> Result<u32, KernError> {
    let mut status: u32 = 0;
    kr(ctl_all([u64::from(handle), op_word(op), 0, &mut status as *mut u32 as u64, 0, 0, 0]))?;
    Ok(status)
}

/// SENSOR_START: the sensor's status (SENSOR_STATUS_*).
pub fn sensor_start(handle: u32) -> Result<u32, KernError> {
    sensor_op(SENSOR_START, handle)
}

/// SENSOR_STOP: the sensor's status.
pub fn sensor_stop(handle: u32) -> Result<u32, KernError> {
    sensor_op(SENSOR_STOP, handle)
}

/// SENSOR_STATUS: the sensor's status.
pub fn sensor_status(handle: u32) -> Result<u32, KernError> {
    sensor_op(SENSOR_STATUS, handle)
}

/// SENSOR_MIN_ON_TIME: each sensor kind's deadline (index kind - 1), in
/// `mach_absolute_time` units, 0 once satisfied.
pub fn min_on_time() -> Result<[u64; 4], KernError> {
    let mut record = [0u8; MIN_ON_TIME_BYTES as usize];
    record[..4].copy_from_slice(&MIN_ON_TIME_VERSION.to_le_bytes());
    kr(ctl_all([0, op_word(SENSOR_MIN_ON_TIME), 0, record.as_mut_ptr() as u64, MIN_ON_TIME_BYTES, 0, 0]))?;
    let mut deadlines = [0u64; 4];
    for (i, d) in deadlines.iter_mut().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&record[8 + 8 * i..16 + 8 * i]);
        *d = u64::from_le_bytes(word);
    }
    Ok(deadlines)
}

/// AUDIO_BUFFER_CREATE: a handle to the arbitrated audio buffer `name`,
/// `size` bytes of it, read only.
pub fn audio_create(name: &str, size: u64) -> Result<u32, KernError> {
    let text = name_text(name);
    let mut handle: u32 = 0;
    kr(ctl_all([0, op_word(AUDIO_BUFFER_CREATE), text.as_ptr() as u64, &mut handle as *mut u32 as u64, size, 0, 0]))?;
    Ok(handle)
}

/// AUDIO_BUFFER_COPYOUT: the buffer's two ranges into `bytes`, back to
/// back, as the indicator controller let them through (samples while the
/// microphone delivers, zeros otherwise); the microphone's status. The
/// status goes in x7, XNU's eighth argument, so this is the trap without
/// the hint.
pub fn audio_copyout(handle: u32, bytes: &mut [u8], (size1, offset1): Range, (size2, offset2): Range) -> Result<u32, KernError> {
    if size1.checked_add(size2).is_none_or(|total| total > bytes.len() as u64) {
        return Err(KernError(xnu_abi::kern::KERN_INVALID_ARGUMENT));
    }
    let mut status: u32 = 0;
    let args = [u64::from(handle), op_word(AUDIO_BUFFER_COPYOUT), offset1, bytes.as_mut_ptr() as u64, size1, size2, offset2];
    kr(audio_trap(args, &mut status as *mut u32 as u64))?;
    Ok(status)
}

/// exclaves_ctl with x7, the status address of AUDIO_BUFFER_COPYOUT.
pub fn audio_trap(args: [u64; 7], status: u64) -> u64 {
    let [a0, a1, a2, a3, a4, a5, a6] = args;
    crate::trap::mach_trap8(EXCLAVES_CTL, [a0, a1, a2, a3, a4, a5, a6, status])
}

/// A range of a named buffer: (size, offset).
pub type Range = (u64, u64);

/// NAMED_BUFFER_COPYIN: `bytes` (range 1's, then range 2's) into the
/// buffer at the two ranges; a second range of size 0 copies nothing.
pub fn buffer_copyin(handle: u32, bytes: &[u8], first: Range, second: Range) -> Result<(), KernError> {
    copy(NAMED_BUFFER_COPYIN, handle, bytes.as_ptr() as u64, bytes.len(), first, second)
}

/// NAMED_BUFFER_COPYOUT: the buffer's two ranges into `bytes`, back to back.
pub fn buffer_copyout(handle: u32, bytes: &mut [u8], first: Range, second: Range) -> Result<(), KernError> {
    copy(NAMED_BUFFER_COPYOUT, handle, bytes.as_mut_ptr() as u64, bytes.len(), first, second)
}

/// As the fast call when both ranges fit its words, else as the trap.
/// `len` is the caller's slice: XNU would copy as much as the sizes say,
/// so sizes past it are refused here (`ctl_all` sends any).
fn copy(op: u64, handle: u32, buffer: u64, len: usize, (size1, offset1): Range, (size2, offset2): Range) -> Result<(), KernError> {
    if size1.checked_add(size2).is_none_or(|total| total > len as u64) {
        return Err(KernError(xnu_abi::kern::KERN_INVALID_ARGUMENT));
    }
    let label = if op == NAMED_BUFFER_COPYIN { fast::BUFFER_COPYIN } else { fast::BUFFER_COPYOUT };
    if let (Some(first), Some(second)) = (fast::range(size1, offset1), fast::range(size2, offset2)) {
        match crate::trap::fast_call(label, &[u64::from(handle), buffer, first, second]) {
            fast::USE_TRAP => {}
            result => return kr(result),
        }
    }
    copy_trap(op, handle, buffer, (size1, offset1), (size2, offset2))
}

/// The copy through the `exclaves_ctl` trap alone.
fn copy_trap(op: u64, handle: u32, buffer: u64, (size1, offset1): Range, (size2, offset2): Range) -> Result<(), KernError> {
    kr(ctl_all([u64::from(handle), op_word(op), offset1, buffer, size1, size2, offset2]))
}

/// NAMED_BUFFER_COPYOUT through the trap alone (as raw svc code makes it).
pub fn buffer_copyout_trap(handle: u32, bytes: &mut [u8], first: Range, second: Range) -> Result<(), KernError> {
    if first.0.checked_add(second.0).is_none_or(|total| total > bytes.len() as u64) {
        return Err(KernError(xnu_abi::kern::KERN_INVALID_ARGUMENT));
    }
    copy_trap(NAMED_BUFFER_COPYOUT, handle, bytes.as_mut_ptr() as u64, first, second)
}

fn kr(value: u64) -> Result<(), KernError> {
    if value == 0 {
        Ok(())
    } else {
        Err(KernError(value))
    }
}

/// Raises the boot stage (EXCLAVECORE, then EXCLAVEKIT).
pub fn boot(stage: u64) -> Result<(), KernError> {
    kr(ctl(op_word(BOOT), stage, 0, 0))
}

/// The id of the service `name` in this task's domains.
pub fn lookup(name: &str) -> Result<u64, KernError> {
    let mut record = [0u8; LOOKUP_RECORD_BYTES as usize];
    let n = name.len().min(LOOKUP_NAME_BYTES - 1);
    record[..n].copy_from_slice(&name.as_bytes()[..n]);
    kr(ctl(op_word(LOOKUP_SERVICES), 0, record.as_mut_ptr() as u64, LOOKUP_RECORD_BYTES))?;
    let mut id = [0u8; 8];
    id.copy_from_slice(&record[LOOKUP_NAME_BYTES..]);
    Ok(u64::from_le_bytes(id))
}

/// Sends the tightbeam `message` to service `id`; its reply replaces it.
/// It goes as the fast call, and as the trap when XNU says so (before
/// EXCLAVECORE, when the call waits for it).
pub fn endpoint_call(id: u64, message: &mut [u8; MESSAGE_BYTES as usize]) -> Result<(), KernError> {
    let buffer = message.as_mut_ptr() as u64;
    match crate::trap::fast_call(fast::ENDPOINT_CALL, &[id, buffer, MESSAGE_BYTES]) {
        fast::USE_TRAP => endpoint_call_trap(id, message),
        result => kr(result),
    }
}

/// The same through the `exclaves_ctl` trap alone.
pub fn endpoint_call_trap(id: u64, message: &mut [u8; MESSAGE_BYTES as usize]) -> Result<(), KernError> {
    kr(ctl(op_word(ENDPOINT_CALL), id, message.as_mut_ptr() as u64, MESSAGE_BYTES))
}

/// ENDPOINT_CALL to a service that makes upcalls (secure storage), with
/// the call's data: `len` bytes at `data`, which XNU reads or writes as the
/// service asks (x5, x6: our extension, ABI.md), so the caller knows
/// which: the storage service reads a put's and writes a get's. Always the
/// trap: such a call waits for XNU's disk.
pub fn endpoint_call_with_data(id: u64, message: &mut [u8; MESSAGE_BYTES as usize], data: *mut u8, len: usize) -> Result<(), KernError> {
    let message = message.as_mut_ptr() as u64;
    kr(ctl_all([0, op_word(ENDPOINT_CALL), id, message, MESSAGE_BYTES, data as u64, len as u64]))
}

/// One resource of the table XNU booted, as `list` reports it.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    pub domain: [u8; LIST_DOMAIN_BYTES],
    pub name: [u8; LIST_NAME_BYTES],
    pub kind: u32,
    pub connected: bool,
    pub id: u64,
}

impl Default for Resource {
    fn default() -> Self {
        Resource { domain: [0; LIST_DOMAIN_BYTES], name: [0; LIST_NAME_BYTES], kind: 0, connected: false, id: 0 }
    }
}

fn text(field: &[u8]) -> &str {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    core::str::from_utf8(&field[..len]).unwrap_or("?")
}

impl Resource {
    pub fn domain(&self) -> &str {
        text(&self.domain)
    }
    pub fn name(&self) -> &str {
        text(&self.name)
    }
    /// The type's name (EXCLAVES.md), as the table numbers them.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            1 => "CONCLAVE_MANAGER",
            2 => "SERVICE",
            3 => "SHARED_MEMORY",
            4 => "ARBITRATED_AUDIO_MEMORY",
            5 => "SENSOR",
            6 => "NOTIFICATION",
            _ => "?",
        }
    }
}

/// The most records `list` reads in one call.
pub const LIST_MAX: usize = 32;

/// Fills `out` with the table's resources; returns how many there are.
pub fn list(out: &mut [Resource]) -> Result<usize, crate::Errno> {
    // Room for as many records as `out` takes, up to LIST_MAX.
    let mut raw = [0u8; LIST_MAX * LIST_RECORD_BYTES];
    let room = out.len().min(LIST_MAX) * LIST_RECORD_BYTES;
    let raw = &mut raw[..room];
    let n = crate::bsd_trap(xnu_abi::bsd::EXCLAVES_LIST, [raw.as_mut_ptr() as u64, raw.len() as u64, 0, 0, 0, 0])? as usize;
    for (slot, rec) in out.iter_mut().zip(raw.chunks_exact(LIST_RECORD_BYTES).take(n)) {
        let at = LIST_DOMAIN_BYTES + LIST_NAME_BYTES;
        let word = |k: usize| u32::from_le_bytes([rec[k], rec[k + 1], rec[k + 2], rec[k + 3]]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&rec[at + 8..at + 16]);
        slot.domain.copy_from_slice(&rec[..LIST_DOMAIN_BYTES]);
        slot.name.copy_from_slice(&rec[LIST_DOMAIN_BYTES..at]);
        *slot = Resource { kind: word(at), connected: word(at + 4) != 0, id: u64::from_le_bytes(id), ..*slot };
    }
    Ok(n)
}
