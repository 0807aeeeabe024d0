//! The serial console driver: owns the PL011 and its IRQ, prints each
//! client's lines prefixed with the client's name (the name `system.xml`
//! gives the PD at the other end of the channel the bytes came on), and
//! hands received bytes to the console's input owner. See README.md.
#![no_std]
#![no_main]

use core::fmt::{self, Write};
use core::ptr::NonNull;

use pl011::Pl011;
use sel4_microkit::{channel_peers, memory_region_symbol, protection_domain, Channel, ChannelSet, Handler, MemoryRegion, RegionError};
use sel4_shared_ring_buffer::{ByteConsumer, ByteProducer, SharedRegion};
use serial_lines::{LineBuffer, Terminal};

/// The PL011's IRQ (SPI 1 = 33 on QEMU virt) arrives on this id.
const UART_IRQ: Channel = Channel::new(16);
/// The client on this id owns the console's input (and has a receive ring).
const INPUT_OWNER: Channel = Channel::new(0);
/// Clients sit on channel ids 0..CLIENTS, each with transmit ring `serial_tx_<id>`.
const CLIENTS: usize = 8;
const RING_SIZE: usize = 0x1000;
const UART_SIZE: usize = 0x1000;
const RX_INTERRUPTS: u32 = Pl011::RX_INTERRUPT | Pl011::RX_TIMEOUT_INTERRUPT | Pl011::OVERRUN_INTERRUPT;

protection_domain!(init);

struct Client {
    channel: Channel,
    name: &'static str,
    ring: ByteConsumer,
    line: LineBuffer,
    /// `line` is complete and waits for the UART.
    complete: bool,
    /// Its ring held an impossible index: reported once, then ignored.
    broken: bool,
    /// The input owner: its output shows as it comes (a prompt, the echo
    /// of typed keys), through the driver's `terminal`, not line by line.
    owner: bool,
}

struct Driver {
    uart: Pl011,
    clients: [Option<Client>; CLIENTS],
    input: Option<ByteProducer>,
    /// Where the input owner's open line stands.
    terminal: Terminal,
    /// Input bytes lost since boot: the UART overran, a byte arrived
    /// damaged, or the input owner's ring was full (or there is none).
    dropped: u64,
}

/// The driver, or nothing if its UART is not mapped (said at init).
struct Serial(Option<Driver>);

/// Writes to the UART waiting on each byte: a line is written whole, and
/// nothing on this core runs in between (see README.md).
struct Line<'a>(&'a Pl011);

impl fmt::Write for Line<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(|b| self.0.put(b));
        Ok(())
    }
}

/// One line of the driver's own, under its own name.
fn say(uart: &Pl011, args: fmt::Arguments) {
    let _ = writeln!(Line(uart), "{}: {args}\r", sel4_microkit::pd_name());
}

/// A client's line, under the name its channel gives.
fn print_line(uart: &Pl011, name: &str, line: &[u8]) {
    name.bytes().chain(*b": ").chain(line.iter().copied()).chain(*b"\r\n").for_each(|b| uart.put(b));
}

fn shared(region: MemoryRegion) -> Option<SharedRegion> {
    // SAFETY: the monitor mapped the region read-write for the driver's
    // life (system.xml), and only the one ring end built on it touches it here.
    unsafe { SharedRegion::new(NonNull::new(region.base())?, region.size()).ok() }
}

fn init() -> Serial {
    let uart = match memory_region_symbol!(uart_vaddr, UART_SIZE) {
        // SAFETY: system.xml maps the PL011's register page here, uncached, for the PD's life.
        Ok(region) => unsafe { Pl011::at(region.base() as u64) },
        Err(e) => {
            sel4_microkit::debug_println!("no UART, so no console: {e}");
            return Serial(None);
        }
    };
    let rings: [Result<MemoryRegion, RegionError>; CLIENTS] = [
        memory_region_symbol!(serial_tx_0, RING_SIZE),
        memory_region_symbol!(serial_tx_1, RING_SIZE),
        memory_region_symbol!(serial_tx_2, RING_SIZE),
        memory_region_symbol!(serial_tx_3, RING_SIZE),
        memory_region_symbol!(serial_tx_4, RING_SIZE),
        memory_region_symbol!(serial_tx_5, RING_SIZE),
        memory_region_symbol!(serial_tx_6, RING_SIZE),
        memory_region_symbol!(serial_tx_7, RING_SIZE),
    ];
    // Each client's name comes from system.xml, never from its bytes.
    let peers = channel_peers!();
    let mut clients = [const { None }; CLIENTS];
    for (id, (ring, slot)) in rings.into_iter().zip(clients.iter_mut()).enumerate() {
        // An unmapped ring is a channel id with no client.
        let Ok(region) = ring else { continue };
        let channel = Channel::new(id as u8);
        let Some(name) = peers.name(channel) else {
            say(&uart, format_args!("serial_tx_{id} is mapped but channel {id} has no peer in system.xml: ignored"));
            continue;
        };
        match shared(region).map(ByteConsumer::attach) {
            Some(Ok(ring)) => {
                let owner = channel == INPUT_OWNER;
                *slot = Some(Client { channel, name, ring, line: LineBuffer::default(), complete: false, broken: false, owner })
            }
            _ => say(&uart, format_args!("client '{name}' (channel {id}): serial_tx_{id} cannot hold a ring: ignored")),
        }
    }
    let input = match (memory_region_symbol!(serial_rx, RING_SIZE), peers.name(INPUT_OWNER)) {
        (Ok(region), Some(_)) => shared(region).and_then(|r| ByteProducer::attach(r).ok()),
        (Ok(_), None) => {
            say(&uart, format_args!("serial_rx is mapped but channel {} has no peer: input is dropped", INPUT_OWNER.index()));
            None
        }
        (Err(_), _) => None,
    };
    uart.enable_fifos();
    uart.clear(Pl011::ALL_INTERRUPTS);
    uart.enable_interrupts(RX_INTERRUPTS);
    let mut driver = Driver { uart, clients, input, terminal: Terminal::default(), dropped: 0 };
    let owner = driver.input.as_ref().and(peers.name(INPUT_OWNER)).unwrap_or("nobody");
    let count = driver.clients.iter().flatten().count();
    say(&driver.uart, format_args!("console up: {count} clients, input to {owner}"));
    driver.pump();
    Serial(Some(driver))
}

