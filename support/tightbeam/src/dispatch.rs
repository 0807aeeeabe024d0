//! What a service PD runs per message: decode its private copy, call the
//! handler, encode the reply. Every message gets a reply, an error reply for
//! anything that does not decode, and the service keeps serving.

use crate::{
    decode_request, encode_reply, error_reply, DecodeError, ErrorCode, MethodId, Received, Reply, Request, ServiceId,
    MESSAGE_BYTES, PAYLOAD_MAX,
};

/// A service's methods.
pub trait Handler {
    /// The service this handler is; requests for any other are refused as
    /// [`DecodeError::UnknownService`].
    const SERVICE: ServiceId;

    /// Answers one request of this service. `scratch` (zeroed) is room for a
    /// reply payload that is not a slice of the request.
    fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode>;

    /// Who sends the next request: the channel id it comes on, for a
    /// service whose answers depend on the caller.
    fn caller(&mut self, _channel: u8) {}
}

/// What became of one message (for the service's log or counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler answered; a success reply was written.
    Answered(MethodId),
    /// The handler refused, or answered with the wrong reply type
    /// ([`ErrorCode::INTERNAL`]); an error reply was written.
    Failed(MethodId, ErrorCode),
    /// The message did not decode; an error reply with the error's code was written.
    Refused(DecodeError),
}

/// Room for a reply a handler builds (a transform's output). What it takes
/// is zeroed first, so no earlier request's bytes can reach a reply, and a
/// handler that takes nothing costs nothing.
pub struct Scratch([u8; PAYLOAD_MAX]);

impl Scratch {
    /// The first `len` bytes, zeroed; `None` past [`PAYLOAD_MAX`].
    pub fn take(&mut self, len: usize) -> Option<&mut [u8]> {
        let bytes = self.0.get_mut(..len)?;
        bytes.fill(0);
        Some(bytes)
    }
}

/// A reply buffer aligned for the word copies of `volatile-copy`.
#[repr(C, align(8))]
struct ReplyBuffer([u8; MESSAGE_BYTES]);

pub struct Dispatcher<H> {
    handler: H,
    scratch: Scratch,
    /// [`Dispatcher::answer_shared`]'s copy of the request, and where it
    /// writes the reply (every answer writes all of it).
    request: Received,
    reply: ReplyBuffer,
}

impl<H: Handler> Dispatcher<H> {
    pub fn new(handler: H) -> Self {
        Dispatcher {
            handler,
            scratch: Scratch([0; PAYLOAD_MAX]),
            request: Received::empty(),
            reply: ReplyBuffer([0; MESSAGE_BYTES]),
        }
    }

    /// See [`Handler::caller`].
    pub fn caller(&mut self, channel: u8) {
        self.handler.caller(channel);
    }

