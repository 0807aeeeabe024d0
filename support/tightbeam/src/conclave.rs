//! Conclaves: the conclave manager's control protocol (XNU calls it, one
//! channel and message page per conclave), and the demo conclave's own
//! service (its domain's, called by the task attached to it).
//!
//! The manager answers every control request with the conclave's
//! [`ConclaveStatus`]; a request the state does not allow is refused
//! ([`refusal`]), and the state stays as it was.

use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{get_wire, put_wire, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// A conclave as its manager reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum State {
    /// Never launched since boot.
    NotBooted = 1,
    Running = 2,
    Suspended = 3,
    /// It ended itself.
    Exited = 4,
    /// It faulted: the manager keeps its crash info.
    Crashed = 5,
    /// Stopped by its host (XNU).
    Killed = 6,
}

impl State {
    pub fn from_u32(v: u32) -> Option<State> {
        [State::NotBooted, State::Running, State::Suspended, State::Exited, State::Crashed, State::Killed].into_iter().find(|s| *s as u32 == v)
    }
}

/// The manager's refusals.
pub mod refusal {
    use crate::ErrorCode;
    /// Launch of a conclave that runs (or is suspended).
    pub const ALREADY_LAUNCHED: ErrorCode = ErrorCode::service(1);
    /// Suspend, resume or stop of a conclave not in the state for it.
    pub const WRONG_STATE: ErrorCode = ErrorCode::service(2);
    /// Its image did not load (the build's conclave program is missing or bad).
    pub const NO_IMAGE: ErrorCode = ErrorCode::service(3);
    /// No crash info: it never crashed since boot.
    pub const NO_CRASH: ErrorCode = ErrorCode::service(4);
}

/// Request of every control method but crash info: none; reply of
/// Launch, Suspend, Resume, Stop and Status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConclaveStatus {
    pub state: State,
    /// Launches since boot.
    pub launches: u32,
    /// Crashes since boot.
    pub crashes: u32,
    /// Times the conclave asked for its host task to be stopped (the stop
    /// upcall), since boot.
    pub stop_requests: u32,
}

/// Reply to crash info: the last crash's fault. Its whole register file
/// and words of its stack are in the conclave's crash page, which XNU maps
/// read-only (`crash_page` below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashInfo {
    /// The seL4 fault type (`seL4_Fault_*` label).
    pub fault: u32,
    pub pc: u64,
    /// The faulting data address, 0 for a fault that has none.
    pub addr: u64,
    /// Bytes of the crash page written (at most 2 pages).
    pub len: u32,
}

/// The manager's events for a conclave's host (`crate::events`, on its
/// control channel): it crashed, it asked for its host to be stopped, it
/// exited.
pub const EVENT_CRASHED: usize = 0;
pub const EVENT_STOP_HOST: usize = 1;
pub const EVENT_EXITED: usize = 2;

/// The crash page's layout: the fault's words (as [`CrashInfo`]), then the
/// 36 registers of `seL4_UserContext` in order, then stack words from sp.
pub mod crash_page {
    /// The crash info's size, 2 pages.
    pub const BYTES: usize = 0x2000;
    pub const REGISTERS_AT: usize = 64;
    pub const REGISTERS: usize = 36;
    pub const STACK_AT: usize = REGISTERS_AT + REGISTERS * 8;
}

/// No payload: the empty request.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Control;

/// The demo conclave's reply to Count: the calls it served since its
/// launch (its memory is fresh at each launch, so the count starts again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    pub calls: u64,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct StatusWire {
    state: U32,
    launches: U32,
    crashes: U32,
    stop_requests: U32,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct CrashWire {
    fault: U32,
    len: U32,
    pc: U64,
    addr: U64,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct ServedWire {
    calls: U64,
}

impl Payload<'_> for Control {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        get_wire::<Control>(payload)
    }

    fn encode(&self, _out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        Ok(0)
    }
}

impl Payload<'_> for ConclaveStatus {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<StatusWire>(payload)?;
        let state = State::from_u32(w.state.get()).ok_or(DecodeError::BadEnum { field: "conclave state", value: w.state.get() })?;
        Ok(ConclaveStatus { state, launches: w.launches.get(), crashes: w.crashes.get(), stop_requests: w.stop_requests.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let w = StatusWire {
            state: U32::new(self.state as u32),
            launches: U32::new(self.launches),
            crashes: U32::new(self.crashes),
            stop_requests: U32::new(self.stop_requests),
        };
        put_wire(w, out)
    }
}

impl Payload<'_> for CrashInfo {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<CrashWire>(payload)?;
        Ok(CrashInfo { fault: w.fault.get(), pc: w.pc.get(), addr: w.addr.get(), len: w.len.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(CrashWire { fault: U32::new(self.fault), len: U32::new(self.len), pc: U64::new(self.pc), addr: U64::new(self.addr) }, out)
    }
}

impl Payload<'_> for Served {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(Served { calls: get_wire::<ServedWire>(payload)?.calls.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(ServedWire { calls: U64::new(self.calls) }, out)
    }
}
