//! Every service and method, declared once, and the decoders and encoders
//! that go by that declaration.

use zerocopy::byteorder::little_endian::{U16, U32};

use crate::echo::{Echo, Transform};
use crate::hello::{Hello, HelloReply};
use crate::{DecodeError, EncodeError, ErrorCode, Header, Payload, Received, Wire, MESSAGE_BYTES, PAYLOAD_MAX};

/// The services, with their wire ids. 0 is none, so a zeroed message is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ServiceId {
    Hello = 1,
    Echo = 2,
}

impl TryFrom<u16> for ServiceId {
    type Error = DecodeError;

    fn try_from(service: u16) -> Result<Self, DecodeError> {
        match service {
            1 => Ok(ServiceId::Hello),
            2 => Ok(ServiceId::Echo),
            _ => Err(DecodeError::UnknownService { service }),
        }
    }
}

/// Every method of every service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodId {
    /// [`Hello`] → [`HelloReply`].
    Hello,
    /// [`Echo`] → [`Echo`].
    Echo,
    /// [`Transform`] → [`Echo`].
    Transform,
}

impl MethodId {
    pub const ALL: [MethodId; 3] = [MethodId::Hello, MethodId::Echo, MethodId::Transform];

    /// The declaration: (service, method number, version). Numbers start at
    /// 1, and two methods of one service differ in at least two bits, so one
    /// flipped bit never turns a method into another.
    const fn declared(self) -> (ServiceId, u16, u16) {
        match self {
            MethodId::Hello => (ServiceId::Hello, 1, 1),
            MethodId::Echo => (ServiceId::Echo, 1, 1),
            MethodId::Transform => (ServiceId::Echo, 2, 1),
        }
    }

    pub const fn service(self) -> ServiceId {
        self.declared().0
    }

    pub const fn number(self) -> u16 {
        self.declared().1
    }

    pub const fn version(self) -> u16 {
        self.declared().2
    }

    /// The method a header's `service` and `method` name.
    pub fn find(service: u16, method: u16) -> Result<Self, DecodeError> {
        let id = ServiceId::try_from(service)?;
        MethodId::ALL
            .into_iter()
            .find(|m| m.service() == id && m.number() == method)
            .ok_or(DecodeError::UnknownMethod { service, method })
    }
}

/// A decoded request, borrowing its payload from the [`Received`] copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    Hello(Hello),
    Echo(Echo<'a>),
    Transform(Transform<'a>),
}

impl Request<'_> {
    pub fn method(&self) -> MethodId {
        match self {
            Request::Hello(_) => MethodId::Hello,
            Request::Echo(_) => MethodId::Echo,
            Request::Transform(_) => MethodId::Transform,
        }
    }
}

/// A successful reply's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    Hello(HelloReply),
    Echo(Echo<'a>),
}

impl Reply<'_> {
    /// Whether this is the reply type `method` answers with.
    pub fn answers(&self, method: MethodId) -> bool {
        matches!(
            (self, method),
            (Reply::Hello(_), MethodId::Hello) | (Reply::Echo(_), MethodId::Echo | MethodId::Transform)
        )
    }
}

/// The checks every message gets: flags, payload length, zero padding. Gives
/// the header and exactly the stated payload bytes.
fn envelope(message: &Received) -> Result<(&Header, &[u8]), DecodeError> {
    let header = &message.wire.header;
    let flags = header.flags.get();
    if flags != 0 {
        return Err(DecodeError::Flags { found: flags });
    }
    let stated = header.len.get();
    let too_long = DecodeError::PayloadLength { stated };
    let len = usize::try_from(stated).map_err(|_| too_long)?;
    let (payload, padding) = message.wire.payload.split_at_checked(len).ok_or(too_long)?;
    if let Some(at) = padding.iter().position(|&b| b != 0) {
        return Err(DecodeError::Padding { offset: crate::HEADER_BYTES + len + at });
    }
    Ok((header, payload))
}