    /// Answers the message at `src`, memory the sender shares: copied into
    /// the dispatcher's own request buffer first, answered into its own reply
    /// buffer, which it returns (for the service to copy into the page).
    ///
    /// # Safety
    /// As for [`Received::copy_from_shared`].
    pub unsafe fn answer_shared(&mut self, src: *const u8) -> (Outcome, &[u8; MESSAGE_BYTES]) {
        // SAFETY: the caller's.
        unsafe { self.request.copy_from_shared(src) };
        let outcome = answer(&mut self.handler, &mut self.scratch, &self.request, &mut self.reply.0);
        (outcome, &self.reply.0)
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Answers `message` into `reply`, which always holds a whole reply after.
    pub fn dispatch(&mut self, message: &Received, reply: &mut [u8; MESSAGE_BYTES]) -> Outcome {
        answer(&mut self.handler, &mut self.scratch, message, reply)
    }
}

fn answer<H: Handler>(handler: &mut H, scratch: &mut Scratch, message: &Received, reply: &mut [u8; MESSAGE_BYTES]) -> Outcome {
    let refuse = |error: DecodeError, reply: &mut [u8; MESSAGE_BYTES]| {
        error_reply(&message.header(), error.code(), reply);
        Outcome::Refused(error)
    };
    let request = match decode_request(message) {
        Ok(request) if request.method().service() == H::SERVICE => request,
        Ok(request) => return refuse(DecodeError::UnknownService { service: request.method().service() as u16 }, reply),
        Err(error) => return refuse(error, reply),
    };
    let method = request.method();
    let code = match handler.handle(request, scratch) {
        Ok(reply_value) => match encode_reply(method, &reply_value, reply) {
            Ok(()) => return Outcome::Answered(method),
            Err(_) => ErrorCode::INTERNAL,
        },
        Err(code) => code,
    };
    error_reply(&message.header(), code, reply);
    Outcome::Failed(method, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo::{Echo, Transform, TransformKind};
    use crate::hello::{Hello, HelloReply};
    use crate::{decode_reply, encode_request};

    /// The echo service as `echo`'s docs describe it, with two faults to order:
    /// it refuses a transform of `count` 0x55, and answers `Upper` of
    /// `count` 0x66 with a hello reply.
    #[derive(Default)]
    struct EchoService {
        served: usize,
    }

    const REFUSED: ErrorCode = ErrorCode::service(7);

    impl Handler for EchoService {
        const SERVICE: ServiceId = ServiceId::Echo;

        fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
            self.served += 1;
            match request {
                Request::Echo(echo) => Ok(Reply::Echo(echo)),
                Request::Transform(t) if t.count == 0x55 => Err(REFUSED),
                Request::Transform(t) if t.count == 0x66 => Ok(Reply::Hello(HelloReply::EXPECTED)),
                Request::Transform(t) => {
                    let Some(out) = scratch.take(t.bytes.len()) else { return Err(ErrorCode::INTERNAL) };
                    out.copy_from_slice(t.bytes);
                    let head = &mut out[..usize::from(t.count)];
                    match t.kind {
                        TransformKind::Upper => head.make_ascii_uppercase(),
                        TransformKind::Lower => head.make_ascii_lowercase(),
                        TransformKind::Reverse => head.reverse(),
                    }
                    Ok(Reply::Echo(Echo { bytes: out }))
                }
                _ => Err(ErrorCode::INTERNAL),
            }
        }
    }

    /// Answers `echo` with as much of the scratch as the request is long,
    /// without writing it: shows what a careless handler could leak.
    struct Careless;

    impl Handler for Careless {
        const SERVICE: ServiceId = ServiceId::Echo;

        fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
            match request {
                // Takes the room and forgets to fill it.
                Request::Echo(e) => Ok(Reply::Echo(Echo { bytes: scratch.take(e.bytes.len()).ok_or(ErrorCode::INTERNAL)? })),
                Request::Transform(t) => {
                    let out = scratch.take(t.bytes.len()).ok_or(ErrorCode::INTERNAL)?;
                    out.copy_from_slice(t.bytes);
                    Ok(Reply::Echo(Echo { bytes: out }))
                }
                _ => Err(ErrorCode::INTERNAL),
            }
        }
    }

    struct HelloService;

    impl Handler for HelloService {
        const SERVICE: ServiceId = ServiceId::Hello;

