//! MK0018 (first boot of a fresh 1 MiB disk): the virtio-blk driver on
//! QEMU's device, IRQ-driven. The capacity is 2048 sectors; requests
//! beyond it or beyond the data area are refused by the driver; a pattern
//! written to sectors 1000-1007 reads back; the device's own refusals come
//! back as errors (a read past the end sent unchecked: IOERR; an unknown
//! request type: UNSUPP) and leave it working: the pattern reads back again.
//! MK0019 boots the same disk again and finds the pattern.
#![no_std]
#![no_main]

use microkit_examples::blk::{self, Failure, CAPACITY, FIRST, SECTORS};
use sel4_microkit::{protection_domain, ChannelSet, Handler};
use virtio_blk::{Device, Error, Op, Request};

const NAME: &str = "MK0018";
const WHAT: &str = "virtio-blk: capacity, refusals before the device, write and read back, IOERR and UNSUPP";
/// A request type virtio-blk does not define.
const UNKNOWN_TYPE: u32 = 0x7e;
/// VIRTIO_BLK_T_IN, a read, as `start_unchecked` takes it.
const IN: u32 = 0;

protection_domain!(init);

/// The request in flight, in the order they are made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Write,
    ReadBack,
    PastEnd,
    UnknownType,
    ReadAgain,
}

struct Writer {
    disk: Option<Device>,
    step: Step,
}

fn pattern_request(op: Op) -> Request {
    Request { op, sector: FIRST, sectors: SECTORS }
}

fn init() -> Writer {
    match blk::open().and_then(|mut disk| first_request(&mut disk).map(|()| disk)) {
        Ok(disk) => Writer { disk: Some(disk), step: Step::Write },
        Err(why) => {
            blk::report(NAME, WHAT, Err(why));
            Writer { disk: None, step: Step::Write }
        }
    }
}

/// The refusals, then the pattern's write.
fn first_request(disk: &mut Device) -> Result<(), Failure> {
    let refused = |r: Result<(), Error>| matches!(r, Err(Error::OutOfRange { .. }));
    if !refused(disk.start(Request { op: Op::Read, sector: CAPACITY - 1, sectors: 2 }))
        || !refused(disk.start(Request { op: Op::Write, sector: CAPACITY, sectors: 1 }))
        || !refused(disk.start(Request { op: Op::Read, sector: u64::MAX, sectors: 1 }))
    {
        return Err("a request beyond the disk's end was not refused as out of range".into());
    }
    let too_many = disk.data_sectors() + 1;
    if !matches!(disk.start(Request { op: Op::Read, sector: 0, sectors: too_many }), Err(Error::DataTooSmall { .. })) {
        return Err("a request larger than the data area was not refused".into());
    }
    let data = disk.data_mut().map_err(|e| Failure::Driver("the data area after the refusals", e))?;
    for (i, byte) in blk::pattern_area(data)?.iter_mut().enumerate() {
        *byte = blk::pattern(i);
    }
    // Refused requests left nothing in flight: this one is taken.
    disk.start(pattern_request(Op::Write)).map_err(|e| Failure::Driver("the pattern's write", e))
}

impl Writer {
    /// Judges the request that finished and starts the next; `Ok(true)` once all are done.
    fn advance(&mut self, outcome: Result<(), Error>) -> Result<bool, Failure> {
        let Some(disk) = self.disk.as_mut() else { return Ok(true) };
        let next = match (self.step, outcome) {
            (Step::Write, Ok(())) => {
                disk.data_mut().map_err(|e| Failure::Driver("the data area", e))?.fill(0);
                disk.start(pattern_request(Op::Read)).map(|()| Step::ReadBack)
            }
            (Step::ReadBack, Ok(())) => {
                if !blk::holds_pattern(disk)? {
                    return Err("the sectors read back differ from the pattern written".into());
                }
                disk.data_mut().map_err(|e| Failure::Driver("the data area", e))?.fill(0);
                let past_end = Request { op: Op::Read, sector: CAPACITY, sectors: 1 };
                disk.start_unchecked(IN, past_end).map(|()| Step::PastEnd)
            }
            (Step::PastEnd, Err(Error::IoError)) => {
                let unknown = Request { op: Op::Read, sector: 0, sectors: 1 };
                disk.start_unchecked(UNKNOWN_TYPE, unknown).map(|()| Step::UnknownType)
            }
            (Step::PastEnd, _) => return Err("a read past the end, sent unchecked, did not end in IOERR".into()),
            (Step::UnknownType, Err(Error::Unsupported)) => disk.start(pattern_request(Op::Read)).map(|()| Step::ReadAgain),
            (Step::UnknownType, _) => return Err("an unknown request type did not end in UNSUPP".into()),
            (Step::ReadAgain, Ok(())) => {
                return if blk::holds_pattern(disk)? { Ok(true) } else { Err("after the device's refusals the pattern no longer reads back".into()) };
            }
            (_, Err(e)) => return Err(Failure::Driver("a request failed", e)),
        };
        self.step = next.map_err(|e| Failure::Driver("the next request", e))?;
        Ok(false)
    }

    fn finish(&mut self, result: Result<(), Failure>) {
        self.disk = None;
        blk::report(NAME, WHAT, result);
    }
}

impl Handler for Writer {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(disk) = self.disk.as_mut() else { return };
        if !channels.contains(blk::IRQ) {
            return;
        }
        let verdict = match blk::on_irq(disk) {
            Ok(None) => return,
            Ok(Some(outcome)) => self.advance(outcome),
            Err(why) => Err(why),
        };
        match verdict {
            Ok(false) => {}
            Ok(true) => self.finish(Ok(())),
            Err(why) => self.finish(Err(why)),
        }
    }
}
