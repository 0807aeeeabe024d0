//! Why a message was refused, and the codes error replies carry.

use core::fmt;
use core::num::NonZeroU32;

use crate::{MethodId, MESSAGE_BYTES, PAYLOAD_MAX};

/// Why received bytes are not a valid message. Every rule has its own variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The message is not [`MESSAGE_BYTES`] long.
    Length { found: usize },
    /// `flags` is not 0.
    Flags { found: u16 },
    /// `len` is beyond [`PAYLOAD_MAX`].
    PayloadLength { stated: u32 },
    /// A byte past the stated payload is not 0 (`offset` from the message start).
    Padding { offset: usize },
    UnknownService { service: u16 },
    UnknownMethod { service: u16, method: u16 },
    /// Not the method's version (an error reply's is 0).
    Version { found: u16, expected: u16 },
    /// A request's `status` is not 0.
    Status { found: u32 },
    /// The payload's length does not fit the method's layout.
    PayloadSize { stated: usize, min: usize, max: usize },
    /// A field holds no value of its enum.
    BadEnum { field: &'static str, value: u32 },
    /// A field is above the most it may be.
    OutOfRange { field: &'static str, value: u32, max: u32 },
    /// A reply names another service or method than the call it answers.
    NotTheReply { service: u16, method: u16 },
}

impl DecodeError {
    /// The error reply a service sends for this message: one code per variant.
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::Length { .. } => ErrorCode::LENGTH,
            DecodeError::Flags { .. } => ErrorCode::FLAGS,
            DecodeError::PayloadLength { .. } => ErrorCode::PAYLOAD_LENGTH,
            DecodeError::Padding { .. } => ErrorCode::PADDING,
            DecodeError::UnknownService { .. } => ErrorCode::UNKNOWN_SERVICE,
            DecodeError::UnknownMethod { .. } => ErrorCode::UNKNOWN_METHOD,
            DecodeError::Version { .. } => ErrorCode::VERSION,
            DecodeError::Status { .. } => ErrorCode::STATUS,
            DecodeError::PayloadSize { .. } => ErrorCode::PAYLOAD_SIZE,
            DecodeError::BadEnum { .. } => ErrorCode::BAD_ENUM,
            DecodeError::OutOfRange { .. } => ErrorCode::OUT_OF_RANGE,
            DecodeError::NotTheReply { .. } => ErrorCode::NOT_THE_REPLY,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeError::Length { found } => write!(f, "message is {found} bytes, not {MESSAGE_BYTES}"),
            DecodeError::Flags { found } => write!(f, "flags (bytes 6..8) are {found:#06x}, must be 0"),
            DecodeError::PayloadLength { stated } => {
                write!(f, "payload length (bytes 8..12) {stated} is beyond {PAYLOAD_MAX}")
            }
            DecodeError::Padding { offset } => write!(f, "byte {offset}, past the stated payload, is not 0"),
            DecodeError::UnknownService { service } => write!(f, "service {service} is not served here"),
            DecodeError::UnknownMethod { service, method } => {
                write!(f, "service {service} has no method {method}")
            }
            DecodeError::Version { found, expected } => write!(f, "version {found}, expected {expected}"),
            DecodeError::Status { found } => write!(f, "request status (bytes 12..16) is {found:#x}, must be 0"),
            DecodeError::PayloadSize { stated, min, max } => {
                write!(f, "payload of {stated} bytes, the method takes {min}..={max}")
            }
            DecodeError::BadEnum { field, value } => write!(f, "{field} {value} is not one of its values"),
            DecodeError::OutOfRange { field, value, max } => write!(f, "{field} {value} is above {max}"),
            DecodeError::NotTheReply { service, method } => {
                write!(f, "reply is for service {service} method {method}, not the call")
            }
        }
    }
}

/// Why a value could not be encoded; nothing is sent then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The payload would not fit in [`PAYLOAD_MAX`] bytes.
    TooLong { len: usize, max: usize },
    /// The value breaks a rule its decoder enforces.
    Invalid(DecodeError),
    /// The reply is not of the type the method answers with.
    WrongReply { method: MethodId },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { len, max } => write!(f, "{len} bytes of payload, at most {max} fit"),
            EncodeError::Invalid(e) => write!(f, "would not decode: {e}"),
            EncodeError::WrongReply { method } => write!(f, "not a reply to {method:?}"),
        }
    }
}

/// A non-zero `status`: why a service refused a request. Codes below
/// [`ErrorCode::SERVICE_BASE`] are this crate's; a service picks its own
/// from there up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(NonZeroU32);

/// Only for the constants below, so a 0 fails the build, not a run.
const fn code(value: u32) -> ErrorCode {
    match NonZeroU32::new(value) {
        Some(c) => ErrorCode(c),
        None => panic!("error code 0 means success"),
    }
}

impl ErrorCode {
    pub const LENGTH: ErrorCode = code(1);
    pub const FLAGS: ErrorCode = code(2);
    pub const PAYLOAD_LENGTH: ErrorCode = code(3);
    pub const PADDING: ErrorCode = code(4);
    pub const UNKNOWN_SERVICE: ErrorCode = code(5);
    pub const UNKNOWN_METHOD: ErrorCode = code(6);
    pub const VERSION: ErrorCode = code(7);
    pub const STATUS: ErrorCode = code(8);
    pub const PAYLOAD_SIZE: ErrorCode = code(9);
    pub const BAD_ENUM: ErrorCode = code(10);
    pub const OUT_OF_RANGE: ErrorCode = code(11);
    pub const NOT_THE_REPLY: ErrorCode = code(12);
    /// The handler answered with a reply its method does not have.
    pub const INTERNAL: ErrorCode = code(13);
    pub const SERVICE_BASE: u32 = 0x100;

    /// The service's own code `n`: `SERVICE_BASE + n`.
    pub const fn service(n: u16) -> Self {
        // SERVICE_BASE - 1 + n fits easily in a u32, so nothing saturates.
        ErrorCode(NonZeroU32::MIN.saturating_add(Self::SERVICE_BASE - 1 + n as u32))
    }

    /// `None` for 0, which means success.
    pub const fn new(code: u32) -> Option<Self> {
        match NonZeroU32::new(code) {
            Some(c) => Some(ErrorCode(c)),
            None => None,
        }
    }

    pub const fn get(self) -> u32 {
        self.0.get()
    }
}
