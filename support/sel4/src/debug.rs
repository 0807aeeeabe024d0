//! Debug syscalls. They exist only in debug kernels (CONFIG_DEBUG_BUILD); on
//! other kernels these functions do nothing rather than raise an
//! unknown-syscall fault.

use core::fmt;

use crate::cap::cap_type::Tcb;
use crate::Cap;

/// Whether the kernel is a debug build (CONFIG_DEBUG_BUILD), so that
/// `debug_put_char` reaches a console.
pub const DEBUG_BUILD: bool = cfg!(sel4_debug_build);

/// Writes one byte to the kernel's console.
pub fn debug_put_char(c: u8) {
    #[cfg(sel4_debug_build)]
    // SAFETY: DebugPutChar reads x0 only.
    unsafe {
        core::arch::asm!("svc #0", in("x7") crate::generated::syscall::DEBUG_PUT_CHAR, in("x0") c as u64, options(nostack));
    }
    #[cfg(not(sel4_debug_build))]
    let _ = c;
}

/// Gives a thread a name the kernel uses in its fault messages.
pub fn debug_name_thread(tcb: Cap<Tcb>, name: &str) {
    #[cfg(sel4_debug_build)]
    {
        let buf = crate::ipc_buffer::ipc_buffer_ptr().cast::<u8>();
        // The name goes into the message words, NUL-terminated and truncated to fit.
        let offset = core::mem::offset_of!(crate::IpcBuffer, msg);
        let room = core::mem::size_of::<[crate::Word; crate::consts::MSG_MAX_LENGTH as usize]>() - 1;
        let bytes = &name.as_bytes()[..name.len().min(room)];
        // SAFETY: the copy stays inside the IPC buffer's `msg` array.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.add(offset), bytes.len());
            buf.add(offset + bytes.len()).write(0);
            core::arch::asm!("svc #0", in("x7") crate::generated::syscall::DEBUG_NAME_THREAD,
                in("x0") tcb.bits(), in("x1") 0u64, options(nostack));
        }
    }
    #[cfg(not(sel4_debug_build))]
    let _ = (tcb, name);
}

/// `fmt::Write` onto the kernel console.
pub struct DebugWriter;

impl fmt::Write for DebugWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(debug_put_char);
        Ok(())
    }
}

#[macro_export]
macro_rules! debug_print {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::DebugWriter, $($arg)*);
    }};
}

#[macro_export]
macro_rules! debug_println {
    () => { $crate::debug_print!("\n") };
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::DebugWriter, $($arg)*);
    }};
}
