//! ATTACK0018 (judge): secure storage against an XNU whose storage lies.
//! The judge is the rest of XNU: it calls the storage exclave as XNU does
//! for its tasks, serves the caller's data itself, and forwards every
//! object upcall, as raw bytes both ways, to the liar, which keeps the
//! objects and lies (`storage_liar.rs`). It judges what storage answers:
//!
//! - a get never gives other bytes than the last value whose put succeeded
//!   (an error is allowed: the liar lost or spoiled the data);
//! - no plaintext value is ever in the buffers XNU sees (`upcall_out`,
//!   `upcall_in`), judged at every upcall;
//! - storage keeps answering, and once the liar has told its lies, a put
//!   and a get work again.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MemoryRegion};
use tightbeam::storage::{Count, Key, Put, Stored, Value};
use tightbeam::{decode_reply, decode_request, encode_reply, encode_request, ErrorCode, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, CALL_LABEL, PAGE_BYTES, REPLIED, UPCALL, UPCALL_DONE};

protection_domain!(init);

const BUFFER_BYTES: usize = 0x5000;
const VALUE_BYTES: usize = 0x4000;
/// Rounds of a put and a get, on two keys in turn.
const ROUNDS: usize = 40;
/// Every value is this marker again and again (with the round in it), so
/// any 8 bytes of plaintext in a buffer show.
const MARKER: &[u8; 8] = b"PLAINTXT";
const KEYS: [&[u8]; 2] = [b"alpha", b"beta"];

struct Judge;
impl Handler for Judge {}

struct Xnu {
    storage: Endpoint,
    liar: Endpoint,
    upcall_page: MemoryRegion,
    storage_in: MemoryRegion,
    storage_out: MemoryRegion,
    upcall_out: MemoryRegion,
    upcall_in: MemoryRegion,
    /// The value a call brings in, and what a get brought out.
    value: [u8; VALUE_BYTES],
    value_len: usize,
    got: [u8; VALUE_BYTES],
}

/// What storage answered a request.
type Answer = Result<Reply<'static>, ErrorCode>;

impl Xnu {
    /// Whether `region` holds 8 bytes of a value anywhere.
    fn leaks(region: &MemoryRegion) -> Result<bool, &'static str> {
        let mut bytes = [0u8; BUFFER_BYTES];
        region.read(0, &mut bytes).map_err(|_| "a buffer does not read")?;
        Ok(bytes.windows(MARKER.len()).any(|w| w == MARKER))
    }

    /// One request, its upcalls served to the end: storage's answer.
    fn call(&mut self, request: &Request<'_>) -> Result<Answer, &'static str> {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(request, &mut m).map_err(|_| "a request does not encode")?;
        self.storage.page().write(0, &m).map_err(|_| "the message page does not write")?;
        let mut label = self.storage.call_labelled(CALL_LABEL).map_err(|_| "storage stopped answering")?;
        for _ in 0..16 {
            match label {
                REPLIED => {
                    self.storage.page().read(0, &mut m).map_err(|_| "the message page does not read")?;
                    let received = Received::copy_from(&m).map_err(|_| "a reply is not a message")?;
                    return match decode_reply(&received, request.method()) {
                        Ok(Ok(Reply::Stored(s))) => Ok(Ok(Reply::Stored(s))),
                        Ok(Ok(Reply::Value(v))) => Ok(Ok(Reply::Value(v))),
                        Ok(Err(code)) => Ok(Err(code)),
                        _ => Err("storage answered out of its protocol"),
                    };
                }
                UPCALL => {
                    self.upcall()?;
                    label = self.storage.call_labelled(UPCALL_DONE).map_err(|_| "storage stopped answering")?;
                }
                _ => return Err("storage refused a call made in its protocol"),
            }
        }
        Err("storage made more than 16 upcalls for one request")
    }

    /// Serves the upcall in the upcall page: the caller's data here, the
    /// rest by the liar, its reply passed back as it gave it.
    fn upcall(&mut self) -> Result<(), &'static str> {
        ensure(!Self::leaks(&self.upcall_out)?, "plaintext in upcall_out, which XNU reads")?;
        let mut m = [0u8; MESSAGE_BYTES];
        self.upcall_page.read(0, &mut m).map_err(|_| "the upcall page does not read")?;
        let received = Received::copy_from(&m).map_err(|_| "an upcall is not a message")?;
        let mut out = [0u8; MESSAGE_BYTES];
        match decode_request(&received) {
            Ok(Request::CallerIn(Count { len })) => {
                let len = (len as usize).min(self.value_len);
                self.storage_in.write(0, &self.value[..len]).map_err(|_| "storage_in does not write")?;
                encode_reply(tightbeam::MethodId::CallerIn, &Reply::Count(Count { len: len as u32 }), &mut out).map_err(|_| "encode")?;
            }
            Ok(Request::CallerOut(Count { len })) => {
                let len = (len as usize).min(VALUE_BYTES);
                self.storage_out.read(0, &mut self.got[..len]).map_err(|_| "storage_out does not read")?;
                encode_reply(tightbeam::MethodId::CallerOut, &Reply::Count(Count { len: len as u32 }), &mut out).map_err(|_| "encode")?;
            }
            _ => {
                self.liar.page().write(0, &m).map_err(|_| "the liar's page does not write")?;
                self.liar.call_labelled(CALL_LABEL).map_err(|_| "the liar did not answer")?;
                self.liar.page().read(0, &mut out).map_err(|_| "the liar's page does not read")?;
            }
        }
        self.upcall_page.write(0, &out).map_err(|_| "the upcall page does not write")?;
        ensure(!Self::leaks(&self.upcall_in)?, "plaintext in upcall_in, which XNU writes")
    }

    fn set_value(&mut self, round: usize) {
        self.value_len = 200 + 61 * round;
        for (i, b) in self.value[..self.value_len].iter_mut().enumerate() {
            *b = if i % 16 < 8 { MARKER[i % 8] } else { (round as u8).wrapping_add(i as u8) };
        }
    }

    fn put(&mut self, key: &[u8]) -> Result<Answer, &'static str> {
        self.call(&Request::Put(Put { len: self.value_len as u32, key }))
    }

    fn get(&mut self, key: &[u8]) -> Result<Answer, &'static str> {
        self.got.fill(0);
        self.call(&Request::Get(Key { key }))
    }
}

