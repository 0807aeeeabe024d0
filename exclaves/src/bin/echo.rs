//! The echo service: `echo` returns its bytes, `transform` returns them
//! with the first `count` upper-cased, lower-cased or reversed.
#![no_std]
#![no_main]

use exclaves::Service;
use sel4_microkit::protection_domain;
use tightbeam::echo::{Echo, TransformKind};
use tightbeam::{ErrorCode, Reply, Request, Scratch, ServiceId};

protection_domain!(init);

struct EchoService;

impl tightbeam::Handler for EchoService {
    const SERVICE: ServiceId = ServiceId::Echo;

    fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::Echo(echo) => Ok(Reply::Echo(echo)),
            Request::Transform(t) => {
                // The decoder checked count <= bytes.len() <= PAYLOAD_MAX.
                let out = scratch.take(t.bytes.len()).ok_or(ErrorCode::INTERNAL)?;
                out.copy_from_slice(t.bytes);
                let head = out.get_mut(..usize::from(t.count)).ok_or(ErrorCode::INTERNAL)?;
                match t.kind {
                    TransformKind::Upper => head.make_ascii_uppercase(),
                    TransformKind::Lower => head.make_ascii_lowercase(),
                    TransformKind::Reverse => head.reverse(),
                }
                Ok(Reply::Echo(Echo { bytes: out }))
            }
            // The dispatcher hands this handler echo's methods only.
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

fn init() -> Service<EchoService> {
    Service::new(EchoService)
}
