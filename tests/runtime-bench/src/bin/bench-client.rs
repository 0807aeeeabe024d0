//! The measuring PD of the runtime benchmark system. In `init` it measures
//! `pp_call` round trips to the echo PD with 0, 4 and 64 words, notify ->
//! notified latency, ring throughput to the sink PD, and tightbeam calls to
//! the exclave echo service (a 512-byte message each way), then prints the
//! boot figures and `*** system ready ***`. Lines go to the PL011 in the
//! `sel4_bench` format; `make bench` reads them.
#![no_std]
#![no_main]

use core::fmt::Write;

use microkit_examples::ring::regions;
use pl011::Pl011;
use runtime_bench::{console, stamp, stamps, Payload, BATCH, BUFFERS, HAS_PAYLOAD, PAYLOAD};
use sel4_bench::{cycles, instructions_since_reset, Bench, RUNS, WARMUP};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler, MemoryRegion, MessageInfo};
use tightbeam::echo::Echo;
use tightbeam::{encode_request, Request, MESSAGE_BYTES, PAYLOAD_MAX};
use tightbeam_channel::{Endpoint, PAGE_BYTES};
use sel4_shared_ring_buffer::{Client, RingBuffers, RingConsumer, RingOptions, RingProducer};

const ECHO: Channel = Channel::new(0);
const SINK: Channel = Channel::new(1);
const TB_ECHO: Channel = Channel::new(2);

protection_domain!(init);

struct BenchClient;

fn init() -> BenchClient {
    let booted = instructions_since_reset();
    let Some(uart) = console() else { return BenchClient };
    let mut bench = Bench::new(uart);
    match run(&mut bench, booted) {
        Ok(()) => {
            let _ = writeln!(bench.out(), "*** system ready ***");
        }
        Err(e) => {
            let _ = writeln!(bench.out(), "bench: error: {e}");
        }
    }
    BenchClient
}

impl Handler for BenchClient {
    /// The sink's "buffers returned" signals, which `init` did not wait for.
    fn notified(&mut self, _channels: ChannelSet) {}
}

type Rings = RingBuffers<Client, fn()>;

fn notify_sink() {
    let _ = SINK.notify();
}

fn run(bench: &mut Bench<Pl011>, booted: u64) -> Result<(), &'static str> {
    let _ = writeln!(bench.out(), "bench: runtime PDs (bench config), {RUNS} runs after {WARMUP} warm-up");
    let stamps = stamps().ok_or("the stamps region is not mapped")?;
    let first_init = stamps.read_u64(stamp::FIRST_INIT).map_err(|_| "stamps too small")?;
    bench.value("boot_reset_to_first_pd_init", "instructions", first_init);
    bench.value("boot_reset_to_bench_pd_init", "instructions", booted);

    for (name, words) in [("pp_call_0w", 0), ("pp_call_4w", 4), ("pp_call_64w", 64)] {
        let mut refused = false;
        bench.run(name, || {
            let start = cycles();
            refused |= ECHO.pp_call(MessageInfo::new(0, words)).is_err();
            cycles() - start
        });
        if refused {
            return Err("pp_call to the echo PD was refused");
        }
    }

    let mut refused = false;
    bench.run("notify_to_notified_higher_prio", || {
        let start = cycles();
        refused |= ECHO.notify().is_err();
        stamps.read_u64(stamp::NOTIFIED_AT).unwrap_or(0).wrapping_sub(start)
    });
    if refused {
        return Err("notify to the echo PD was refused");
    }

    // A tightbeam echo of a whole payload: the request into the shared
    // page, a zero-word call, the service's private copy, decode, answer,
    // encode, the reply back into the page, and the caller's copy out.
    let page = memory_region_symbol!(tb_page, PAGE_BYTES).map_err(|_| "the tightbeam page is not mapped")?;
    let tb_echo = Endpoint::new(TB_ECHO, page).map_err(|_| "the tightbeam page is too small")?;
    let mut request = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Echo(Echo { bytes: &[0x5a; PAYLOAD_MAX] }), &mut request).map_err(|_| "the echo request does not encode")?;
    let mut reply = [0u8; MESSAGE_BYTES];
    let mut failed = false;
    bench.run("tightbeam_echo_512_bytes_each_way", || {
        let start = cycles();
        failed |= tb_echo.call(&request, &mut reply).is_err();
        cycles() - start
    });
    if failed || reply[16..] != request[16..] {
        return Err("the tightbeam echo failed or changed its bytes");
    }

    let (free, used, data) = regions(BUFFERS * PAYLOAD)?;
    // The sink (higher priority) initialised both rings before we ran.
    let free = RingConsumer::attach(free, RingOptions::default()).map_err(|_| "free ring attach")?;
    let used = RingProducer::attach(used, RingOptions::default()).map_err(|_| "used ring attach")?;
    let mut rings = Rings::new(free, used, data.size(), notify_sink);
    ring_bench(bench, "ring_batch16_4k_payload", &mut rings, Some(&data))?;
    ring_bench(bench, "ring_batch16_descriptors_only", &mut rings, None)?;
    if stamps.read_u64(stamp::BAD_PAYLOADS) != Ok(0) {
        return Err("the sink saw payloads other than the ones sent");
    }
    Ok(())
}

/// One sample: take BATCH free buffers, (write a 4 KiB payload into each,)
/// queue them as used and notify once; the sink, at a higher priority, runs
/// at once, takes them all (copying the payloads out) and frees them again.
fn ring_bench(bench: &mut Bench<Pl011>, name: &str, rings: &mut Rings, data: Option<&MemoryRegion>) -> Result<(), &'static str> {
    let payload_bytes = if data.is_some() { PAYLOAD as u64 } else { 0 };
    let extra = [("batch", BATCH as u64), ("payload_bytes", payload_bytes)];
    let mut source = Payload([0; PAYLOAD]);
    for (i, b) in source.0.iter_mut().enumerate() {
        *b = i as u8;
    }
    let mut sequence = 0u64;
    let mut error = None;
    bench.run_with(name, &extra, || {
        let start = cycles();
        for _ in 0..BATCH {
            if let Err(e) = send(rings, data, &mut source, sequence) {
                error = Some(e);
            }
            sequence += 1;
        }
        rings.notify_if_needed();
        cycles() - start
    });
    error.map_or(Ok(()), Err)
}

fn send(rings: &mut Rings, data: Option<&MemoryRegion>, source: &mut Payload, sequence: u64) -> Result<(), &'static str> {
    let mut d = rings.dequeue().map_err(|_| "free ring corrupt")?.ok_or("no free buffer: the sink did not return them")?;
    d.cookie = sequence;
    d.flags = 0;
    if let Some(data) = data {
        source.0[..8].copy_from_slice(&sequence.to_le_bytes());
        data.write(d.offset as usize, &source.0).map_err(|_| "free buffer outside the data region")?;
        d.len = PAYLOAD as u32;
        d.flags = HAS_PAYLOAD;
    }
    rings.enqueue(d).map_err(|_| "used ring full")
}
