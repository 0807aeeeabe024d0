//! CNode operations: copy, mint, move, mutate, delete, revoke, and lookup errors.