/// Decodes a request, checking every rule in the crate docs' order.
pub fn decode_request(message: &Received) -> Result<Request<'_>, DecodeError> {
    let (header, payload) = envelope(message)?;
    let method = MethodId::find(header.service.get(), header.method.get())?;
    let version = header.version.get();
    if version != method.version() {
        return Err(DecodeError::Version { found: version, expected: method.version() });
    }
    let status = header.status.get();
    if status != 0 {
        return Err(DecodeError::Status { found: status });
    }
    Ok(match method {
        MethodId::Hello => Request::Hello(Hello::decode(payload)?),
        MethodId::Echo => Request::Echo(Echo::decode(payload)?),
        MethodId::Transform => Request::Transform(Transform::decode(payload)?),
    })
}

/// Decodes the reply to a call of `call`: `Ok(Ok(reply))`, `Ok(Err(code))`
/// for an error reply (version 0, no payload), or why the bytes are no reply
/// to that call.
pub fn decode_reply(message: &Received, call: MethodId) -> Result<Result<Reply<'_>, ErrorCode>, DecodeError> {
    let (header, payload) = envelope(message)?;
    let (service, method) = (header.service.get(), header.method.get());
    if service != call.service() as u16 || method != call.number() {
        return Err(DecodeError::NotTheReply { service, method });
    }
    let version = header.version.get();
    if let Some(code) = ErrorCode::new(header.status.get()) {
        if version != 0 {
            return Err(DecodeError::Version { found: version, expected: 0 });
        }
        if !payload.is_empty() {
            return Err(DecodeError::PayloadSize { stated: payload.len(), min: 0, max: 0 });
        }
        return Ok(Err(code));
    }
    if version != call.version() {
        return Err(DecodeError::Version { found: version, expected: call.version() });
    }
    Ok(Ok(match call {
        MethodId::Hello => Reply::Hello(HelloReply::decode(payload)?),
        MethodId::Echo | MethodId::Transform => Reply::Echo(Echo::decode(payload)?),
    }))
}

fn header(service: u16, method: u16, version: u16, status: u32) -> Header {
    Header {
        service: U16::new(service),
        method: U16::new(method),
        version: U16::new(version),
        flags: U16::ZERO,
        len: U32::ZERO,
        status: U32::new(status),
    }
}

/// Builds the message, then writes `out` only if it all encoded.
fn encode(
    out: &mut [u8; MESSAGE_BYTES],
    method: MethodId,
    payload: impl FnOnce(&mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError>,
) -> Result<(), EncodeError> {
    let mut wire = Wire::new(header(method.service() as u16, method.number(), method.version(), 0));
    let len = payload(&mut wire.payload)?;
    // Payload encoders return at most PAYLOAD_MAX, so this never saturates.
    wire.header.len = U32::new(u32::try_from(len).unwrap_or(u32::MAX));
    wire.write_to(out);
    Ok(())
}

/// Encodes `request` into `out`; on an error `out` is unchanged.
pub fn encode_request(request: &Request<'_>, out: &mut [u8; MESSAGE_BYTES]) -> Result<(), EncodeError> {
    encode(out, request.method(), |payload| match request {
        Request::Hello(r) => r.encode(payload),
        Request::Echo(r) => r.encode(payload),
        Request::Transform(r) => r.encode(payload),
    })
}

/// Encodes the success reply to a call of `call` into `out`; on an error
/// `out` is unchanged.
pub fn encode_reply(call: MethodId, reply: &Reply<'_>, out: &mut [u8; MESSAGE_BYTES]) -> Result<(), EncodeError> {
    if !reply.answers(call) {
        return Err(EncodeError::WrongReply { method: call });
    }
    encode(out, call, |payload| match reply {
        Reply::Hello(r) => r.encode(payload),
        Reply::Echo(r) => r.encode(payload),
    })
}

/// Writes the error reply to `request` (its header as received, checked or
/// not): the same service and method, version 0, no payload, `code` as status.
pub fn error_reply(request: &Header, code: ErrorCode, out: &mut [u8; MESSAGE_BYTES]) {
    Wire::new(header(request.service.get(), request.method.get(), 0, code.get())).write_to(out);
}
