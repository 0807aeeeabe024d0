//! Where the suite's lines go. A debug kernel has a console syscall; a
//! release kernel has none, so there the driver maps the PL011 and the lines
//! go straight to its registers. Only the driver prints, between tests.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use pl011::Pl011;

/// Where the driver mapped the PL011 for output; 0 while lines go to the kernel.
static UART_VADDR: AtomicU64 = AtomicU64::new(0);

/// Sends later lines to the PL011 mapped at `vaddr`.
///
/// # Safety
/// The PL011's register page must stay mapped at `vaddr` from now on.
pub(crate) unsafe fn use_uart(vaddr: u64) {
    UART_VADDR.store(vaddr, Ordering::SeqCst);
}

pub(crate) fn print(args: fmt::Arguments) {
    use fmt::Write;
    let _ = match UART_VADDR.load(Ordering::SeqCst) {
        0 => sel4::DebugWriter.write_fmt(args),
        // SAFETY: `use_uart`'s caller keeps the page mapped there.
        vaddr => unsafe { Pl011::at(vaddr) }.write_fmt(args),
    };
}

/// `println!` onto the suite's console.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;
