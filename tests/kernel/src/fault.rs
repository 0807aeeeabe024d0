//! Fault delivery: VM faults, cap faults, unknown syscalls, user exceptions, resuming.
