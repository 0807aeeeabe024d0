//! The loader's decisions, kept free of hardware access so they are tested on
//! the host: reading and checking ELF images, and planning where the kernel
//! and the root task go in physical memory.
#![cfg_attr(not(test), no_std)]

#[cfg(test)]
mod test_elf;

pub mod elf;
pub mod plan;
