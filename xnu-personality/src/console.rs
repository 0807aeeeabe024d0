//! The console: fds 0, 1 and 2 of every task, on the serial driver
//! (`pds/serial`), whose input owner XNU is. Output goes out as the task
//! wrote it (the driver names each line `xnu:`); input is kept until a task
//! reads it, raw (the shell echoes and edits lines itself).
use alloc::collections::VecDeque;
use core::fmt;

use sel4_microkit::{memory_region_symbol, Channel};
use serial_client::{Serial, RING_SIZE};

/// XNU's channel to the serial driver.
pub const SERIAL: Channel = Channel::new(1);
/// Input bytes kept for readers; more are dropped (and said so).
const INPUT_LIMIT: usize = 4096;

pub struct Console {
    serial: Serial,
    input: VecDeque<u8>,
    /// When a task first waited for input (counter ticks): the prompt was up.
    pub first_wait: Option<u64>,
}

impl Console {
    pub fn new() -> Result<Self, alloc::string::String> {
        let tx = memory_region_symbol!(serial_tx, RING_SIZE).map_err(|e| alloc::format!("{e}"))?;
        let rx = memory_region_symbol!(serial_rx, RING_SIZE).map_err(|e| alloc::format!("{e}"))?;
        let serial = Serial::new(tx, Some(rx), SERIAL).map_err(|e| alloc::format!("serial rings: {e:?}"))?;
        Ok(Console { serial, input: VecDeque::new(), first_wait: None })
    }

    /// Queues `bytes` for the driver; the count it took.
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        self.serial.write(bytes).unwrap_or(0)
    }

    /// Moves what the driver received into the input queue.
    pub fn poll_input(&mut self) {
        let mut chunk = [0u8; 256];
        let mut dropped = 0;
        while let Ok(n @ 1..) = self.serial.read(&mut chunk) {
            for &b in &chunk[..n.min(chunk.len())] {
                if self.input.len() < INPUT_LIMIT {
                    self.input.push_back(b);
                } else {
                    dropped += 1;
                }
            }
        }
        if dropped > 0 {
            crate::log!(self, "console: {dropped} input bytes dropped: {INPUT_LIMIT} wait unread");
        }
    }

    pub fn has_input(&self) -> bool {
        !self.input.is_empty()
    }

    /// Takes up to `max` bytes of input.
    pub fn take(&mut self, max: usize) -> alloc::vec::Vec<u8> {
        let n = max.min(self.input.len());
        self.input.drain(..n).collect()
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.write(s.as_bytes()) == s.len() {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

/// XNU's own log line, through the console (the driver names it `xnu:`).
#[macro_export]
macro_rules! log {
    ($console:expr, $($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($console, $($arg)*);
    }};
}
