//! The transport of tightbeam messages between a caller (XNU) and an
//! exclave service: one 4 KiB page shared per caller, the 512-byte message
//! at its start, and a protected call with no words. A 64-word PPC would
//! carry the message in IPC-buffer words but always takes the kernel's
//! slowpath (2108 instructions a round trip); a zero-word call takes the
//! fastpath. The service copies the page into private memory before it
//! decodes (`Dispatcher::answer_shared`), so the caller cannot change a
//! message while it is checked, and writes its reply back into the page.
#![no_std]

use core::fmt;

use sel4_microkit::{Channel, ChannelError, MemoryRegion, MessageInfo, RegionError};
use tightbeam::{Dispatcher, Handler, Outcome, MESSAGE_BYTES};

/// A message page: one per caller and service.
pub const PAGE_BYTES: usize = 0x1000;
/// The call's label: the page holds a request. Any other label, or words,
/// is refused without touching the page.
pub const CALL_LABEL: u64 = 0;
/// The reply's label when the page holds a reply.
pub const REPLIED: u64 = 0;
/// The reply's label when the call itself was malformed.
pub const BAD_CALL: u64 = 1;
/// The reply's label when a service asks its caller for an upcall first:
/// the service's upcall page holds the request. The caller serves it,
/// writes its reply there, and calls again with [`UPCALL_DONE`]; the
/// answer to that call is the original request's (or the next upcall).
pub const UPCALL: u64 = 2;
/// The call's label when the upcall page holds the reply to an upcall.
pub const UPCALL_DONE: u64 = 3;
/// The reply's label when the service (a conclave) crashed while, or
/// before, it served the call: the page holds no reply.
pub const CRASHED: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The page is not mapped, or smaller than a message.
    Page(RegionError),
    Channel(ChannelError),
    /// The service answered the call with this label instead of a reply.
    Refused(u64),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Page(e) => write!(f, "message page: {e}"),
            Error::Channel(e) => write!(f, "{e}"),
            Error::Refused(label) => write!(f, "the service refused the call (label {label})"),
        }
    }
}

/// The caller's end: a channel with `pp` to the service and its page.
pub struct Endpoint {
    channel: Channel,
    page: MemoryRegion,
}

impl Endpoint {
    pub fn new(channel: Channel, page: MemoryRegion) -> Result<Self, Error> {
        // A read of the last message byte proves the page holds a message.
        page.read_u64(MESSAGE_BYTES - 8).map_err(Error::Page)?;
        Ok(Endpoint { channel, page })
    }

    /// Sends `request` and returns the service's reply in `reply`.
    pub fn call(&self, request: &[u8; MESSAGE_BYTES], reply: &mut [u8; MESSAGE_BYTES]) -> Result<(), Error> {
        self.page.write(0, request).map_err(Error::Page)?;
        self.invoke()?;
        self.page.read(0, reply).map_err(Error::Page)
    }

    /// The same for a caller whose message lies in memory it shares with
    /// someone else (XNU and a task's buffer): `send` writes the request
    /// into the page and, once the service replied, `take` reads the reply
    /// out of it, so each way is one copy. Each gets the page's base, valid
    /// for [`MESSAGE_BYTES`] (checked in [`Endpoint::new`]) until it returns;
    /// `take` runs only for a reply.
    pub fn call_with(&self, send: impl FnOnce(*mut u8), take: impl FnOnce(*const u8)) -> Result<(), Error> {
        send(self.page.base());
        self.invoke()?;
        take(self.page.base());
        Ok(())
    }

    /// A bare call with `label` ([`CALL_LABEL`] or [`UPCALL_DONE`]): the
    /// service's reply label, unjudged, for a caller that serves upcalls.
    pub fn call_labelled(&self, label: u64) -> Result<u64, Error> {
        self.channel.pp_call(MessageInfo::new(label, 0)).map(|m| m.label()).map_err(Error::Channel)
    }

    /// The message page.
    pub fn page(&self) -> &MemoryRegion {
        &self.page
    }

    /// The call itself: the page holds a request, and then the reply.
    fn invoke(&self) -> Result<(), Error> {
        let answer = self.channel.pp_call(MessageInfo::new(CALL_LABEL, 0)).map_err(Error::Channel)?;
        if answer.label() != REPLIED {
            return Err(Error::Refused(answer.label()));
        }
        Ok(())
    }
}

/// The service's end of one call on `page`: the call's `msg` must be a bare
/// call (label 0, no words); then the page's message is copied, answered
/// through `dispatcher`, and the reply written back. Returns the PPC reply
/// and what became of the message (`None` for a malformed call).
pub fn serve<H: Handler>(dispatcher: &mut Dispatcher<H>, page: &MemoryRegion, msg: MessageInfo) -> (MessageInfo, Option<Outcome>) {
    if msg.label() != CALL_LABEL || msg.count() != 0 || page.size() < MESSAGE_BYTES {
        return (MessageInfo::new(BAD_CALL, 0), None);
    }
    // SAFETY: 1. the page is mapped readable for the PD's life (the monitor
    // maps it from system.xml and never unmaps), at least a message long
    // (checked above); 2. nothing here holds a reference into it.
    let (outcome, reply) = unsafe { dispatcher.answer_shared(page.base()) };
    match page.write(0, reply) {
        Ok(()) => (MessageInfo::new(REPLIED, 0), Some(outcome)),
        // Only a read-only map could refuse, and then the caller gets no reply.
        Err(_) => (MessageInfo::new(BAD_CALL, 0), Some(outcome)),
    }
}
