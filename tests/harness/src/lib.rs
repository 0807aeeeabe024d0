//! Reading a system's serial log and deciding whether the run succeeded.
//! Kept apart from QEMU so it is tested on recorded logs.

pub mod suite;
pub mod verdict;
