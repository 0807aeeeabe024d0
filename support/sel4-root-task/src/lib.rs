//! Runtime for an seL4 root task: the kernel starts the root task at its ELF
//! entry with x0 = bootinfo address and no stack. This crate supplies the
//! entry point, a stack, a heap, a panic handler, and `root_task!` to name
//! the program's main function.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! sel4_root_task::root_task!(main);
//! fn main(bootinfo: &sel4::BootInfo) -> ! { ... }
//! ```
#![no_std]

pub use sel4;
pub use sel4::{debug_print, debug_println};

use core::panic::PanicInfo;

use linked_list_allocator::LockedHeap;

/// Stack of the initial thread.
const STACK_SIZE: usize = 256 * 1024;
/// Heap for `alloc`; the root task's first real job is to take untyped memory.
const HEAP_SIZE: usize = 1024 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

static mut STACK: Stack = Stack([0; STACK_SIZE]);
static mut HEAP: [u8; HEAP_SIZE] = [0; HEAP_SIZE];

#[global_allocator]
static ALLOCATOR: LockedHeap = LockedHeap::empty();

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "adrp x9, {stack}",
    "add x9, x9, :lo12:{stack}",
    "ldr x10, ={size}",
    "add sp, x9, x10",
    "b {start}",
    stack = sym STACK,
    size = const STACK_SIZE,
    start = sym rust_start,
);

extern "Rust" {
    /// Defined by `root_task!`.
    fn __sel4_root_task_main(bootinfo: &'static sel4::BootInfo) -> !;
}

unsafe extern "C" fn rust_start(bootinfo: *const sel4::BootInfo) -> ! {
    // SAFETY: runs once, before anything allocates; HEAP is used by nothing else.
    unsafe { ALLOCATOR.lock().init(core::ptr::addr_of_mut!(HEAP).cast(), HEAP_SIZE) };
    // SAFETY: the kernel maps the bootinfo frame read-only at this address for
    // the root task's whole life.
    unsafe { __sel4_root_task_main(&*bootinfo) }
}

/// Names the root task's main function: `fn(&'static sel4::BootInfo) -> !`.
#[macro_export]
macro_rules! root_task {
    ($main:path) => {
        #[no_mangle]
        fn __sel4_root_task_main(bootinfo: &'static $crate::sel4::BootInfo) -> ! {
            let main: fn(&'static $crate::sel4::BootInfo) -> ! = $main;
            main(bootinfo)
        }
    };
}

/// Stops this thread for good: it suspends itself (nothing else in the root
/// task runs afterwards).
pub fn halt() -> ! {
    let _ = sel4::init_thread::TCB.tcb_suspend();
    // Suspend cannot fail on our own valid TCB cap; if it did, spin quietly.
    loop {
        sel4::r#yield();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    debug_println!("root-task: {info}");
    halt()
}

/// Maps `frame` at `vaddr` in the root task's VSpace, creating any missing
/// paging structure with `new_object` (which retypes one object of the given
/// type and returns its slot).
pub fn map_frame(
    frame: sel4::Cap<sel4::cap_type::Page>,
    vaddr: sel4::Word,
    rights: sel4::CapRights,
    attrs: sel4::VmAttributes,
    new_object: &mut dyn FnMut(sel4::ObjectType) -> sel4::Result<sel4::Word>,
) -> sel4::Result<()> {
    map_frame_in(sel4::init_thread::VSPACE, frame, vaddr, rights, attrs, new_object)
}

/// Maps `frame` at `vaddr` in `vspace`, as `map_frame` does for our own.
pub fn map_frame_in(
    vspace: sel4::Cap<sel4::cap_type::PageGlobalDirectory>,
    frame: sel4::Cap<sel4::cap_type::Page>,
    vaddr: sel4::Word,
    rights: sel4::CapRights,
    attrs: sel4::VmAttributes,
    new_object: &mut dyn FnMut(sel4::ObjectType) -> sel4::Result<sel4::Word>,
) -> sel4::Result<()> {
    use sel4::cap_type::{PageDirectory, PageTable, PageUpperDirectory};
    use sel4::{Cap, Error, ObjectType};
    let vspace = vspace.cptr();
    const LEVELS: [ObjectType; 3] =
        [ObjectType::PageTable, ObjectType::PageDirectory, ObjectType::PageUpperDirectory];
    let map_level = |level: usize, slot: sel4::Word| match level {
        0 => Cap::<PageTable>::from_bits(slot).page_table_map(vspace, vaddr, attrs),
        1 => Cap::<PageDirectory>::from_bits(slot).page_directory_map(vspace, vaddr, attrs),
        _ => Cap::<PageUpperDirectory>::from_bits(slot).page_upper_directory_map(vspace, vaddr, attrs),
    };
    // Objects made for a level that turned out not to be the missing one are
    // kept for the next round, so each level costs exactly one object.
    let mut spare: [Option<sel4::Word>; 3] = [None; 3];
    loop {
        match frame.page_map(vspace, vaddr, rights, attrs) {
            Err(Error::FailedLookup) => {}
            done => return done,
        }
        // Add the deepest missing level; a FailedLookup there means the level
        // above is missing too, so go up until one maps.
        for (level, ty) in LEVELS.into_iter().enumerate() {
            let slot = match spare[level].take() {
                Some(slot) => slot,
                None => new_object(ty)?,
            };
            match map_level(level, slot) {
                Err(Error::FailedLookup) if level + 1 < LEVELS.len() => spare[level] = Some(slot),
                done => {
                    done?;
                    break;
                }
            }
        }
    }
}

/// A new thread in the root task's CSpace and VSpace: where it starts and
/// with what. The caller creates the TCB, stack and IPC buffer frame.
pub struct ThreadStart {
    pub tcb: sel4::Cap<sel4::cap_type::Tcb>,
    /// Fault endpoint CPtr (0: none, faults are printed by a debug kernel).
    pub fault_ep: sel4::Word,
    pub mcp: u8,
    pub priority: u8,
    pub ipc_buffer: sel4::Word,
    pub ipc_buffer_frame: sel4::CPtr,
    pub pc: sel4::Word,
    pub sp: sel4::Word,
    /// x0, x1, x2 at entry.
    pub args: [sel4::Word; 3],
    pub resume: bool,
}

/// Configures the thread and sets its registers; it runs once resumed.
pub fn start_thread(t: &ThreadStart) -> sel4::Result<()> {
    t.tcb.tcb_configure(
        t.fault_ep,
        sel4::PrioProps::new(sel4::Word::from(t.mcp), sel4::Word::from(t.priority)),
        sel4::init_thread::CNODE,
        sel4::CapData::none(),
        sel4::init_thread::VSPACE.cast(),
        sel4::CapData::none(),
        t.ipc_buffer,
        t.ipc_buffer_frame,
    )?;
    let [x0, x1, x2] = t.args;
    let regs = sel4::UserContext { pc: t.pc, sp: t.sp, x0, x1, x2, ..Default::default() };
    t.tcb.tcb_write_registers(t.resume, 0, sel4::sys::USER_CONTEXT_WORDS as sel4::Word, &regs)
}
