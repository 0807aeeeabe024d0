//! Untyped retype: every object type and size, fan-out, exhaustion, reuse after revoke.
