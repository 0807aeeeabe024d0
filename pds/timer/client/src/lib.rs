//! The timer driver's protected-call interface (`pds/timer`), declared once
//! for the driver and its clients, and the calls a client makes.
//!
//! A request's label is its `Method`, its words the method's arguments; a
//! reply's label is a `Status`, and only `Status::Ok` carries words. Times
//! are nanoseconds on the physical counter, which starts at 0 at reset.
//! The driver keys every deadline by the channel the call came in on, so a
//! client names only its own.
#![no_std]

use core::fmt;

use sel4_microkit::{get_mr, set_mr, Channel, ChannelError, MessageInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Method {
    /// No words → 1 word: the counter now, in nanoseconds.
    Now = 1,
    /// 1 word, a time in nanoseconds → no words. Once `Now` would return at
    /// least that time, the driver notifies the caller's channel, once; the
    /// channel's earlier deadline, if any, is replaced. A time already past
    /// is notified at once.
    SetDeadline = 2,
    /// No words → no words: the caller's deadline, if any, is dropped
    /// without a notification.
    Cancel = 3,
}

impl Method {
    /// Words a request must carry: exactly these, no more.
    pub const fn request_words(self) -> usize {
        match self {
            Method::SetDeadline => 1,
            Method::Now | Method::Cancel => 0,
        }
    }
}

impl TryFrom<u64> for Method {
    type Error = Status;

    fn try_from(label: u64) -> Result<Self, Status> {
        match label {
            1 => Ok(Method::Now),
            2 => Ok(Method::SetDeadline),
            3 => Ok(Method::Cancel),
            _ => Err(Status::UnknownMethod),
        }
    }
}

/// A reply's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Status {
    Ok = 0,
    /// The label is no `Method`.
    UnknownMethod = 1,
    /// The request's word count is not its method's.
    BadLength = 2,
    /// `SetDeadline` on a channel whose driver end may not notify
    /// (`system.xml`): the deadline could never be told.
    NoNotify = 3,
    /// The counter's frequency reads 0, so the driver keeps no time.
    NoClock = 4,
}

impl Status {
    fn from_label(label: u64) -> Option<Status> {
        [Status::Ok, Status::UnknownMethod, Status::BadLength, Status::NoNotify, Status::NoClock]
            .into_iter()
            .find(|s| *s as u64 == label)
    }
}

/// Why a call to the driver failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The channel does not reach a driver (`system.xml` gave no pp end).
    Channel(ChannelError),
    /// The driver refused the request.
    Refused(Status),
    /// The reply's label is no `Status`, or it lacks the words it owes.
    BadReply(u64),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Channel(e) => write!(f, "timer: {e}"),
            Error::Refused(status) => write!(f, "timer: the driver refused the call: {status:?}"),
            Error::BadReply(label) => write!(f, "timer: the driver's reply (label {label}) is malformed"),
        }
    }
}

/// Calls `method` with `args` (its `request_words` of them) and returns the
/// reply once the driver said Ok.
fn call(timer: Channel, method: Method, args: &[u64]) -> Result<MessageInfo, Error> {
    for (i, &word) in args.iter().enumerate() {
        // At most one argument: far below MAX_MESSAGE_WORDS, so this sets it.
        let _ = set_mr(i, word);
    }
    let reply = timer.pp_call(MessageInfo::new(method as u64, args.len())).map_err(Error::Channel)?;
    match Status::from_label(reply.label()) {
        Some(Status::Ok) => Ok(reply),
        Some(status) => Err(Error::Refused(status)),
        None => Err(Error::BadReply(reply.label())),
    }
}

/// The counter now, in nanoseconds since reset.
pub fn now(timer: Channel) -> Result<u64, Error> {
    let reply = call(timer, Method::Now, &[])?;
    get_mr(0).map_err(|_| Error::BadReply(reply.label()))
}

/// Asks to be notified on `timer` once `now` reaches `ns` (replacing this
/// channel's earlier deadline).
pub fn set_deadline(timer: Channel, ns: u64) -> Result<(), Error> {
    call(timer, Method::SetDeadline, &[ns]).map(|_| ())
}

/// Drops this channel's deadline, if any.
pub fn cancel(timer: Channel) -> Result<(), Error> {
    call(timer, Method::Cancel, &[]).map(|_| ())
}
