//! The translation state seL4 5.0.0 expects on entry: MMU on, TTBR0 an
//! identity map (the loader keeps running from it), TTBR1 mapping the
//! kernel's link address to the start of RAM. The kernel installs its own
//! tables early in `init_kernel`, but never sets TCR_EL1 or MAIR_EL1, so
//! these values stay in force after the hand-off.

use core::arch::asm;
use sel4_loader::plan::Region;

use super::Machine;

const GIB: u64 = 1 << 30;
const ENTRIES: usize = 512;

/// MAIR_EL1 attribute slots in the order of the kernel's `enum mair_types`:
/// Device-nGnRnE, Device-nGnRE, Device-GRE, Normal non-cacheable, Normal write-back.
const MAIR: u64 = 0x00 | 0x04 << 8 | 0x0c << 16 | 0x44 << 24 | 0xff << 32;
const ATTR_DEVICE: u64 = 0 << 2;
const ATTR_NORMAL: u64 = 4 << 2;

const DESC_BLOCK: u64 = 0b01;
const DESC_TABLE: u64 = 0b11;
const DESC_INNER_SHAREABLE: u64 = 0b11 << 8;
const DESC_ACCESS_FLAG: u64 = 1 << 10;
const DESC_EXECUTE_NEVER: u64 = (1 << 53) | (1 << 54);

/// 48-bit VAs in both halves, 4 KiB granules, write-back inner-shareable
/// walks, 16-bit ASIDs (AS); IPS is filled in from the CPU's PARange.
const TCR: u64 = 16 // T0SZ
    | 0b01 << 8 | 0b01 << 10 | 0b11 << 12 // IRGN0, ORGN0, SH0
    | 16 << 16 // T1SZ
    | 0b01 << 24 | 0b01 << 26 | 0b11 << 28 // IRGN1, ORGN1, SH1
    | 0b10 << 30 // TG1 = 4 KiB
    | 1 << 36; // AS

#[repr(C, align(4096))]
struct Table([u64; ENTRIES]);

static mut IDENTITY_L0: Table = Table([0; ENTRIES]);
static mut IDENTITY_L1: Table = Table([0; ENTRIES]);
static mut KERNEL_L0: Table = Table([0; ENTRIES]);
static mut KERNEL_L1: Table = Table([0; ENTRIES]);

fn block(phys: u64, attrs: u64) -> u64 {
    phys | attrs | DESC_BLOCK | DESC_ACCESS_FLAG
}

/// Builds the tables and turns on the MMU and caches.
pub fn enable(machine: &Machine) {
    let ram_gib = machine.ram.start / GIB..machine.ram.end.div_ceil(GIB);
    // SAFETY: single-threaded, MMU still off; nothing else refers to the
    // tables until TTBR0/TTBR1 point at them below.
    unsafe {
        let id_l0 = &mut *core::ptr::addr_of_mut!(IDENTITY_L0);
        let id_l1 = &mut *core::ptr::addr_of_mut!(IDENTITY_L1);
        let k_l0 = &mut *core::ptr::addr_of_mut!(KERNEL_L0);
        let k_l1 = &mut *core::ptr::addr_of_mut!(KERNEL_L1);

        // Identity: the first GiB (devices: UART, GIC) as device memory, RAM as normal memory.
        id_l0.0[0] = id_l1.0.as_ptr() as u64 | DESC_TABLE;
        id_l1.0[0] = block(0, ATTR_DEVICE | DESC_EXECUTE_NEVER);
        for gib in ram_gib.clone() {
            id_l1.0[gib as usize] = block(gib * GIB, ATTR_NORMAL | DESC_INNER_SHAREABLE);
        }

        // Kernel window: VA kernel_virt_base + n GiB -> start of RAM + n GiB.
        let l0_index = (machine.kernel_virt_base >> 39) as usize % ENTRIES;
        let l1_first = (machine.kernel_virt_base >> 30) as usize % ENTRIES;
        k_l0.0[l0_index] = k_l1.0.as_ptr() as u64 | DESC_TABLE;
        for (n, gib) in ram_gib.enumerate() {
            k_l1.0[l1_first + n] = block(gib * GIB, ATTR_NORMAL | DESC_INNER_SHAREABLE);
        }

        let pa_range: u64;
        asm!("mrs {}, id_aa64mmfr0_el1", out(reg) pa_range);
        let tcr = TCR | (pa_range & 0b111) << 32;

        asm!(
            "msr mair_el1, {mair}",
            "msr tcr_el1, {tcr}",
            "msr ttbr0_el1, {ttbr0}",
            "msr ttbr1_el1, {ttbr1}",
            "isb",
            "tlbi vmalle1",
            "dsb ish",
            "ic iallu",
            "dsb ish",
            "isb",
            "mrs {tmp}, sctlr_el1",
            "orr {tmp}, {tmp}, #(1 << 0)",  // M: MMU
            "orr {tmp}, {tmp}, #(1 << 2)",  // C: data cache
            "orr {tmp}, {tmp}, #(1 << 12)", // I: instruction cache
            "msr sctlr_el1, {tmp}",
            "isb",
            mair = in(reg) MAIR,
            tcr = in(reg) tcr,
            ttbr0 = in(reg) id_l0.0.as_ptr() as u64,
            ttbr1 = in(reg) k_l0.0.as_ptr() as u64,
            tmp = out(reg) _,
        );
    }
}

/// Makes freshly written code in `region` visible to instruction fetch:
/// clean the data cache to the point of unification, then invalidate the
/// instruction cache.
///
/// # Safety
/// `region` must be mapped (identity) memory.
pub unsafe fn sync_icache(region: Region) {
    let ctr: u64;
    asm!("mrs {}, ctr_el0", out(reg) ctr);
    let line = 4u64 << ((ctr >> 16) & 0xf); // DminLine, in bytes
    let mut addr = region.start & !(line - 1);
    while addr < region.end {
        asm!("dc cvau, {}", in(reg) addr);
        addr += line;
    }
    asm!("dsb ish", "ic iallu", "dsb ish", "isb");
}