impl Handler for Serial {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(driver) = &mut self.0 else { return };
        if channels.contains(UART_IRQ) {
            driver.interrupt();
        }
        // Signals coalesce, so every ring is looked at, not only those named.
        driver.pump();
    }
}

impl Driver {
    /// Prints every complete line waiting in any client's ring, and all the
    /// input owner has written. A line is written whole; between lines, a
    /// full transmit FIFO makes the driver stop and wait for the transmit
    /// interrupt instead of spinning.
    fn pump(&mut self) {
        let Driver { uart, clients, terminal, .. } = self;
        for client in clients.iter_mut().flatten().filter(|c| !c.broken) {
            loop {
                if client.complete {
                    if uart.tx_full() {
                        uart.clear(Pl011::TX_INTERRUPT);
                        uart.enable_interrupts(Pl011::TX_INTERRUPT);
                        return;
                    }
                    terminal.interrupt(&mut |b| uart.put(b));
                    print_line(uart, client.name, client.line.line());
                    client.line.clear();
                    client.complete = false;
                }
                let mut byte = [0u8];
                match client.ring.read(&mut byte) {
                    Ok(0) => break,
                    Ok(_) if client.owner => terminal.push(client.name, byte[0], &mut |b| uart.put(b)),
                    Ok(_) => client.complete = client.line.push(byte[0]),
                    Err(e) => {
                        let (name, id, held) = (client.name, client.channel.index(), client.line.line().len());
                        terminal.interrupt(&mut |b| uart.put(b));
                        say(uart, format_args!("client '{name}' (channel {id}): bad transmit ring: {e}; {held} held bytes dropped, ring ignored from now on"));
                        client.broken = true;
                        break;
                    }
                }
            }
        }
    }

    /// A line of the driver's own, after ending the owner's open line.
    fn say_line(&mut self, args: fmt::Arguments) {
        let uart = &self.uart;
        self.terminal.interrupt(&mut |b| uart.put(b));
        say(uart, args);
    }

    fn interrupt(&mut self) {
        let pending = self.uart.pending();
        if pending & Pl011::TX_INTERRUPT != 0 {
            // Room in the FIFO again; `notified` pumps next.
            self.uart.disable_interrupts(Pl011::TX_INTERRUPT);
            self.uart.clear(Pl011::TX_INTERRUPT);
        }
        if pending & RX_INTERRUPTS != 0 {
            // Cleared before draining: a byte landing after the last read
            // raises the interrupt anew instead of being cleared unseen.
            self.uart.clear(RX_INTERRUPTS);
            self.receive();
        }
        if let Err(e) = UART_IRQ.irq_ack() {
            self.say_line(format_args!("cannot re-arm the UART's IRQ: {e}"));
        }
    }

    /// Moves every received byte to the input owner's ring and notifies it,
    /// also when none fitted: its ring is full, and it should drain it.
    fn receive(&mut self) {
        let mut lost = 0u64;
        let mut received = 0usize;
        let mut batch = [0u8; 64];
        let mut n = 0;
        loop {
            let next = self.uart.get();
            if let Some(r) = next {
                // An overrun lost at least one byte before this one.
                lost += u64::from(r.overrun) + u64::from(r.error);
                if !r.error {
                    batch[n] = r.byte;
                    n += 1;
                }
            }
            if n == batch.len() || (next.is_none() && n > 0) {
                received += n;
                lost += (n - self.deliver(&batch[..n])) as u64;
                n = 0;
            }
            if next.is_none() {
                break;
            }
        }
        if received > 0 && self.input.is_some() && INPUT_OWNER.notify().is_err() {
            self.say_line(format_args!("cannot notify the input owner on channel {}", INPUT_OWNER.index()));
        }
        if lost > 0 {
            self.dropped += lost;
            let total = self.dropped;
            self.say_line(format_args!("input: {lost} bytes dropped ({total} since boot)"));
        }
    }

    /// Puts what fits of `bytes` in the input owner's ring; returns how much.
    fn deliver(&mut self, bytes: &[u8]) -> usize {
        let Some(ring) = &mut self.input else { return 0 };
        match ring.write(bytes) {
            Ok(n) => n,
            Err(e) => {
                self.say_line(format_args!("input owner's receive ring is bad: {e}; input is dropped from now on"));
                self.input = None;
                0
            }
        }
    }
}
