//! Every service and method, declared once, and the decoders and encoders
//! that go by that declaration.

use zerocopy::byteorder::little_endian::{U16, U32};

use crate::buffers::{Digest, DigestReply, Filled, Refill};
use crate::echo::{Echo, Transform};
use crate::hello::{Hello, HelloReply};
use crate::keys::{Derive, DerivedKey};
use crate::conclave::{ConclaveStatus, Control, CrashInfo, Served};
use crate::storage::{Count, Key, Object, ObjectIo, ObjectName, ObjectSize, Opened, Put, Stored, Value};
use crate::indicator::{AudioCopy, ClientGone, Done, MinOnTime, MinOnTimeReply, SensorReply, SensorRequest};
use crate::{DecodeError, EncodeError, ErrorCode, Header, Payload, Received, Wire, MESSAGE_BYTES, PAYLOAD_MAX};

/// The services, with their wire ids. 0 is none, so a zeroed message is
/// refused; two ids differ in at least two bits, as methods do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ServiceId {
    Hello = 1,
    Echo = 2,
    Buffers = 7,
    Indicator = 12,
    Keys = 11,
    Storage = 16,
    Upcalls = 19,
    ConclaveDemo = 21,
    ConclaveManager = 22,
}

impl TryFrom<u16> for ServiceId {
    type Error = DecodeError;

