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
    fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut [u8; PAYLOAD_MAX]) -> Result<Reply<'a>, ErrorCode>;
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

pub struct Dispatcher<H> {
    handler: H,
    scratch: [u8; PAYLOAD_MAX],
}

impl<H: Handler> Dispatcher<H> {
    pub fn new(handler: H) -> Self {
        Dispatcher { handler, scratch: [0; PAYLOAD_MAX] }
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// Answers `message` into `reply`, which always holds a whole reply after.
    pub fn dispatch(&mut self, message: &Received, reply: &mut [u8; MESSAGE_BYTES]) -> Outcome {
        let refuse = |error: DecodeError, reply: &mut [u8; MESSAGE_BYTES]| {
            error_reply(&message.header(), error.code(), reply);
            Outcome::Refused(error)
        };
        let request = match decode_request(message) {
            Ok(request) if request.method().service() == H::SERVICE => request,
            Ok(request) => {
                return refuse(DecodeError::UnknownService { service: request.method().service() as u16 }, reply)
            }
            Err(error) => return refuse(error, reply),
        };
        let method = request.method();
        // A reply built from stale scratch would carry an earlier client's bytes.
        self.scratch = [0; PAYLOAD_MAX];
        let code = match self.handler.handle(request, &mut self.scratch) {
            Ok(answer) => match encode_reply(method, &answer, reply) {
                Ok(()) => return Outcome::Answered(method),
                Err(_) => ErrorCode::INTERNAL,
            },
            Err(code) => code,
        };
        error_reply(&message.header(), code, reply);
        Outcome::Failed(method, code)
    }
}
