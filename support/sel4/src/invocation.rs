//! The one path every generated invocation method takes to the kernel.

use core::ptr::addr_of_mut;

use crate::generated::InvocationLabel;
use crate::ipc_buffer::{ipc_buffer_ptr, MSG_MAX_EXTRA_CAPS};
use crate::{CPtr, Cap, Error, MessageInfo, Result};

/// Calls `service` with `label`, message words `words` and extra caps `caps`;
/// on success copies the first `reply.len()` reply words into `reply`.
pub(crate) fn invoke(
    service: CPtr,
    label: InvocationLabel,
    words: &[u64],
    caps: &[CPtr],
    reply: &mut [u64],
) -> Result<()> {
    // The generator sizes these from the kernel's interface; exceeding them is a bug there.
    assert!(words.len() <= crate::consts::MSG_MAX_LENGTH as usize && caps.len() <= MSG_MAX_EXTRA_CAPS);
    let buf = ipc_buffer_ptr();
    // SAFETY: this thread's IPC buffer, written and read field by field.
    unsafe {
        for (i, &w) in words.iter().enumerate() {
            addr_of_mut!((*buf).msg[i]).write(w);
        }
        for (i, &c) in caps.iter().enumerate() {
            addr_of_mut!((*buf).caps_or_badges[i]).write(c.bits());
        }
    }
    let info = MessageInfo::new(label as u64, 0, caps.len() as u64, words.len() as u64);
    let answer = Cap::<crate::cap_type::Endpoint>::from_cptr(service).call(info);
    Error::check(answer.label())?;
    for (i, out) in reply.iter_mut().enumerate() {
        // SAFETY: as above.
        *out = unsafe { addr_of_mut!((*buf).msg[i]).read() };
    }
    Ok(())
}