        fn handle<'a>(&mut self, request: Request<'a>, _scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
            match request {
                Request::Hello(Hello) => Ok(Reply::Hello(HelloReply::EXPECTED)),
                _ => Err(ErrorCode::INTERNAL),
            }
        }
    }

    fn call<H: Handler>(d: &mut Dispatcher<H>, request: &Request<'_>) -> (Outcome, [u8; MESSAGE_BYTES]) {
        let mut message = [0; MESSAGE_BYTES];
        assert_eq!(encode_request(request, &mut message), Ok(()));
        send(d, &message)
    }

    fn send<H: Handler>(d: &mut Dispatcher<H>, message: &[u8; MESSAGE_BYTES]) -> (Outcome, [u8; MESSAGE_BYTES]) {
        let Ok(received) = Received::copy_from(message) else { panic!("512 bytes refused") };
        let mut reply = [0xEE; MESSAGE_BYTES];
        let outcome = d.dispatch(&received, &mut reply);
        (outcome, reply)
    }

    fn reply_to(bytes: &[u8; MESSAGE_BYTES], call: MethodId) -> Result<Result<Reply<'_>, ErrorCode>, DecodeError> {
        let Ok(received) = Received::copy_from(bytes) else { panic!("512 bytes refused") };
        // The decoded reply borrows `received`; compare by re-encoding into owned data.
        match decode_reply(&received, call)? {
            Ok(Reply::Hello(h)) => Ok(Ok(Reply::Hello(h))),
            Ok(Reply::Filled(f)) => Ok(Ok(Reply::Filled(f))),
            Ok(Reply::Digest(d)) => Ok(Ok(Reply::Digest(d))),
            Ok(Reply::Sensor(r)) => Ok(Ok(Reply::Sensor(r))),
            Ok(Reply::MinOnTime(r)) => Ok(Ok(Reply::MinOnTime(r))),
            Ok(Reply::Done(r)) => Ok(Ok(Reply::Done(r))),
            Ok(Reply::Key(r)) => Ok(Ok(Reply::Key(r))),
            Ok(Reply::Stored(r)) => Ok(Ok(Reply::Stored(r))),
            Ok(Reply::Value(r)) => Ok(Ok(Reply::Value(r))),
            Ok(Reply::Opened(r)) => Ok(Ok(Reply::Opened(r))),
            Ok(Reply::Count(r)) => Ok(Ok(Reply::Count(r))),
            Ok(Reply::ObjectSize(r)) => Ok(Ok(Reply::ObjectSize(r))),
            Ok(Reply::Conclave(r)) => Ok(Ok(Reply::Conclave(r))),
            Ok(Reply::Crash(r)) => Ok(Ok(Reply::Crash(r))),
            Ok(Reply::Served(r)) => Ok(Ok(Reply::Served(r))),
            Ok(Reply::Echo(e)) => {
                assert!(bytes[16..16 + e.bytes.len()] == *e.bytes, "reply payload sits at byte 16");
                Ok(Ok(Reply::Echo(Echo { bytes: &bytes[16..16 + e.bytes.len()] })))
            }
            Err(code) => Ok(Err(code)),
        }
    }

    #[test]
    fn hello_answers_the_fixed_value() {
        let mut d = Dispatcher::new(HelloService);
        let (outcome, reply) = call(&mut d, &Request::Hello(Hello));
        assert_eq!(outcome, Outcome::Answered(MethodId::Hello));
        assert_eq!(reply_to(&reply, MethodId::Hello), Ok(Ok(Reply::Hello(HelloReply::EXPECTED))));
    }

    #[test]
    fn echo_answers_the_same_bytes() {
        let mut d = Dispatcher::new(EchoService::default());
        for bytes in [&b""[..], b"x", &[0xFF; PAYLOAD_MAX]] {
            let (outcome, reply) = call(&mut d, &Request::Echo(Echo { bytes }));
            assert_eq!(outcome, Outcome::Answered(MethodId::Echo));
            assert_eq!(reply_to(&reply, MethodId::Echo), Ok(Ok(Reply::Echo(Echo { bytes }))));
        }
    }

    #[test]
    fn transform_applies_its_kind_to_the_counted_bytes() {
        let mut d = Dispatcher::new(EchoService::default());
        for (kind, count, want) in [
            (TransformKind::Upper, 3, &b"ABCdE"[..]),
            (TransformKind::Lower, 5, b"abcde"),
            (TransformKind::Reverse, 4, b"dCbaE"),
            (TransformKind::Reverse, 0, b"abCdE"),
        ] {
            let (outcome, reply) = call(&mut d, &Request::Transform(Transform { kind, count, bytes: b"abCdE" }));
            assert_eq!(outcome, Outcome::Answered(MethodId::Transform));
            assert_eq!(reply_to(&reply, MethodId::Transform), Ok(Ok(Reply::Echo(Echo { bytes: want }))));
        }
    }

    #[test]
    fn a_bad_message_gets_an_error_reply_and_the_service_keeps_serving() {
        let mut d = Dispatcher::new(EchoService::default());
        let mut bad = [0u8; MESSAGE_BYTES];
        assert_eq!(encode_request(&Request::Echo(Echo { bytes: b"ok" }), &mut bad), Ok(()));
        // Payload length 0x1FF = 511: beyond the 496 a message holds.
        bad[8] = 0xFF;
        bad[9] = 0x01;
        let (outcome, reply) = send(&mut d, &bad);
        let error = DecodeError::PayloadLength { stated: 511 };
        assert_eq!(outcome, Outcome::Refused(error));
        assert_eq!(reply_to(&reply, MethodId::Echo), Ok(Err(error.code())));
        assert_eq!(d.handler().served, 0, "the handler never saw it");

        let (outcome, reply) = call(&mut d, &Request::Echo(Echo { bytes: b"still here" }));
        assert_eq!(outcome, Outcome::Answered(MethodId::Echo));
        assert_eq!(reply_to(&reply, MethodId::Echo), Ok(Ok(Reply::Echo(Echo { bytes: b"still here" }))));
        assert_eq!(d.handler().served, 1);
    }

    #[test]
    fn a_request_for_another_service_is_refused() {
        let mut d = Dispatcher::new(HelloService);
        let (outcome, reply) = call(&mut d, &Request::Echo(Echo { bytes: b"hi" }));
        assert_eq!(outcome, Outcome::Refused(DecodeError::UnknownService { service: 2 }));
        assert_eq!(reply_to(&reply, MethodId::Echo), Ok(Err(ErrorCode::UNKNOWN_SERVICE)));
    }

    #[test]
    fn an_undecodable_header_is_answered_with_its_own_service_and_method() {
        let mut d = Dispatcher::new(EchoService::default());
        let mut m = [0u8; MESSAGE_BYTES];
        m[0..4].copy_from_slice(&[0x34, 0x12, 0x78, 0x56]);
        let (outcome, reply) = send(&mut d, &m);
        assert_eq!(outcome, Outcome::Refused(DecodeError::UnknownService { service: 0x1234 }));
        assert_eq!(&reply[..4], &[0x34, 0x12, 0x78, 0x56]);
        assert_eq!(&reply[4..16], &[0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]);
        assert!(reply[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_handler_refusal_becomes_an_error_reply_with_its_code() {
        let mut d = Dispatcher::new(EchoService::default());
        let t = Transform { kind: TransformKind::Upper, count: 0x55, bytes: &[b'a'; 0x55] };
        let (outcome, reply) = call(&mut d, &Request::Transform(t));
        assert_eq!(outcome, Outcome::Failed(MethodId::Transform, REFUSED));
        assert_eq!(reply_to(&reply, MethodId::Transform), Ok(Err(REFUSED)));
        assert_eq!(&reply[12..16], &[7, 1, 0, 0], "status is SERVICE_BASE + 7");
    }

    #[test]
    fn a_reply_of_the_wrong_type_becomes_an_internal_error() {
        let mut d = Dispatcher::new(EchoService::default());
        let t = Transform { kind: TransformKind::Upper, count: 0x66, bytes: &[b'a'; 0x66] };
        let (outcome, reply) = call(&mut d, &Request::Transform(t));
        assert_eq!(outcome, Outcome::Failed(MethodId::Transform, ErrorCode::INTERNAL));
        assert_eq!(reply_to(&reply, MethodId::Transform), Ok(Err(ErrorCode::INTERNAL)));
    }

    #[test]
    fn scratch_from_an_earlier_request_never_reaches_a_reply() {
        let mut d = Dispatcher::new(Careless);
        let secret = Transform { kind: TransformKind::Upper, count: 0, bytes: b"secret" };
        assert_eq!(call(&mut d, &Request::Transform(secret)).0, Outcome::Answered(MethodId::Transform));
        let (_, reply) = call(&mut d, &Request::Echo(Echo { bytes: b"......" }));
        assert_eq!(reply_to(&reply, MethodId::Echo), Ok(Ok(Reply::Echo(Echo { bytes: &[0; 6] }))));
    }
}
