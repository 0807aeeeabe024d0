//! `exclaves_ctl` (ABI.md): BOOT, LOOKUP_SERVICES and ENDPOINT_CALL.
use xnu_abi::exclaves::*;
use xnu_abi::mach::EXCLAVES_CTL;

use crate::mach::KernError;
use crate::trap::mach_trap;

/// The raw trap: operation and flags as given (x1), identifier, buffer, size.
pub fn ctl(op_flags: u64, id: u64, buffer: u64, size: u64) -> u64 {
    mach_trap(EXCLAVES_CTL, [0, op_flags, id, buffer, size, 0, 0])
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
pub fn endpoint_call(id: u64, message: &mut [u8; MESSAGE_BYTES as usize]) -> Result<(), KernError> {
    kr(ctl(op_word(ENDPOINT_CALL), id, message.as_mut_ptr() as u64, MESSAGE_BYTES))
}
