//! The secure storage exclave (rules in `exclaves/storage`): XNU's tasks put,
//! get and remove values; XNU keeps them on its disk, sealed, through
//! upcalls it serves on this PD's channel (`tightbeam_channel::UPCALL`).
//!
//! - Its sealing keys come from the key service (identity
//!   `exclave:storage`, which the key service gives this PD alone).
//! - Its rollback counters live in **simulated secure non-volatile
//!   memory**: QEMU's second CFI flash bank, backed by an image file under
//!   `build/` and mapped by this PD alone. Real hardware gives a secure
//!   side such memory as an eMMC's RPMB partition or a secure element,
//!   whose writes only the key holder can make.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MemoryRegion, MessageInfo};
use secure_storage::counters::NvError;
use secure_storage::{Buffers, SecureNv, Step, Storage, StorageKeys, BLOB_MAX, VALUE_MAX};
use tightbeam::keys::Derive;
use tightbeam::{decode_reply, decode_request, encode_reply, encode_request, error_reply, ErrorCode, Header, Received, Reply, Request, ServiceId, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, BAD_CALL, CALL_LABEL, PAGE_BYTES, REPLIED, UPCALL, UPCALL_DONE};

protection_domain!(init);

/// The buffers' sizes in system.xml.
const VALUE_BUFFER_BYTES: usize = VALUE_MAX;
const UPCALL_BUFFER_BYTES: usize = 0x5000;
const _: () = assert!(BLOB_MAX <= UPCALL_BUFFER_BYTES);
/// The flash window: two 256 KiB erase sectors.
const NV_BYTES: usize = 0x80000;
/// XNU's channel, and this PD's to the key service.
const XNU: u8 = 0;
const KEYS: u64 = 1;
const IDENTITY: &[u8] = b"exclave:storage";

/// QEMU virt's CFI flash (Intel command set), 32 bits wide as two 16-bit
/// chips side by side: a command goes to both halves of a word.
struct CfiFlash {
    base: *mut u32,
}

impl CfiFlash {
    const READ_ARRAY: u32 = 0x00ff_00ff;
    const CLEAR_STATUS: u32 = 0x0050_0050;
    const ERASE: u32 = 0x0020_0020;
    const CONFIRM: u32 = 0x00d0_00d0;
    const PROGRAM: u32 = 0x0040_0040;
    const READY: u32 = 0x0080_0080;
    /// Erase and program errors, in either chip.
    const FAILED: u32 = 0x0030_0030;

    fn word(&self, offset: usize) -> *mut u32 {
        // In the window: callers pass offsets below NV_BYTES (checked there).
        self.base.wrapping_add(offset / 4)
    }

    fn put(&self, offset: usize, value: u32) {
        // SAFETY: `offset` lies in the flash window, mapped uncached for the PD's life.
        unsafe { core::ptr::write_volatile(self.word(offset), value) }
    }

    fn get(&self, offset: usize) -> u32 {
        // SAFETY: as in `put`.
        unsafe { core::ptr::read_volatile(self.word(offset)) }
    }

    /// Waits for the operation at `offset` to end; back to reading data.
    fn finish(&self, offset: usize) -> Result<(), NvError> {
        let status = loop {
            let status = self.get(offset);
            if status & Self::READY == Self::READY {
                break status;
            }
        };
        self.put(offset, Self::CLEAR_STATUS);
        self.put(offset, Self::READ_ARRAY);
        if status & Self::FAILED != 0 {
            return Err(NvError);
        }
        Ok(())
    }

    fn in_window(offset: usize, len: usize) -> Result<(), NvError> {
        match offset.checked_add(len) {
            Some(end) if end <= NV_BYTES && offset % 4 == 0 => Ok(()),
            _ => Err(NvError),
        }
    }
}

impl SecureNv for CfiFlash {
    const SECTOR: usize = 0x40000;