fn open() -> Result<Xnu, &'static str> {
    let page = |r: Result<MemoryRegion, _>| r.map_err(|_| "a region is not mapped");
    let storage_page = page(memory_region_symbol!(storage_page, PAGE_BYTES))?;
    let liar_page = page(memory_region_symbol!(liar_page, PAGE_BYTES))?;
    Ok(Xnu {
        storage: Endpoint::new(Channel::new(0), storage_page).map_err(|_| "the storage page is too small")?,
        liar: Endpoint::new(Channel::new(1), liar_page).map_err(|_| "the liar's page is too small")?,
        upcall_page: page(memory_region_symbol!(upcall_page, PAGE_BYTES))?,
        storage_in: page(memory_region_symbol!(caller_in, VALUE_BYTES))?,
        storage_out: page(memory_region_symbol!(caller_out, VALUE_BYTES))?,
        upcall_out: page(memory_region_symbol!(upcall_out, BUFFER_BYTES))?,
        upcall_in: page(memory_region_symbol!(upcall_in, BUFFER_BYTES))?,
        value: [0; VALUE_BYTES],
        value_len: 0,
        got: [0; VALUE_BYTES],
    })
}

fn check() -> Result<(), &'static str> {
    let mut xnu = open()?;
    // The last value each key's put stored: (round, length).
    let mut stored: [Option<(usize, usize)>; 2] = [None, None];
    let mut refused = 0;
    for round in 0..ROUNDS {
        let k = round % 2;
        xnu.set_value(round);
        if let Ok(Reply::Stored(Stored { .. })) = xnu.put(KEYS[k])? {
            stored[k] = Some((round, xnu.value_len));
        }
        match xnu.get(KEYS[k])? {
            Ok(Reply::Value(Value { len, .. })) => {
                let (r, want) = stored[k].ok_or("a get gave a value for a key never stored")?;
                xnu.set_value(r);
                ensure(len as usize == want && xnu.got[..want] == xnu.value[..want], "a get gave other bytes than the last value stored")?;
            }
            _ => refused += 1,
        }
    }
    ensure(refused > 0, "no lie was noticed: the liar did not lie")?;
    // The liar has told every lie: storage serves as before.
    xnu.set_value(ROUNDS);
    ensure(matches!(xnu.put(b"after")?, Ok(Reply::Stored(_))), "a put failed once the liar was honest")?;
    ensure(matches!(xnu.get(b"after")?, Ok(Reply::Value(Value { len, .. })) if len as usize == xnu.value_len), "a get failed once the liar was honest")?;
    ensure(xnu.got[..xnu.value_len] == xnu.value[..xnu.value_len], "the last value came back changed")?;
    Ok(())
}

fn init() -> Judge {
    judge!("ATTACK0018", "secure storage gives no wrong data and no plaintext to an XNU whose storage upcalls lie", check());
    Judge
}
