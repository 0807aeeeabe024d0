//! MK0019 (second boot of MK0018's disk): the pattern MK0018 wrote to
//! sectors 1000-1007 is on the disk after QEMU was stopped and started
//! again. Booted on a fresh disk, it must fail (run-all checks that too).
#![no_std]
#![no_main]

use microkit_examples::blk::{self, Failure, FIRST, SECTORS};
use sel4_microkit::{protection_domain, ChannelSet, Handler};
use virtio_blk::{Device, Op, Request};

const NAME: &str = "MK0019";
const WHAT: &str = "virtio-blk: what the first boot wrote is on the disk at the second";

protection_domain!(init);

struct Persist {
    disk: Option<Device>,
}

fn init() -> Persist {
    let started = blk::open().and_then(|mut disk| {
        disk.data_mut().map_err(|e| Failure::Driver("the data area", e))?.fill(0);
        let read = Request { op: Op::Read, sector: FIRST, sectors: SECTORS };
        disk.start(read).map_err(|e| Failure::Driver("the pattern's read", e))?;
        Ok(disk)
    });
    match started {
        Ok(disk) => Persist { disk: Some(disk) },
        Err(why) => {
            blk::report(NAME, WHAT, Err(why));
            Persist { disk: None }
        }
    }
}

impl Handler for Persist {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(disk) = self.disk.as_mut() else { return };
        if !channels.contains(blk::IRQ) {
            return;
        }
        let result = match blk::on_irq(disk) {
            Ok(None) => return,
            Ok(Some(Ok(()))) => match blk::holds_pattern(disk) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Failure::Check("sectors 1000-1007 do not hold the first boot's pattern")),
                Err(why) => Err(why),
            },
            Ok(Some(Err(e))) => Err(Failure::Driver("the pattern's read", e)),
            Err(why) => Err(why),
        };
        self.disk = None;
        blk::report(NAME, WHAT, result);
    }
}
