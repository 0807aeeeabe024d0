//! MK0014: an input owner that lets its receive ring fill. It reads nothing
//! while the ring fills; once it is full and one more notification says
//! input arrived (which the driver had to drop and count), it reads the
//! ring and checks it holds the first typed bytes, all and in order. Then it
//! echoes lines as MK0013's echo does: the ring still works after the overrun.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};
use sel4_shared_ring_buffer::byte_capacity_for_len;
use serial_client::{Serial, RING_SIZE};

const DRIVER: Channel = Channel::new(0);
/// What the ring holds: the typed pattern is the digits 0..9 over and over.
const HELD: usize = match byte_capacity_for_len(RING_SIZE) {
    Some(capacity) => capacity as usize,
    None => 0,
};

protection_domain!(init);

enum State {
    Filling,
    /// Full at the last notification: the next one comes from a dropped byte.
    Full,
    Echoing,
}

struct Sink {
    console: Option<Serial>,
    state: State,
    line: [u8; 64],
    len: usize,
}

fn init() -> Sink {
    let tx = memory_region_symbol!(serial_tx, RING_SIZE);
    let rx = memory_region_symbol!(serial_rx, RING_SIZE);
    let console = match (tx, rx) {
        (Ok(tx), Ok(rx)) => Serial::new(tx, Some(rx), DRIVER).map_err(|e| debug_println!("{e}")).ok(),
        (Err(e), _) | (_, Err(e)) => {
            debug_println!("{e}");
            None
        }
    };
    let mut sink = Sink { console, state: State::Filling, line: [0; 64], len: 0 };
    sink.write(b"ready to fill\n");
    sink
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) {
        let Some(console) = &mut self.console else { return };
        if let Err(e) = console.write(bytes) {
            debug_println!("{e}");
        }
    }

    /// Reads the full ring and says whether it held the pattern.
    fn drain(&mut self) -> Result<(), serial_client::Error> {
        let Some(console) = &mut self.console else { return Ok(()) };
        let mut held = [0u8; HELD];
        let n = console.read(&mut held)?;
        let wrong = held[..n].iter().enumerate().position(|(i, &b)| b != b'0' + (i % 10) as u8);
        match (n, wrong) {
            (HELD, None) => self.write(b"the full ring held 2048 bytes, in order\n"),
            _ => self.write(b"the full ring did not hold the typed bytes in order\n"),
        }
        Ok(())
    }

    fn echo(&mut self) -> Result<(), serial_client::Error> {
        let mut received = [0u8; 64];
        loop {
            let Some(console) = &mut self.console else { return Ok(()) };
            let n = console.read(&mut received)?;
            if n == 0 {
                return Ok(());
            }
            for &b in &received[..n] {
                let end = b == b'\n' || b == b'\r';
                if !end {
                    self.line[self.len] = b;
                    self.len += 1;
                }
                if (end && self.len > 0) || self.len == self.line.len() {
                    let (line, len) = (self.line, self.len);
                    self.len = 0;
                    self.write(b"got: ");
                    self.write(&line[..len]);
                    self.write(b"\n");
                }
            }
        }
    }

    fn input(&mut self) -> Result<(), serial_client::Error> {
        let waiting = match &self.console {
            Some(console) => console.available()?,
            None => return Ok(()),
        };
        match self.state {
            State::Filling if waiting == HELD => self.state = State::Full,
            State::Filling => {}
            State::Full => {
                self.drain()?;
                self.state = State::Echoing;
                self.echo()?;
            }
            State::Echoing => self.echo()?,
        }
        Ok(())
    }
}

impl Handler for Sink {
    fn notified(&mut self, channels: ChannelSet) {
        if channels.contains(DRIVER) {
            if let Err(e) = self.input() {
                debug_println!("{e}");
            }
        }
    }
}
