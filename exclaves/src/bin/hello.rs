//! The hello service, the exclaves' boot probe: answers `hello` with
//! tightbeam's known value, as Apple's hello server answers its probe.
#![no_std]
#![no_main]

use exclaves::Service;
use sel4_microkit::protection_domain;
use tightbeam::hello::HelloReply;
use tightbeam::{ErrorCode, Reply, Request, Scratch, ServiceId};

protection_domain!(init);

struct Hello;

impl tightbeam::Handler for Hello {
    const SERVICE: ServiceId = ServiceId::Hello;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::Hello(_) => Ok(Reply::Hello(HelloReply::EXPECTED)),
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

fn init() -> Service<Hello> {
    Service::new(Hello)
}
