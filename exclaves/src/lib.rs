//! What every exclave service PD shares: its callers' message pages (one
//! per channel id 0..CALLERS, `tightbeam_page_<id>` in system.xml) and the
//! protected-call handler that serves tightbeam messages on them. A
//! malformed message gets an error reply and the service serves on.
#![no_std]

use sel4_microkit::{memory_region_symbol, Channel, Handler, MemoryRegion, MessageInfo, RegionError};
use tightbeam::{Dispatcher, Outcome};
use tightbeam_channel::{serve, PAGE_BYTES};

/// Channel ids a service takes calls on, each with its own page.
pub const CALLERS: usize = 4;

/// A service PD: the dispatcher of its methods and its callers' pages.
pub struct Service<H: tightbeam::Handler> {
    dispatcher: Dispatcher<H>,
    pages: [Option<MemoryRegion>; CALLERS],
    /// Messages refused or failed since boot (for the service's own log).
    pub refused: u64,
}

impl<H: tightbeam::Handler> Service<H> {
    pub fn new(handler: H) -> Self {
        let pages: [Result<MemoryRegion, RegionError>; CALLERS] = [
            memory_region_symbol!(tightbeam_page_0, PAGE_BYTES),
            memory_region_symbol!(tightbeam_page_1, PAGE_BYTES),
            memory_region_symbol!(tightbeam_page_2, PAGE_BYTES),
            memory_region_symbol!(tightbeam_page_3, PAGE_BYTES),
        ];
        // A channel without a page has no caller.
        Service { dispatcher: Dispatcher::new(handler), pages: pages.map(Result::ok), refused: 0 }
    }
}

impl<H: tightbeam::Handler> Handler for Service<H> {
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        let Some(page) = self.pages.get(usize::from(channel.index())).copied().flatten() else {
            self.refused += 1;
            return MessageInfo::new(tightbeam_channel::BAD_CALL, 0);
        };
        self.dispatcher.caller(channel.index());
        let (reply, outcome) = serve(&mut self.dispatcher, &page, msg);
        if !matches!(outcome, Some(Outcome::Answered(_))) {
            self.refused += 1;
        }
        reply
    }
}
