//! The monitor: the root task. It reads the spec `microkit-tool build`
//! embedded in its image, builds every protection domain exactly as the spec
//! says (see `system.rs`), starts them, and then serves as the fault handler
//! of every top-level PD, reporting each fault with the PD's name.
#![no_std]
#![no_main]

extern crate alloc;

mod faults;
mod objects;
mod system;

use core::fmt;

use monitor_spec::{Spec, SpecError};
use sel4_root_task::{halt, root_task};

root_task!(main);

/// A console line of the monitor's. A monitor built with `MONITOR_LOG_SEAL`
/// (the attack suite's) ends each with ` [seal TOKEN]`, a build-time token no
/// PD under test has, so the harness knows these lines are the monitor's.
macro_rules! say {
    ($($arg:tt)*) => {
        match option_env!("MONITOR_LOG_SEAL") {
            Some(seal) => sel4_root_task::debug_println!("{} [seal {}]", format_args!($($arg)*), seal),
            None => sel4_root_task::debug_println!($($arg)*),
        }
    };
}
pub(crate) use say;

/// Where the tool put the spec: `[vaddr, len]`, patched into this symbol by
/// `microkit-tool build`. Zero means the image was not built by the tool.
#[no_mangle]
#[used]
static MONITOR_SPEC_LOCATION: [u64; 2] = [0, 0];

/// Everything that can stop the monitor from building the system.
#[derive(Debug, Clone, Copy)]
pub enum MonitorError {
    NoSpec,
    Spec(SpecError),
    OutOfSlots,
    OutOfMemory { bytes: u64 },
    PhysUnavailable { paddr: u64, size: u64 },
    Kernel { what: &'static str, error: sel4::Error },
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::NoSpec => write!(f, "no system spec in this image (was it built by `microkit-tool build`?)"),
            MonitorError::Spec(e) => write!(f, "system spec refused: {e}"),
            MonitorError::OutOfSlots => write!(f, "out of capability slots in the monitor's CNode"),
            MonitorError::OutOfMemory { bytes } => write!(f, "out of memory: no untyped has {bytes:#x} bytes free"),
            MonitorError::PhysUnavailable { paddr, size } => {
                write!(f, "physical range {paddr:#x}+{size:#x} is not free memory the kernel gave us")
            }
            MonitorError::Kernel { what, error } => write!(f, "{what} failed: {error:?}"),
        }
    }
}

fn spec_bytes() -> Result<&'static [u8], MonitorError> {
    // SAFETY: a plain read of our own static; volatile so the compiler cannot
    // assume the zeros it was compiled with (the tool patches the value).
    let [vaddr, len] = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(MONITOR_SPEC_LOCATION)) };
    if vaddr == 0 || len == 0 {
        return Err(MonitorError::NoSpec);
    }
    // SAFETY: the tool placed a read-only loadable segment of exactly `len`
    // bytes at `vaddr` in this image, and the kernel mapped the whole image
    // for the root task before starting it; nothing writes it afterwards.
    Ok(unsafe { core::slice::from_raw_parts(vaddr as *const u8, len as usize) })
}

fn main(bootinfo: &'static sel4::BootInfo) -> ! {
    let spec = match spec_bytes().and_then(|b| Spec::parse(b).map_err(MonitorError::Spec)) {
        Ok(spec) => spec,
        Err(e) => {
            say!("monitor: error: {e}");
            halt()
        }
    };
    say!("monitor: spec v{} with {} PDs, {} regions", spec.header().version, spec.pd_count(), spec.region_count());
    let system = match system::build(&spec, bootinfo) {
        Ok(system) => system,
        Err((what, e)) => {
            say!("monitor: error: building {what}: {e}");
            halt()
        }
    };
    faults::serve(&spec, &system)
}
