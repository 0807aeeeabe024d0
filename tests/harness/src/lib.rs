//! Running a system image in QEMU and deciding whether the run succeeded.
//! The verdict is kept apart from QEMU so it is tested on recorded logs.

pub mod input;
pub mod qemu;
pub mod suite;
pub mod verdict;
