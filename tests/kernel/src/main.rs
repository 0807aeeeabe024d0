//! The kernel suite: tests of the raw seL4 5.0.0 API, one module per area.
//! Select tests at build time with SEL4_TEST_FILTER (`make test SUITE=kernel TESTS='IPC*'`).
#![no_std]
// A `Failure` carries its message inline (test threads cannot allocate), so
// `Result<_, Failure>` is large by design.
#![allow(clippy::result_large_err)]
#![no_main]

mod asid;
mod cache;
mod cnode;
mod domain;
mod fastpath;
mod fault;
mod fpu;
mod frame;
mod interas;
mod ipc;
mod ipc_pairs;
mod irq;
mod ntfn;
mod remap;
mod retype;
mod sched;
mod syscall;
mod tcb;
mod vspace;

sel4_root_task::root_task!(main);

fn main(bi: &'static sel4::BootInfo) -> ! {
    sel4_test::run_suite("kernel", bi, option_env!("SEL4_TEST_FILTER"))
}
