//! Rust bindings for the seL4 5.0.0 API on AArch64, shaped like rust-sel4:
//! typed capabilities (`Cap<cap_type::Tcb>`), invocations as
//! `<object>_<operation>` methods returning `Result`, and the raw ABI
//! (invocation labels, object types, syscall numbers, bitfields, fault
//! layouts) generated at build time from the kernel's own interface files by
//! `sel4-bindgen`. Nothing ABI-specific is hand-copied here.
#![no_std]

#[allow(clippy::all, dead_code, non_camel_case_types, non_snake_case, non_upper_case_globals)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/sel4_generated.rs"));
}

mod bootinfo;
mod cap;
mod debug;
mod error;
mod fault;
mod invocation;
mod ipc_buffer;
mod message_info;
mod syscalls;
mod types;

pub use bootinfo::{BootInfo, SlotRegion, UntypedDesc};
pub use cap::{cap_type, init_thread, CPtr, Cap, CapType};
pub use debug::{debug_name_thread, debug_put_char, DebugWriter, DEBUG_BUILD};
pub use error::{Error, Result};
pub use fault::Fault;
pub use generated::{config, consts, fault as fault_layout, InvocationLabel, ObjectType, UserContext};
pub use ipc_buffer::{with_ipc_buffer, IpcBuffer};
pub use message_info::MessageInfo;
pub use syscalls::{r#yield, reply, Badge};
pub use types::{CapRights, CapData, PrioProps, VmAttributes};

/// A machine word: the unit of message registers and addresses.
pub type Word = u64;

/// Raw access to everything the generator produced, for code that needs an
/// item not re-exported above.
pub mod sys {
    pub use crate::generated::*;
}
