//! MK0015 (with exclave-hello and exclave-echo): tightbeam over a message
//! page and a zero-word call. The client judges the services: hello's
//! known value, an echo of a whole payload, a transform, malformed
//! messages (each answered with its error code), a malformed call, and
//! after all of that both services still answer.
#![no_std]
#![no_main]

use microkit_examples::{ensure, report};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MessageInfo};
use tightbeam::echo::{Echo, Transform, TransformKind};
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::{decode_reply, encode_request, ErrorCode, MethodId, Received, Reply, Request, MESSAGE_BYTES, PAYLOAD_MAX};
use tightbeam_channel::{Endpoint, BAD_CALL, PAGE_BYTES};

const HELLO: Channel = Channel::new(1);
const ECHO: Channel = Channel::new(2);

protection_domain!(init);

struct Done;
impl Handler for Done {}

type Outcome = Result<(), &'static str>;

/// Calls `ep` with raw request bytes: the reply decoded as `method`'s.
fn call_raw(ep: &Endpoint, request: &[u8; MESSAGE_BYTES], method: MethodId, check: impl FnOnce(Result<Reply<'_>, ErrorCode>) -> Outcome) -> Outcome {
    let mut reply = [0u8; MESSAGE_BYTES];
    ep.call(request, &mut reply).map_err(|_| "the call failed")?;
    let received = Received::copy_from(&reply).map_err(|_| "the reply is not a message")?;
    check(decode_reply(&received, method).map_err(|_| "the reply does not decode")?)
}

fn call(ep: &Endpoint, request: &Request<'_>, check: impl FnOnce(Result<Reply<'_>, ErrorCode>) -> Outcome) -> Outcome {
    let mut bytes = [0u8; MESSAGE_BYTES];
    encode_request(request, &mut bytes).map_err(|_| "the request does not encode")?;
    call_raw(ep, &bytes, request.method(), check)
}

fn hello_answers(hello: &Endpoint) -> Outcome {
    call(hello, &Request::Hello(Hello), |r| ensure(matches!(r, Ok(Reply::Hello(v)) if v == HelloReply::EXPECTED), "hello did not answer its known value"))
}

fn echo_answers(echo: &Endpoint, bytes: &[u8]) -> Outcome {
    call(echo, &Request::Echo(Echo { bytes }), |r| ensure(matches!(r, Ok(Reply::Echo(e)) if e.bytes == bytes), "echo did not return its bytes"))
}

/// `request`, sent as it is, must get an error reply with `code`. An error
/// reply names the request's own (damaged) service and method, so it is read
/// by its header, not decoded as a reply to a method.
fn refused_as(ep: &Endpoint, request: &[u8; MESSAGE_BYTES], code: ErrorCode, what: &'static str) -> Outcome {
    let mut reply = [0u8; MESSAGE_BYTES];
    ep.call(request, &mut reply).map_err(|_| "the call failed")?;
    let header = Received::copy_from(&reply).map_err(|_| "the reply is not a message")?.header();
    ensure(header.status.get() == code.get() && header.len.get() == 0, what)?;
    ensure(reply[..2] == request[..2] && reply[2..4] == request[2..4], "the error reply does not name the request's service and method")
}

/// A valid echo request, damaged by `damage`, must get error `code`.
fn refused(echo: &Endpoint, damage: impl FnOnce(&mut [u8; MESSAGE_BYTES]), code: ErrorCode, what: &'static str) -> Outcome {
    let mut bytes = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Echo(Echo { bytes: b"abcd" }), &mut bytes).map_err(|_| "encode failed")?;
    damage(&mut bytes);
    refused_as(echo, &bytes, code, what)
}

fn run() -> Outcome {
    let hello = Endpoint::new(HELLO, memory_region_symbol!(hello_page, PAGE_BYTES).map_err(|_| "no hello page")?).map_err(|_| "hello page")?;
    let echo = Endpoint::new(ECHO, memory_region_symbol!(echo_page, PAGE_BYTES).map_err(|_| "no echo page")?).map_err(|_| "echo page")?;
    hello_answers(&hello)?;
    let mut full = [0u8; PAYLOAD_MAX];
    for (i, b) in full.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(1);
    }
    echo_answers(&echo, &full)?;
    echo_answers(&echo, b"")?;
    let upper = Request::Transform(Transform { kind: TransformKind::Upper, count: 5, bytes: b"hello world" });
    call(&echo, &upper, |r| ensure(matches!(r, Ok(Reply::Echo(e)) if e.bytes == b"HELLO world"), "transform did not upper-case its first five bytes"))?;
    // Each header field damaged, then padding, then the whole message.
    refused(&echo, |m| m[6] = 1, ErrorCode::FLAGS, "non-zero flags were not FLAGS")?;
    refused(&echo, |m| m[8..12].copy_from_slice(&600u32.to_le_bytes()), ErrorCode::PAYLOAD_LENGTH, "a length past the message was not PAYLOAD_LENGTH")?;
    refused(&echo, |m| m[300] = 0xff, ErrorCode::PADDING, "a byte past the payload was not PADDING")?;
    refused(&echo, |m| m[2] = 9, ErrorCode::UNKNOWN_METHOD, "an unknown method was not UNKNOWN_METHOD")?;
    refused(&echo, |m| m[4] = 7, ErrorCode::VERSION, "a wrong version was not VERSION")?;
    refused(&echo, |m| m[12] = 1, ErrorCode::STATUS, "a request with a status was not STATUS")?;
    refused(&echo, |m| m[0] = 0x7f, ErrorCode::UNKNOWN_SERVICE, "an unknown service was not UNKNOWN_SERVICE")?;
    // hello's method, sent to echo: the echo service refuses another's request.
    refused(&echo, |m| m[..8].copy_from_slice(&[1, 0, 1, 0, 1, 0, 0, 0]), ErrorCode::PAYLOAD_SIZE, "hello with a payload was not PAYLOAD_SIZE")?;
    refused(&echo, |m| m.fill(0), ErrorCode::UNKNOWN_SERVICE, "an all-zero message was not UNKNOWN_SERVICE")?;
    // A transform with a kind no enum has, and a count past its bytes.
    let mut bad_kind = [0u8; MESSAGE_BYTES];
    encode_request(&upper, &mut bad_kind).map_err(|_| "encode failed")?;
    bad_kind[16] = 9;
    refused_as(&echo, &bad_kind, ErrorCode::BAD_ENUM, "a bad transform kind was not BAD_ENUM")?;
    let mut bad_count = [0u8; MESSAGE_BYTES];
    encode_request(&upper, &mut bad_count).map_err(|_| "encode failed")?;
    bad_count[18] = 200;
    refused_as(&echo, &bad_count, ErrorCode::OUT_OF_RANGE, "a transform count past its bytes was not OUT_OF_RANGE")?;
    // A well-formed request for another service.
    let mut for_hello = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Hello(Hello), &mut for_hello).map_err(|_| "encode failed")?;
    refused_as(&echo, &for_hello, ErrorCode::UNKNOWN_SERVICE, "echo answered hello's request")?;
    // A call with words is refused before the page is read.
    let answer = ECHO.pp_call(MessageInfo::new(0, 3)).map_err(|_| "the malformed call failed")?;
    ensure(answer.label() == BAD_CALL, "a call with words was not refused")?;
    // Both still serve.
    echo_answers(&echo, b"still serving")?;
    hello_answers(&hello)
}

fn init() -> Done {
    report("MK0015", "tightbeam services answer, refuse malformed messages with their codes, and serve on", run());
    Done
}
