//! ATTACK0012 (judge): a second client of the hello and echo exclaves, of
//! lower priority than the attacker, so it runs once the attack is over.
//! It checks that both still serve correctly: hello its known value, echo a
//! whole payload byte for byte, and a malformed message still refused.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler};
use tightbeam::echo::Echo;
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request, MESSAGE_BYTES, PAYLOAD_MAX};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn call(endpoint: &Endpoint, request: &[u8; MESSAGE_BYTES]) -> Result<Received, &'static str> {
    let mut reply = [0u8; MESSAGE_BYTES];
    endpoint.call(request, &mut reply).map_err(|_| "a service stopped answering")?;
    Received::copy_from(&reply).map_err(|_| "a reply is not a message")
}

fn check() -> Result<(), &'static str> {
    let hello_page = memory_region_symbol!(judge_hello_page, PAGE_BYTES).map_err(|_| "no hello page")?;
    let echo_page = memory_region_symbol!(judge_echo_page, PAGE_BYTES).map_err(|_| "no echo page")?;
    let hello = Endpoint::new(Channel::new(1), hello_page).map_err(|_| "hello's page is too small")?;
    let echo = Endpoint::new(Channel::new(2), echo_page).map_err(|_| "echo's page is too small")?;

    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Hello(Hello), &mut m).map_err(|_| "hello does not encode")?;
    let reply = call(&hello, &m)?;
    ensure(matches!(decode_reply(&reply, MethodId::Hello), Ok(Ok(Reply::Hello(v))) if v == HelloReply::EXPECTED), "hello lost its value")?;

    let payload: [u8; PAYLOAD_MAX] = core::array::from_fn(|i| (i * 31 + 7) as u8);
    encode_request(&Request::Echo(Echo { bytes: &payload }), &mut m).map_err(|_| "echo does not encode")?;
    let reply = call(&echo, &m)?;
    ensure(matches!(decode_reply(&reply, MethodId::Echo), Ok(Ok(Reply::Echo(e))) if e.bytes == payload), "echo changed the payload")?;

    // Still strict: a stated length past the payload is refused with an error reply.
    m[8..12].copy_from_slice(&(PAYLOAD_MAX as u32 + 1).to_le_bytes());
    let reply = call(&echo, &m)?;
    ensure(reply.header().status.get() != 0, "echo took an oversized message")?;
    Ok(())
}

fn init() -> Judge {
    judge!("ATTACK0012", "the exclave services survive hostile tightbeam messages from XNU and serve on", check());
    Judge
}
