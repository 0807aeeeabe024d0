//! Bare-metal side of the loader (AArch64 only).

#[macro_use]
mod uart;
mod entry;
mod mmu;

use core::panic::PanicInfo;
use sel4_loader::elf::Elf;
use sel4_loader::plan::{plan, BootPlan, Machine, Region};

/// The images this loader boots, embedded at build time (see build.rs).
static KERNEL_IMAGE: &[u8] = include_bytes!(env!("LOADER_KERNEL_ELF"));
static ROOT_TASK_IMAGE: &[u8] = include_bytes!(env!("LOADER_ROOT_TASK_ELF"));

const RAM_BASE: u64 = 0x4000_0000;
/// RAM size from the kernel config (`CONFIG_QEMU_VIRT_RAM_MB`), passed in by build.rs.
const RAM_SIZE: u64 = parse_u64(env!("LOADER_RAM_MB")) << 20;
/// Where seL4 5.0.0's AArch64 kernel is linked, and the start of RAM it maps there.
const KERNEL_VIRT_BASE: u64 = 0xffff_ff80_0000_0000;

const fn parse_u64(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u64;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "LOADER_RAM_MB must be a decimal number");
        v = v * 10 + (b[i] - b'0') as u64;
        i += 1;
    }
    v
}

extern "C" {
    static __loader_start: u8;
    static __loader_end: u8;
}

/// Stops the CPU for good; used after any failure.
pub fn halt() -> ! {
    loop {
        // SAFETY: `wfe` only waits; interrupts are masked so nothing resumes us usefully.
        unsafe { core::arch::asm!("wfe") };
    }
}

fn fail(what: &str, why: &dyn core::fmt::Display) -> ! {
    println!("loader: error: {what}: {why}");
    println!("loader: halting; nothing was started");
    halt()
}

/// Called from `entry.rs` at EL1 with a stack, `.bss` zeroed and FP enabled.
#[no_mangle]
extern "C" fn loader_main(entered_el: u64) -> ! {
    match entered_el {
        1 => println!("loader: entered at EL1"),
        2 => println!("loader: entered at EL2, dropped to EL1"),
        el => fail("exception level", &format_args!("entered at EL{el}; seL4 5.0.0 needs EL1 (or EL2 to drop from)")),
    }

    // SAFETY: the linker script defines both symbols; only their addresses are used.
    let loader = unsafe {
        Region {
            start: &__loader_start as *const u8 as u64,
            end: &__loader_end as *const u8 as u64,
        }
    };
    let machine = Machine {
        ram: Region { start: RAM_BASE, end: RAM_BASE + RAM_SIZE },
        loader,
        kernel_virt_base: KERNEL_VIRT_BASE,
        kernel_phys_base: RAM_BASE,
    };
    println!("loader: RAM {}, loader at {}", machine.ram, machine.loader);

    let kernel = Elf::parse(KERNEL_IMAGE).unwrap_or_else(|e| fail("kernel ELF", &e));
    let root_task = Elf::parse(ROOT_TASK_IMAGE).unwrap_or_else(|e| fail("root task ELF", &e));
    let boot = plan(&kernel, &root_task, &machine).unwrap_or_else(|e| fail("placing images", &e));
    println!(
        "loader: kernel ELF ({} bytes) -> phys {}, entry {:#x}",
        KERNEL_IMAGE.len(),
        boot.kernel_phys,
        boot.kernel_entry
    );
    println!(
        "loader: root task ELF ({} bytes) virt {} -> phys {}, entry {:#x}",
        ROOT_TASK_IMAGE.len(),
        boot.user_virt,
        boot.user_phys,
        boot.user_entry
    );

    mmu::enable(&machine);
    println!("loader: MMU on: TTBR0 identity map, TTBR1 kernel window {KERNEL_VIRT_BASE:#x} -> {RAM_BASE:#x}");

    // SAFETY: `plan` checked that both destinations lie in RAM, outside the
    // loader, and (through the identity map) are mapped normal memory.
    unsafe {
        for seg in kernel.segments() {
            copy_segment(seg.paddr, seg.data, seg.mem_size);
        }
        zero(boot.user_phys.start, boot.user_phys.len());
        for seg in root_task.segments() {
            let phys = seg.vaddr.wrapping_add(boot.pv_offset as u64);
            copy_segment(phys, seg.data, seg.mem_size);
        }
        mmu::sync_icache(boot.kernel_phys);
        mmu::sync_icache(boot.user_phys);
    }
    println!("loader: copied kernel and root task");

    jump(&boot)
}

/// # Safety
/// `dest..dest + mem_size` must be mapped, writable and not in use.
unsafe fn copy_segment(dest: u64, data: &[u8], mem_size: u64) {
    core::ptr::copy_nonoverlapping(data.as_ptr(), dest as *mut u8, data.len());
    zero(dest + data.len() as u64, mem_size - data.len() as u64);
}

/// # Safety
/// `dest..dest + len` must be mapped, writable and not in use.
unsafe fn zero(dest: u64, len: u64) {
    core::ptr::write_bytes(dest as *mut u8, 0, len as usize);
}

fn jump(boot: &BootPlan) -> ! {
    println!(
        "loader: jumping to seL4 at {:#x} (x0={:#x} x1={:#x} x2={:#x} x3={:#x})",
        boot.kernel_entry, boot.user_phys.start, boot.user_phys.end, boot.pv_offset, boot.user_entry
    );
    uart::flush();
    // SAFETY: the kernel image is in place and mapped by TTBR1 at its link
    // address, interrupts are masked and the MMU is on, as seL4 expects.
    unsafe {
        core::arch::asm!(
            "msr daifset, #0xf",
            "br {entry}",
            entry = in(reg) boot.kernel_entry,
            in("x0") boot.user_phys.start,
            in("x1") boot.user_phys.end,
            in("x2") boot.pv_offset,
            in("x3") boot.user_entry,
            options(noreturn)
        )
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    println!("loader: panic: {info}");
    halt()
}