    fn try_from(service: u16) -> Result<Self, DecodeError> {
        match service {
            1 => Ok(ServiceId::Hello),
            2 => Ok(ServiceId::Echo),
            7 => Ok(ServiceId::Buffers),
            12 => Ok(ServiceId::Indicator),
            11 => Ok(ServiceId::Keys),
            16 => Ok(ServiceId::Storage),
            19 => Ok(ServiceId::Upcalls),
            21 => Ok(ServiceId::ConclaveDemo),
            22 => Ok(ServiceId::ConclaveManager),
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
    /// [`Refill`] → [`Filled`].
    Refill,
    /// [`Digest`] → [`DigestReply`].
    Digest,
    /// [`SensorRequest`] → [`SensorReply`], for each of start, stop, status.
    SensorStart,
    SensorStop,
    SensorStatus,
    /// [`MinOnTime`] → [`MinOnTimeReply`].
    MinOnTime,
    /// [`ClientGone`] → [`Done`].
    ClientGone,
    /// [`AudioCopy`] → [`SensorReply`] (the microphone's).
    AudioCopy,
    /// [`Derive`] → [`DerivedKey`].
    Derive,
    /// [`Put`] → [`Stored`].
    Put,
    /// [`Key`] → [`Value`].
    Get,
    /// [`Key`] → [`Stored`].
    Remove,
    /// XNU's upcalls: [`ObjectName`] → [`Opened`].
    Open,
    /// [`ObjectIo`] → [`Count`], each.
    ReadObject,
    WriteObject,
    /// [`Object`] → [`ObjectSize`].
    ObjectSize,
    /// [`ObjectName`] → [`Done`].
    RemoveObject,
    /// [`Count`] → [`Count`], each: the caller's data in, or out.
    CallerIn,
    CallerOut,
    /// The conclave manager: [`Control`] → [`ConclaveStatus`], each, but
    /// crash info, [`Control`] → [`CrashInfo`].
    Launch,
    Suspend,
    Resume,
    Stop,
    Status,
    CrashInfo,
    /// The demo conclave: [`Control`] → [`Served`] (count), [`Done`]
    /// (crash: it faults instead; stop host: the stop upcall).
    DemoCount,
    DemoCrash,
    DemoStopHost,
}

impl MethodId {
    pub const ALL: [MethodId; 31] = [
        MethodId::Hello,
        MethodId::Echo,
        MethodId::Transform,
        MethodId::Refill,
        MethodId::Digest,
        MethodId::SensorStart,
        MethodId::SensorStop,
        MethodId::SensorStatus,
        MethodId::MinOnTime,
        MethodId::ClientGone,
        MethodId::AudioCopy,
        MethodId::Derive,
        MethodId::Put,
        MethodId::Get,
        MethodId::Remove,
        MethodId::Open,
        MethodId::ReadObject,
        MethodId::WriteObject,
        MethodId::ObjectSize,
        MethodId::RemoveObject,
        MethodId::CallerIn,
        MethodId::CallerOut,
        MethodId::Launch,
        MethodId::Suspend,
        MethodId::Resume,
        MethodId::Stop,
        MethodId::Status,
        MethodId::CrashInfo,
        MethodId::DemoCount,
        MethodId::DemoCrash,
        MethodId::DemoStopHost,
    ];

    /// The declaration: (service, method number, version). Numbers start at
    /// 1, and two methods of one service differ in at least two bits, so one
    /// flipped bit never turns a method into another.
    const fn declared(self) -> (ServiceId, u16, u16) {
        match self {
            MethodId::Hello => (ServiceId::Hello, 1, 1),
            MethodId::Echo => (ServiceId::Echo, 1, 1),
            MethodId::Transform => (ServiceId::Echo, 2, 1),
            MethodId::Refill => (ServiceId::Buffers, 1, 1),
            MethodId::Digest => (ServiceId::Buffers, 2, 1),
            MethodId::SensorStart => (ServiceId::Indicator, 1, 1),
            MethodId::SensorStop => (ServiceId::Indicator, 2, 1),
            MethodId::SensorStatus => (ServiceId::Indicator, 4, 1),
            MethodId::MinOnTime => (ServiceId::Indicator, 7, 1),
            MethodId::ClientGone => (ServiceId::Indicator, 8, 1),
            MethodId::AudioCopy => (ServiceId::Indicator, 13, 1),
            MethodId::Derive => (ServiceId::Keys, 1, 1),
            MethodId::Put => (ServiceId::Storage, 1, 1),
            MethodId::Get => (ServiceId::Storage, 2, 1),
            MethodId::Remove => (ServiceId::Storage, 4, 1),
            MethodId::Open => (ServiceId::Upcalls, 1, 1),
            MethodId::ReadObject => (ServiceId::Upcalls, 2, 1),
            MethodId::WriteObject => (ServiceId::Upcalls, 4, 1),
            MethodId::ObjectSize => (ServiceId::Upcalls, 7, 1),
            MethodId::RemoveObject => (ServiceId::Upcalls, 8, 1),
            MethodId::CallerIn => (ServiceId::Upcalls, 11, 1),
            MethodId::CallerOut => (ServiceId::Upcalls, 13, 1),
            MethodId::Launch => (ServiceId::ConclaveManager, 1, 1),
            MethodId::Suspend => (ServiceId::ConclaveManager, 2, 1),
            MethodId::Resume => (ServiceId::ConclaveManager, 4, 1),
            MethodId::Stop => (ServiceId::ConclaveManager, 7, 1),
            MethodId::Status => (ServiceId::ConclaveManager, 8, 1),
            MethodId::CrashInfo => (ServiceId::ConclaveManager, 11, 1),
            MethodId::DemoCount => (ServiceId::ConclaveDemo, 1, 1),
            MethodId::DemoCrash => (ServiceId::ConclaveDemo, 2, 1),
            MethodId::DemoStopHost => (ServiceId::ConclaveDemo, 4, 1),
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
        ServiceId::try_from(service)?;
        BY_NUMBER
            .get(usize::from(service))
            .and_then(|methods| methods.get(usize::from(method)))
            .copied()
            .flatten()
            .ok_or(DecodeError::UnknownMethod { service, method })
    }
}

/// Every method by (service, number), made from the declaration at build
/// time (a declared service of 32 or more, or method of 16 or more, fails
/// the build), so that a decode indexes rather than searches.
const BY_NUMBER: [[Option<MethodId>; 16]; 32] = {
    let mut table = [[None; 16]; 32];
    let mut i = 0;
    while i < MethodId::ALL.len() {
        let (service, number, _) = MethodId::ALL[i].declared();
        table[service as usize][number as usize] = Some(MethodId::ALL[i]);
        i += 1;
    }
    table
};

/// A decoded request, borrowing its payload from the [`Received`] copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    Hello(Hello),
    Echo(Echo<'a>),
    Transform(Transform<'a>),
    Refill(Refill),
    Digest(Digest),
    SensorStart(SensorRequest),
    SensorStop(SensorRequest),
    SensorStatus(SensorRequest),
    MinOnTime(MinOnTime),
    ClientGone(ClientGone),
    AudioCopy(AudioCopy),
    Derive(Derive<'a>),
    Put(Put<'a>),
    Get(Key<'a>),
    Remove(Key<'a>),
    Open(ObjectName),
    ReadObject(ObjectIo),
    WriteObject(ObjectIo),
    ObjectSize(Object),
    RemoveObject(ObjectName),
    CallerIn(Count),
    CallerOut(Count),
    Launch(Control),
    Suspend(Control),
    Resume(Control),
    Stop(Control),
    Status(Control),
    CrashInfo(Control),
    DemoCount(Control),
    DemoCrash(Control),
    DemoStopHost(Control),
}

impl Request<'_> {
    pub fn method(&self) -> MethodId {
        match self {
            Request::Hello(_) => MethodId::Hello,
            Request::Echo(_) => MethodId::Echo,
            Request::Transform(_) => MethodId::Transform,
            Request::Refill(_) => MethodId::Refill,
            Request::Digest(_) => MethodId::Digest,
            Request::SensorStart(_) => MethodId::SensorStart,
            Request::SensorStop(_) => MethodId::SensorStop,
            Request::SensorStatus(_) => MethodId::SensorStatus,
            Request::MinOnTime(_) => MethodId::MinOnTime,
            Request::ClientGone(_) => MethodId::ClientGone,
            Request::AudioCopy(_) => MethodId::AudioCopy,
            Request::Derive(_) => MethodId::Derive,
            Request::Put(_) => MethodId::Put,
            Request::Get(_) => MethodId::Get,
            Request::Remove(_) => MethodId::Remove,
            Request::Open(_) => MethodId::Open,
            Request::ReadObject(_) => MethodId::ReadObject,
            Request::WriteObject(_) => MethodId::WriteObject,
            Request::ObjectSize(_) => MethodId::ObjectSize,
            Request::RemoveObject(_) => MethodId::RemoveObject,
            Request::CallerIn(_) => MethodId::CallerIn,
            Request::CallerOut(_) => MethodId::CallerOut,
            Request::Launch(_) => MethodId::Launch,
            Request::Suspend(_) => MethodId::Suspend,
            Request::Resume(_) => MethodId::Resume,
            Request::Stop(_) => MethodId::Stop,
            Request::Status(_) => MethodId::Status,
            Request::CrashInfo(_) => MethodId::CrashInfo,
            Request::DemoCount(_) => MethodId::DemoCount,
            Request::DemoCrash(_) => MethodId::DemoCrash,
            Request::DemoStopHost(_) => MethodId::DemoStopHost,
        }
    }
}

/// A successful reply's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    Hello(HelloReply),
    Echo(Echo<'a>),
    Filled(Filled),
    Digest(DigestReply),
    Sensor(SensorReply),
    MinOnTime(MinOnTimeReply),
    Done(Done),
    Key(DerivedKey),
    Stored(Stored),
    Value(Value),
    Opened(Opened),
    Count(Count),
    ObjectSize(ObjectSize),
    Conclave(ConclaveStatus),
    Crash(CrashInfo),
    Served(Served),
}

impl Reply<'_> {
    /// Whether this is the reply type `method` answers with.
    pub fn answers(&self, method: MethodId) -> bool {
        matches!(
            (self, method),
            (Reply::Hello(_), MethodId::Hello)
                | (Reply::Echo(_), MethodId::Echo | MethodId::Transform)
                | (Reply::Filled(_), MethodId::Refill)
                | (Reply::Digest(_), MethodId::Digest)
                | (Reply::Sensor(_), MethodId::SensorStart | MethodId::SensorStop | MethodId::SensorStatus | MethodId::AudioCopy)
                | (Reply::MinOnTime(_), MethodId::MinOnTime)
                | (Reply::Done(_), MethodId::ClientGone | MethodId::RemoveObject | MethodId::DemoCrash | MethodId::DemoStopHost)
                | (Reply::Conclave(_), MethodId::Launch | MethodId::Suspend | MethodId::Resume | MethodId::Stop | MethodId::Status)
                | (Reply::Crash(_), MethodId::CrashInfo)
                | (Reply::Served(_), MethodId::DemoCount)
                | (Reply::Key(_), MethodId::Derive)
                | (Reply::Stored(_), MethodId::Put | MethodId::Remove)
                | (Reply::Value(_), MethodId::Get)
                | (Reply::Opened(_), MethodId::Open)
                | (Reply::Count(_), MethodId::ReadObject | MethodId::WriteObject | MethodId::CallerIn | MethodId::CallerOut)
                | (Reply::ObjectSize(_), MethodId::ObjectSize)
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
        MethodId::Refill => Request::Refill(Refill::decode(payload)?),
        MethodId::Digest => Request::Digest(Digest::decode(payload)?),
        MethodId::SensorStart => Request::SensorStart(SensorRequest::decode(payload)?),
        MethodId::SensorStop => Request::SensorStop(SensorRequest::decode(payload)?),
        MethodId::SensorStatus => Request::SensorStatus(SensorRequest::decode(payload)?),
        MethodId::MinOnTime => Request::MinOnTime(MinOnTime::decode(payload)?),
        MethodId::ClientGone => Request::ClientGone(ClientGone::decode(payload)?),
        MethodId::AudioCopy => Request::AudioCopy(AudioCopy::decode(payload)?),
        MethodId::Derive => Request::Derive(Derive::decode(payload)?),
        MethodId::Put => Request::Put(Put::decode(payload)?),
        MethodId::Get => Request::Get(Key::decode(payload)?),
        MethodId::Remove => Request::Remove(Key::decode(payload)?),
        MethodId::Open => Request::Open(ObjectName::decode(payload)?),
        MethodId::ReadObject => Request::ReadObject(ObjectIo::decode(payload)?),
        MethodId::WriteObject => Request::WriteObject(ObjectIo::decode(payload)?),
        MethodId::ObjectSize => Request::ObjectSize(Object::decode(payload)?),
        MethodId::RemoveObject => Request::RemoveObject(ObjectName::decode(payload)?),
        MethodId::CallerIn => Request::CallerIn(Count::decode(payload)?),
        MethodId::CallerOut => Request::CallerOut(Count::decode(payload)?),
        MethodId::Launch => Request::Launch(Control::decode(payload)?),
        MethodId::Suspend => Request::Suspend(Control::decode(payload)?),
        MethodId::Resume => Request::Resume(Control::decode(payload)?),
        MethodId::Stop => Request::Stop(Control::decode(payload)?),
        MethodId::Status => Request::Status(Control::decode(payload)?),
        MethodId::CrashInfo => Request::CrashInfo(Control::decode(payload)?),
        MethodId::DemoCount => Request::DemoCount(Control::decode(payload)?),
        MethodId::DemoCrash => Request::DemoCrash(Control::decode(payload)?),
        MethodId::DemoStopHost => Request::DemoStopHost(Control::decode(payload)?),
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
        MethodId::Refill => Reply::Filled(Filled::decode(payload)?),
        MethodId::Digest => Reply::Digest(DigestReply::decode(payload)?),
        MethodId::SensorStart | MethodId::SensorStop | MethodId::SensorStatus | MethodId::AudioCopy => {
            Reply::Sensor(SensorReply::decode(payload)?)
        }
        MethodId::MinOnTime => Reply::MinOnTime(MinOnTimeReply::decode(payload)?),
        MethodId::ClientGone | MethodId::RemoveObject | MethodId::DemoCrash | MethodId::DemoStopHost => Reply::Done(Done::decode(payload)?),
        MethodId::Launch | MethodId::Suspend | MethodId::Resume | MethodId::Stop | MethodId::Status => {
            Reply::Conclave(ConclaveStatus::decode(payload)?)
        }
        MethodId::CrashInfo => Reply::Crash(CrashInfo::decode(payload)?),
        MethodId::DemoCount => Reply::Served(Served::decode(payload)?),
        MethodId::Derive => Reply::Key(DerivedKey::decode(payload)?),
        MethodId::Put | MethodId::Remove => Reply::Stored(Stored::decode(payload)?),
        MethodId::Get => Reply::Value(Value::decode(payload)?),
        MethodId::Open => Reply::Opened(Opened::decode(payload)?),
        MethodId::ReadObject | MethodId::WriteObject | MethodId::CallerIn | MethodId::CallerOut => Reply::Count(Count::decode(payload)?),
        MethodId::ObjectSize => Reply::ObjectSize(ObjectSize::decode(payload)?),
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

/// Builds the message in `out`: the header, the payload, zeros after it. On
/// an error `out` is all zeros, which is no message.
fn encode(
    out: &mut [u8; MESSAGE_BYTES],
    method: MethodId,
    payload: impl FnOnce(&mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError>,
) -> Result<(), EncodeError> {
    let wire: &mut Wire = zerocopy::transmute_mut!(out);
    match payload(&mut wire.payload) {
        Ok(len) => {
            // Payload encoders return at most PAYLOAD_MAX.
            if let Some(tail) = wire.payload.get_mut(len..) {
                tail.fill(0);
            }
            wire.header = header(method.service() as u16, method.number(), method.version(), 0);
            // Payload encoders return at most PAYLOAD_MAX, so this never saturates.
            wire.header.len = U32::new(u32::try_from(len).unwrap_or(u32::MAX));
            Ok(())
        }
        Err(e) => {
            *wire = Wire::new(Header::default());
            Err(e)
        }
    }
}

/// Encodes `request` into `out`; on an error `out` is all zeros.
pub fn encode_request(request: &Request<'_>, out: &mut [u8; MESSAGE_BYTES]) -> Result<(), EncodeError> {
    encode(out, request.method(), |payload| match request {
        Request::Hello(r) => r.encode(payload),
        Request::Echo(r) => r.encode(payload),
        Request::Transform(r) => r.encode(payload),
        Request::Refill(r) => r.encode(payload),
        Request::Digest(r) => r.encode(payload),
        Request::SensorStart(r) | Request::SensorStop(r) | Request::SensorStatus(r) => r.encode(payload),
        Request::MinOnTime(r) => r.encode(payload),
        Request::ClientGone(r) => r.encode(payload),
        Request::AudioCopy(r) => r.encode(payload),
        Request::Derive(r) => r.encode(payload),
        Request::Put(r) => r.encode(payload),
        Request::Get(r) | Request::Remove(r) => r.encode(payload),
        Request::Open(r) | Request::RemoveObject(r) => r.encode(payload),
        Request::ReadObject(r) | Request::WriteObject(r) => r.encode(payload),
        Request::ObjectSize(r) => r.encode(payload),
        Request::CallerIn(r) | Request::CallerOut(r) => r.encode(payload),
        Request::Launch(r)
        | Request::Suspend(r)
        | Request::Resume(r)
        | Request::Stop(r)
        | Request::Status(r)
        | Request::CrashInfo(r)
        | Request::DemoCount(r)
        | Request::DemoCrash(r)
        | Request::DemoStopHost(r) => r.encode(payload),
    })
}

/// Encodes the success reply to a call of `call` into `out`; on an error
/// `out` is all zeros.
pub fn encode_reply(call: MethodId, reply: &Reply<'_>, out: &mut [u8; MESSAGE_BYTES]) -> Result<(), EncodeError> {
    if !reply.answers(call) {
        return Err(EncodeError::WrongReply { method: call });
    }
    encode(out, call, |payload| match reply {
        Reply::Hello(r) => r.encode(payload),
        Reply::Echo(r) => r.encode(payload),
        Reply::Filled(r) => r.encode(payload),
        Reply::Digest(r) => r.encode(payload),
        Reply::Sensor(r) => r.encode(payload),
        Reply::MinOnTime(r) => r.encode(payload),
        Reply::Done(r) => r.encode(payload),
        Reply::Key(r) => r.encode(payload),
        Reply::Stored(r) => r.encode(payload),
        Reply::Value(r) => r.encode(payload),
        Reply::Opened(r) => r.encode(payload),
        Reply::Count(r) => r.encode(payload),
        Reply::ObjectSize(r) => r.encode(payload),
        Reply::Conclave(r) => r.encode(payload),
        Reply::Crash(r) => r.encode(payload),
        Reply::Served(r) => r.encode(payload),
    })
}

/// Writes the error reply to `request` (its header as received, checked or
/// not): the same service and method, version 0, no payload, `code` as status.
pub fn error_reply(request: &Header, code: ErrorCode, out: &mut [u8; MESSAGE_BYTES]) {
    let wire: &mut Wire = zerocopy::transmute_mut!(out);
    *wire = Wire::new(header(request.service.get(), request.method.get(), 0, code.get()));
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;
    use std::vec::Vec;

    use super::*;
    use crate::storage::{OPEN_CREATE, OPEN_TRUNCATE};
    use crate::echo::{TransformKind, TRANSFORM_BYTES_MAX};
    use crate::hello::HELLO_VALUE;

    /// A message from raw header fields: service, method, version, flags, len, status.
    fn raw(fields: (u16, u16, u16, u16, u32, u32), body: &[u8]) -> [u8; MESSAGE_BYTES] {
        let (service, method, version, flags, len, status) = fields;
        let mut m = [0u8; MESSAGE_BYTES];
        m[0..2].copy_from_slice(&service.to_le_bytes());
        m[2..4].copy_from_slice(&method.to_le_bytes());
        m[4..6].copy_from_slice(&version.to_le_bytes());
        m[6..8].copy_from_slice(&flags.to_le_bytes());
        m[8..12].copy_from_slice(&len.to_le_bytes());
        m[12..16].copy_from_slice(&status.to_le_bytes());
        m[16..16 + body.len()].copy_from_slice(body);
        m
    }

    fn received(bytes: &[u8]) -> Received {
        match Received::copy_from(bytes) {
            Ok(r) => r,
            Err(e) => panic!("test message refused: {e}"),
        }
    }

    /// Leaked so what decodes from it can outlive the helper; tests only.
    fn leaked(bytes: &[u8]) -> &'static Received {
        Box::leak(Box::new(received(bytes)))
    }

    fn request(fields: (u16, u16, u16, u16, u32, u32), body: &[u8]) -> Result<Request<'static>, DecodeError> {
        decode_request(leaked(&raw(fields, body)))
    }

    fn encoded_request(r: &Request<'_>) -> [u8; MESSAGE_BYTES] {
        let mut out = [0xAA; MESSAGE_BYTES];
        assert_eq!(encode_request(r, &mut out), Ok(()));
        out
    }

    #[test]
    fn echo_request_bytes_are_as_documented() {
        let out = encoded_request(&Request::Echo(Echo { bytes: b"abc" }));
        assert_eq!(&out[..19], &[2, 0, 1, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', b'c']);
        assert!(out[19..].iter().all(|&b| b == 0), "padding is zero");
    }

    #[test]
    fn hello_reply_bytes_are_as_documented() {
        let mut out = [0; MESSAGE_BYTES];
        assert_eq!(encode_reply(MethodId::Hello, &Reply::Hello(HelloReply::EXPECTED), &mut out), Ok(()));
        assert_eq!(&out[..16], &[1, 0, 1, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&out[16..24], b"tightbea");
        assert_eq!(&out[24..26], &[1, 0]);
        assert_eq!(u64::from_le_bytes(*b"tightbea"), HELLO_VALUE);
    }

    #[test]
    fn transform_request_bytes_are_as_documented() {
        let t = Transform { kind: TransformKind::Reverse, count: 2, bytes: b"xyz" };
        let out = encoded_request(&Request::Transform(t));
        assert_eq!(&out[..8], &[2, 0, 2, 0, 1, 0, 0, 0]);
        assert_eq!(&out[8..12], &[7, 0, 0, 0]);
        assert_eq!(&out[16..23], &[3, 0, 2, 0, b'x', b'y', b'z']);
    }

    #[test]
    fn every_request_round_trips() {
        let full = [0x5Au8; PAYLOAD_MAX];
        let most = [0xA5u8; TRANSFORM_BYTES_MAX];
        let cases = [
            Request::Hello(Hello),
            Request::Echo(Echo { bytes: b"" }),
            Request::Echo(Echo { bytes: b"hello, exclave" }),
            Request::Echo(Echo { bytes: &full }),
            Request::Transform(Transform { kind: TransformKind::Upper, count: 0, bytes: b"" }),
            Request::Transform(Transform { kind: TransformKind::Lower, count: 3, bytes: b"ABCD" }),
            Request::Transform(Transform { kind: TransformKind::Reverse, count: 4, bytes: b"ABCD" }),
            Request::Transform(Transform { kind: TransformKind::Upper, count: 492, bytes: &most }),
            Request::Refill(Refill),
            Request::Digest(Digest { len: 0 }),
            Request::Digest(Digest { len: u32::MAX }),
            Request::SensorStart(SensorRequest { sensor: 2, client: 7 }),
            Request::SensorStop(SensorRequest { sensor: 1, client: u32::MAX }),
            Request::SensorStatus(SensorRequest { sensor: 4, client: 0 }),
            Request::MinOnTime(MinOnTime { sensor: 3 }),
            Request::ClientGone(ClientGone { client: 9 }),
            Request::AudioCopy(AudioCopy { ranges: [(0x1000, 0x3000), (0x800, 0)] }),
            Request::Derive(Derive { identity: b"task:7" }),
            Request::Derive(Derive { identity: &[0xab; 64] }),
            Request::Put(Put { len: 4096, key: b"secret" }),
            Request::Put(Put { len: 0, key: &[0x11; 64] }),
            Request::Get(Key { key: b"k" }),
            Request::Remove(Key { key: b"secret" }),
            Request::Open(ObjectName { flags: OPEN_CREATE | OPEN_TRUNCATE, name: *b"0123456789abcdef0123456789abcdef" }),
            Request::RemoveObject(ObjectName { flags: 0, name: [b'f'; 32] }),
            Request::ReadObject(ObjectIo { object: 3, offset: 0, len: 4124 }),
            Request::WriteObject(ObjectIo { object: u32::MAX, offset: u32::MAX, len: 1 }),
            Request::ObjectSize(Object { object: 9 }),
            Request::CallerIn(Count { len: 16384 }),
            Request::CallerOut(Count { len: 0 }),
            Request::Launch(Control),
            Request::CrashInfo(Control),
            Request::DemoStopHost(Control),
        ];
        for case in cases {
            let message = received(&encoded_request(&case));
            assert_eq!(decode_request(&message), Ok(case));
        }
    }

    #[test]
    fn every_reply_round_trips() {
        let full = [7u8; PAYLOAD_MAX];
        let cases = [
            (MethodId::Hello, Reply::Hello(HelloReply::EXPECTED)),
            (MethodId::Hello, Reply::Hello(HelloReply { value: 0, protocol: 0xFFFF })),
            (MethodId::Echo, Reply::Echo(Echo { bytes: b"" })),
            (MethodId::Echo, Reply::Echo(Echo { bytes: &full })),
            (MethodId::Transform, Reply::Echo(Echo { bytes: b"DCBA" })),
            (MethodId::Refill, Reply::Filled(Filled { generation: u64::MAX, len: 0x4000 })),
            (MethodId::Digest, Reply::Digest(DigestReply { digest: 0x0123_4567_89ab_cdef })),
            (MethodId::SensorStart, Reply::Sensor(SensorReply { status: 1 })),
            (MethodId::SensorStatus, Reply::Sensor(SensorReply { status: 4 })),
            (MethodId::MinOnTime, Reply::MinOnTime(MinOnTimeReply { deadline: u64::MAX })),
            (MethodId::ClientGone, Reply::Done(Done)),
            (MethodId::Derive, Reply::Key(DerivedKey { key: [0x5a; 32] })),
            (MethodId::Put, Reply::Stored(Stored { version: 7 })),
            (MethodId::Remove, Reply::Stored(Stored { version: u64::MAX })),
            (MethodId::Get, Reply::Value(Value { len: 4096, version: 2 })),
            (MethodId::Open, Reply::Opened(Opened { object: 5 })),
            (MethodId::ReadObject, Reply::Count(Count { len: 100 })),
            (MethodId::WriteObject, Reply::Count(Count { len: 0 })),
            (MethodId::ObjectSize, Reply::ObjectSize(ObjectSize { size: 1 << 40 })),
            (MethodId::RemoveObject, Reply::Done(Done)),
            (MethodId::CallerIn, Reply::Count(Count { len: 3 })),
            (MethodId::CallerOut, Reply::Count(Count { len: 4096 })),
            (MethodId::Status, Reply::Conclave(ConclaveStatus { state: crate::conclave::State::Crashed, launches: 3, crashes: 1, stop_requests: 0 })),
            (MethodId::CrashInfo, Reply::Crash(CrashInfo { fault: 5, pc: 0x1000_0040, addr: 8, len: 0x1200 })),
            (MethodId::DemoCount, Reply::Served(Served { calls: 42 })),
        ];
        for (call, reply) in cases {
            let mut out = [0; MESSAGE_BYTES];
            assert_eq!(encode_reply(call, &reply, &mut out), Ok(()));
            assert_eq!(decode_reply(&received(&out), call), Ok(Ok(reply)));
        }
    }

    #[test]
    fn error_reply_round_trips_and_names_the_request() {
        let service_code = ErrorCode::service(1);
        for call in MethodId::ALL {
            for code in [ErrorCode::UNKNOWN_METHOD, service_code] {
                let req = raw((call.service() as u16, call.number(), 9, 0, 0, 0), &[]);
                let mut out = [0xFF; MESSAGE_BYTES];
                error_reply(&received(&req).header(), code, &mut out);
                assert_eq!(&out[..8], &raw((call.service() as u16, call.number(), 0, 0, 0, 0), &[])[..8]);
                assert_eq!(u32::from_le_bytes([out[12], out[13], out[14], out[15]]), code.get());
                assert_eq!(decode_reply(&received(&out), call), Ok(Err(code)));
            }
        }
    }

    #[test]
    fn wrong_total_length_is_refused() {
        for len in [0, 1, 16, 511, 513, 1024] {
            let bytes = Vec::from_iter(core::iter::repeat_n(0u8, len));
            assert_eq!(Received::copy_from(&bytes).err(), Some(DecodeError::Length { found: len }));
        }
    }

    #[test]
    fn copy_from_shared_copies_every_byte() {
        let mut src = Vec::from_iter((0..MESSAGE_BYTES + 1).map(|i| (i * 7) as u8));
        // Start off word alignment so the unaligned head path runs too.
        let src = &mut src[1..];
        // SAFETY: `src` is 512 readable bytes nobody else touches.
        let mut copy = Received::empty();
        unsafe { copy.copy_from_shared(src.as_ptr()) };
        assert_eq!(&copy.bytes()[..], &src[..]);
    }

    #[test]
    fn nonzero_flags_are_refused() {
        for flags in [1, 0x80, 0x8000, 0xFFFF] {
            assert_eq!(request((1, 1, 1, flags, 0, 0), &[]), Err(DecodeError::Flags { found: flags }));
        }
    }

    #[test]
    fn payload_length_beyond_the_message_is_refused() {
        for stated in [497, 512, 0x8000_0000, u32::MAX] {
            assert_eq!(request((2, 1, 1, 0, stated, 0), &[]), Err(DecodeError::PayloadLength { stated }));
        }
        assert!(request((2, 1, 1, 0, 496, 0), &[]).is_ok(), "496 is the most, and allowed");
    }

    #[test]
    fn nonzero_padding_is_refused_with_its_offset() {
        let mut m = raw((2, 1, 1, 0, 3, 0), b"abc");
        m[19] = 1;
        assert_eq!(decode_request(&received(&m)), Err(DecodeError::Padding { offset: 19 }));
        let mut m = raw((2, 1, 1, 0, 3, 0), b"abc");
        m[511] = 0x80;
        assert_eq!(decode_request(&received(&m)), Err(DecodeError::Padding { offset: 511 }));
    }

    #[test]
    fn unknown_services_and_methods_are_refused() {
        for service in [0, 3, 4, 13, 14, 0x100, 0xFFFF] {
            assert_eq!(request((service, 1, 1, 0, 0, 0), &[]), Err(DecodeError::UnknownService { service }));
        }
        for (service, method) in [(1, 0), (1, 2), (2, 0), (2, 3), (2, 0xFFFF), (7, 0), (7, 3), (12, 0), (12, 3), (12, 5), (12, 10)] {
            assert_eq!(
                request((service, method, 1, 0, 0, 0), &[]),
                Err(DecodeError::UnknownMethod { service, method })
            );
        }
    }

    #[test]
    fn every_method_is_found_by_its_declaration_and_nothing_else() {
        for m in MethodId::ALL {
            assert_eq!(MethodId::find(m.service() as u16, m.number()), Ok(m));
        }
        let found = (0..=u16::from(u8::MAX)).flat_map(|s| (0..=64u16).map(move |n| (s, n))).filter(|&(s, n)| MethodId::find(s, n).is_ok()).count();
        assert_eq!(found, MethodId::ALL.len());
    }

    #[test]
    fn sensors_outside_one_to_four_are_refused_both_ways() {
        use crate::indicator::SENSOR_KINDS;
        for bad in [0u32, SENSOR_KINDS + 1, u32::MAX] {
            let mut body = [0u8; 8];
            body[..4].copy_from_slice(&bad.to_le_bytes());
            let refused = DecodeError::BadEnum { field: "sensor", value: bad.into() };
            assert_eq!(request((12, 1, 1, 0, 8, 0), &body), Err(refused));
            assert_eq!(request((12, 7, 1, 0, 4, 0), &body[..4]), Err(refused));
            let mut out = [0xAA; MESSAGE_BYTES];
            let start = Request::SensorStart(SensorRequest { sensor: bad, client: 1 });
            assert_eq!(encode_request(&start, &mut out), Err(EncodeError::Invalid(refused)));
        }
    }

    #[test]
    fn wrong_versions_are_refused() {
        for found in [0, 2, 0xFFFF] {
            assert_eq!(request((1, 1, found, 0, 0, 0), &[]), Err(DecodeError::Version { found, expected: 1 }));
        }
    }

    #[test]
    fn a_request_with_a_status_is_refused() {
        assert_eq!(request((1, 1, 1, 0, 0, 5), &[]), Err(DecodeError::Status { found: 5 }));
    }

    #[test]
    fn payloads_of_the_wrong_size_are_refused() {
        assert_eq!(request((1, 1, 1, 0, 1, 0), &[0]), Err(DecodeError::PayloadSize { stated: 1, min: 0, max: 0 }));
        assert_eq!(
            request((2, 2, 1, 0, 3, 0), &[1, 0, 0]),
            Err(DecodeError::PayloadSize { stated: 3, min: 4, max: PAYLOAD_MAX })
        );
    }

    #[test]
    fn bad_enum_values_are_refused() {
        for value in [0u16, 4, 0xFFFF] {
            let [lo, hi] = value.to_le_bytes();
            assert_eq!(
                request((2, 2, 1, 0, 4, 0), &[lo, hi, 0, 0]),
                Err(DecodeError::BadEnum { field: "transform kind", value: value.into() })
            );
        }
    }

    #[test]
    fn out_of_range_counts_are_refused() {
        assert_eq!(
            request((2, 2, 1, 0, 9, 0), &[1, 0, 6, 0, b'a', b'b', b'c', b'd', b'e']),
            Err(DecodeError::OutOfRange { field: "transform count", value: 6, max: 5 })
        );
        assert!(request((2, 2, 1, 0, 9, 0), &[1, 0, 5, 0, b'a', b'b', b'c', b'd', b'e']).is_ok());
        // The count is judged against the stated bytes, never the padding after them.
        assert_eq!(
            request((2, 2, 1, 0, 4, 0), &[1, 0, 1, 0]),
            Err(DecodeError::OutOfRange { field: "transform count", value: 1, max: 0 })
        );
    }

    #[test]
    fn the_payload_is_exactly_the_stated_bytes() {
        let Ok(Request::Echo(echo)) = request((2, 1, 1, 0, 5, 0), b"abcde") else { panic!("echo refused") };
        assert_eq!(echo.bytes, b"abcde");
        let Ok(Request::Echo(echo)) = request((2, 1, 1, 0, 0, 0), &[]) else { panic!("empty echo refused") };
        assert!(echo.bytes.is_empty());
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        // Flags before length, length before padding, padding before service, ...
        assert_eq!(request((0, 0, 0, 1, 999, 1), &[1]), Err(DecodeError::Flags { found: 1 }));
        assert_eq!(request((0, 0, 0, 0, 999, 1), &[1]), Err(DecodeError::PayloadLength { stated: 999 }));
        assert_eq!(request((0, 0, 0, 0, 0, 1), &[1]), Err(DecodeError::Padding { offset: 16 }));
        assert_eq!(request((0, 0, 0, 0, 0, 1), &[]), Err(DecodeError::UnknownService { service: 0 }));
        assert_eq!(request((1, 0, 0, 0, 0, 1), &[]), Err(DecodeError::UnknownMethod { service: 1, method: 0 }));
        assert_eq!(request((1, 1, 0, 0, 0, 1), &[]), Err(DecodeError::Version { found: 0, expected: 1 }));
        assert_eq!(request((1, 1, 1, 0, 1, 1), &[0]), Err(DecodeError::Status { found: 1 }));
    }

    #[test]
    fn replies_that_do_not_answer_the_call_are_refused() {
        let hello_reply = raw((1, 1, 1, 0, 10, 0), &[0; 10]);
        assert_eq!(
            decode_reply(&received(&hello_reply), MethodId::Echo),
            Err(DecodeError::NotTheReply { service: 1, method: 1 })
        );
        let transform_reply = raw((2, 2, 1, 0, 0, 0), &[]);
        assert_eq!(
            decode_reply(&received(&transform_reply), MethodId::Echo),
            Err(DecodeError::NotTheReply { service: 2, method: 2 })
        );
    }

    #[test]
    fn malformed_replies_are_refused() {
        let bad = |fields, body: &[u8], call| decode_reply(leaked(&raw(fields, body)), call).map(|r| r.err());
        assert_eq!(bad((1, 1, 2, 0, 10, 0), &[0; 10], MethodId::Hello), Err(DecodeError::Version { found: 2, expected: 1 }));
        assert_eq!(
            bad((1, 1, 1, 0, 9, 0), &[0; 9], MethodId::Hello),
            Err(DecodeError::PayloadSize { stated: 9, min: 10, max: 10 })
        );
        // An error reply has version 0 and no payload.
        assert_eq!(bad((2, 1, 1, 0, 0, 6), &[], MethodId::Echo), Err(DecodeError::Version { found: 1, expected: 0 }));
        assert_eq!(
            bad((2, 1, 0, 0, 1, 6), &[0], MethodId::Echo),
            Err(DecodeError::PayloadSize { stated: 1, min: 0, max: 0 })
        );
        assert_eq!(bad((2, 1, 0, 1, 0, 6), &[], MethodId::Echo), Err(DecodeError::Flags { found: 1 }));
    }

    #[test]
    fn values_that_cannot_be_sent_are_not_encoded() {
        let long = [0u8; PAYLOAD_MAX + 1];
        let mut out = [0x33; MESSAGE_BYTES];
        assert_eq!(
            encode_request(&Request::Echo(Echo { bytes: &long }), &mut out),
            Err(EncodeError::TooLong { len: PAYLOAD_MAX + 1, max: PAYLOAD_MAX })
        );
        assert!(out.iter().all(|&b| b == 0), "a failed encode leaves a message behind");
        assert_eq!(
            encode_request(
                &Request::Transform(Transform { kind: TransformKind::Upper, count: 0, bytes: &long[..TRANSFORM_BYTES_MAX + 1] }),
                &mut out
            ),
            Err(EncodeError::TooLong { len: PAYLOAD_MAX + 1, max: PAYLOAD_MAX })
        );
        assert_eq!(
            encode_request(&Request::Transform(Transform { kind: TransformKind::Upper, count: 2, bytes: b"a" }), &mut out),
            Err(EncodeError::Invalid(DecodeError::OutOfRange { field: "transform count", value: 2, max: 1 }))
        );
        assert_eq!(
            encode_reply(MethodId::Echo, &Reply::Hello(HelloReply::EXPECTED), &mut out),
            Err(EncodeError::WrongReply { method: MethodId::Echo })
        );
        assert_eq!(
            encode_reply(MethodId::Hello, &Reply::Echo(Echo { bytes: b"" }), &mut out),
            Err(EncodeError::WrongReply { method: MethodId::Hello })
        );
        assert!(out.iter().all(|&b| b == 0), "a failed encode leaves a message behind");
    }

    #[test]
    fn every_decode_error_has_its_own_code() {
        let errors = [
            DecodeError::Length { found: 0 },
            DecodeError::Flags { found: 1 },
            DecodeError::PayloadLength { stated: 497 },
            DecodeError::Padding { offset: 16 },
            DecodeError::UnknownService { service: 0 },
            DecodeError::UnknownMethod { service: 1, method: 0 },
            DecodeError::Version { found: 0, expected: 1 },
            DecodeError::Status { found: 1 },
            DecodeError::PayloadSize { stated: 1, min: 0, max: 0 },
            DecodeError::BadEnum { field: "f", value: 0 },
            DecodeError::OutOfRange { field: "f", value: 1, max: 0 },
            DecodeError::NotTheReply { service: 0, method: 0 },
        ];
        let mut codes = Vec::from_iter(errors.iter().map(|e| e.code().get()));
        assert!(codes.iter().all(|&c| c < ErrorCode::SERVICE_BASE));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(!codes.contains(&ErrorCode::INTERNAL.get()));
        assert_eq!(ErrorCode::new(0), None);
    }

    #[test]
    fn method_numbers_are_at_least_two_bits_apart_within_a_service() {
        for a in MethodId::ALL {
            for b in MethodId::ALL {
                if a != b && a.service() == b.service() {
                    assert!((a.number() ^ b.number()).count_ones() >= 2, "{a:?} and {b:?}");
                }
            }
            assert_eq!(MethodId::find(a.service() as u16, a.number()), Ok(a));
        }
    }
}