    fn read(&self, offset: usize, out: &mut [u8]) {
        if Self::in_window(offset, out.len()).is_err() {
            out.fill(0);
            return;
        }
        for (i, chunk) in out.chunks_mut(4).enumerate() {
            let word = self.get(offset + 4 * i).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    fn erase(&mut self, offset: usize) -> Result<(), NvError> {
        Self::in_window(offset, Self::SECTOR)?;
        self.put(offset, Self::ERASE);
        self.put(offset, Self::CONFIRM);
        self.finish(offset)
    }

    fn program(&mut self, offset: usize, bytes: &[u8]) -> Result<(), NvError> {
        Self::in_window(offset, bytes.len())?;
        for (i, chunk) in bytes.chunks(4).enumerate() {
            let mut word = [0xff; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            let at = offset + 4 * i;
            self.put(at, Self::PROGRAM);
            self.put(at, u32::from_le_bytes(word));
            self.finish(at)?;
        }
        Ok(())
    }
}

/// The four buffers XNU shares (system.xml). The lengths the rules pass
/// are within the buffers' sizes, so no copy is refused.
struct Shared {
    storage_in: MemoryRegion,
    storage_out: MemoryRegion,
    upcall_out: MemoryRegion,
    upcall_in: MemoryRegion,
}

impl Buffers for Shared {
    fn value_in(&self, out: &mut [u8]) {
        if self.storage_in.read(0, out).is_err() {
            out.fill(0);
        }
    }
    fn value_out(&mut self, value: &[u8]) {
        let _ = self.storage_out.write(0, value);
    }
    fn blob_out(&mut self, blob: &[u8]) {
        let _ = self.upcall_out.write(0, blob);
    }
    fn blob_in(&self, out: &mut [u8]) {
        if self.upcall_in.read(0, out).is_err() {
            out.fill(0);
        }
    }
}

struct Configured {
    storage: Storage<CfiFlash>,
    shared: Shared,
    /// XNU's message page and the upcall page.
    page: MemoryRegion,
    upcall_page: MemoryRegion,
    keys: Option<Endpoint>,
    /// The header of the request being answered, for its error reply.
    current: Header,
}

impl Configured {
    /// The storage keys from the key service, asked once they are needed.
    fn fetch_keys(&mut self) {
        let Some(keys) = &self.keys else { return };
        let mut request = [0u8; MESSAGE_BYTES];
        if encode_request(&Request::Derive(Derive { identity: IDENTITY }), &mut request).is_err() {
            return;
        }
        let mut reply = [0u8; MESSAGE_BYTES];
        if keys.call(&request, &mut reply).is_err() {
            return;
        }
        let Ok(received) = Received::copy_from(&reply) else { return };
        if let Ok(Ok(Reply::Key(k))) = decode_reply(&received, tightbeam::MethodId::Derive) {
            self.storage.set_keys(StorageKeys::derive(&k.key));
        }
    }

    /// A new request from XNU's page: its step, or the code of the error
    /// reply to write.
    fn request(&mut self) -> Result<Step, ErrorCode> {
        let received = copy_page(&self.page);
        self.current = received.header();
        let request = match decode_request(&received) {
            Ok(r) if r.method().service() == ServiceId::Storage => r,
            Ok(r) => return Err(tightbeam::DecodeError::UnknownService { service: r.method().service() as u16 }.code()),
            Err(e) => return Err(e.code()),
        };
        if !self.storage.has_keys() {
            self.fetch_keys();
        }
        Ok(self.storage.request(&request))
    }

    /// XNU's reply to the upcall: the next step, `None` if none was asked.
    fn upcall_done(&mut self) -> Option<Step> {
        let waiting = self.storage.waiting_on()?;
        let received = copy_page(&self.upcall_page);
        let reply = decode_reply(&received, waiting).ok();
        self.storage.upcall_reply(reply, &mut self.shared)
    }

    /// Writes `step` where it goes: the answer into XNU's page, or the
    /// upcall into the upcall page. The PPC reply's label says which.
    fn deliver(&mut self, step: Step) -> MessageInfo {
        let mut out = [0u8; MESSAGE_BYTES];
        let (page, label) = match step {
            Step::Answer(method, answer) => {
                let encoded = match answer {
                    Ok(reply) => encode_reply(method, &reply, &mut out).is_ok(),
                    Err(_) => false,
                };
                if !encoded {
                    error_reply(&self.current, answer.err().unwrap_or(ErrorCode::INTERNAL), &mut out);
                }
                (&self.page, REPLIED)
            }
            Step::Upcall(upcall) => {
                if encode_request(&upcall, &mut out).is_err() {
                    return MessageInfo::new(BAD_CALL, 0);
                }
                (&self.upcall_page, UPCALL)
            }
        };
        match page.write(0, &out) {
            Ok(()) => MessageInfo::new(label, 0),
            Err(_) => MessageInfo::new(BAD_CALL, 0),
        }
    }
}

/// A private copy of the message in `page` (shared with XNU, which may
/// change it meanwhile).
fn copy_page(page: &MemoryRegion) -> Received {
    let mut bytes = [0u8; MESSAGE_BYTES];
    // The page is at least a message long (checked at init).
    let _ = page.read(0, &mut bytes);
    Received::copy_from(&bytes).unwrap_or_else(|_| Received::empty())
}

/// The PD: `None` without its regions, and then every call is refused.
struct StoragePd(Option<Configured>);

impl Handler for StoragePd {
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        let Some(pd) = self.0.as_mut() else { return MessageInfo::new(BAD_CALL, 0) };
        if channel.index() != XNU || msg.count() != 0 {
            return MessageInfo::new(BAD_CALL, 0);
        }
        let step = match msg.label() {
            CALL_LABEL => match pd.request() {
                Ok(step) => step,
                Err(code) => {
                    let mut out = [0u8; MESSAGE_BYTES];
                    error_reply(&pd.current, code, &mut out);
                    return match pd.page.write(0, &out) {
                        Ok(()) => MessageInfo::new(REPLIED, 0),
                        Err(_) => MessageInfo::new(BAD_CALL, 0),
                    };
                }
            },
            UPCALL_DONE => match pd.upcall_done() {
                Some(step) => step,
                None => return MessageInfo::new(BAD_CALL, 0),
            },
            _ => return MessageInfo::new(BAD_CALL, 0),
        };
        pd.deliver(step)
    }
}

fn configured() -> Option<Configured> {
    let nv = memory_region_symbol!(secure_nv, NV_BYTES).ok()?;
    let shared = Shared {
        storage_in: memory_region_symbol!(storage_in, VALUE_BUFFER_BYTES).ok()?,
        storage_out: memory_region_symbol!(storage_out, VALUE_BUFFER_BYTES).ok()?,
        upcall_out: memory_region_symbol!(upcall_out, UPCALL_BUFFER_BYTES).ok()?,
        upcall_in: memory_region_symbol!(upcall_in, UPCALL_BUFFER_BYTES).ok()?,
    };
    let page = memory_region_symbol!(tightbeam_page_0, PAGE_BYTES).ok()?;
    let upcall_page = memory_region_symbol!(upcall_page, PAGE_BYTES).ok()?;
    let keys_page = memory_region_symbol!(keys_page, PAGE_BYTES).ok()?;
    let keys = Channel::try_new(KEYS).ok().and_then(|c| Endpoint::new(c, keys_page).ok());
    let flash = CfiFlash { base: nv.base().cast() };
    Some(Configured { storage: Storage::new(flash), shared, page, upcall_page, keys, current: Header::default() })
}

fn init() -> StoragePd {
    StoragePd(configured())
}
