//! ATTACK0018 (attacker): the storage half of a compromised XNU. It keeps
//! the secure storage exclave's objects, as XNU does, and answers the
//! object upcalls the judge forwards, lying in every way its list has:
//! garbage messages, replies of the wrong type, short and long counts, sizes
//! out of range, errors, flipped bytes, an older blob, another object's
//! blob, half a blob. Each lie is told once, at the first upcall it fits,
//! with honest answers between lies (so that one request meets one lie);
//! then it answers honestly.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MemoryRegion, MessageInfo};
use tightbeam::indicator::Done;
use tightbeam::storage::{upcall_refusal, Count, Object, ObjectIo, ObjectName, ObjectSize, Opened, OBJECT_NAME_BYTES, OPEN_TRUNCATE};
use tightbeam::{decode_request, encode_reply, error_reply, ErrorCode, MethodId, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{BAD_CALL, PAGE_BYTES, REPLIED};

protection_domain!(init);

/// The upcall buffers' size (system.xml), and the most the liar keeps of
/// an object (the judge's values are smaller).
const BUFFER_BYTES: usize = 0x5000;
const BLOB_BYTES: usize = 0x1000;
const OBJECTS: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lie {
    Garbage,
    WrongType,
    ShortCount,
    LongCount,
    HugeSize,
    TinySize,
    NotFound,
    IoError,
    UnknownError,
    FlipByte,
    OlderBlob,
    OtherObject,
    HalfBlob,
    ZeroCount,
}

const LIES: [Lie; 14] = [
    Lie::Garbage,
    Lie::WrongType,
    Lie::ShortCount,
    Lie::LongCount,
    Lie::HugeSize,
    Lie::TinySize,
    Lie::NotFound,
    Lie::IoError,
    Lie::UnknownError,
    Lie::FlipByte,
    Lie::OlderBlob,
    Lie::OtherObject,
    Lie::HalfBlob,
    Lie::ZeroCount,
];

impl Lie {
    /// Whether the lie can be told in answer to `method`.
    fn fits(self, method: MethodId) -> bool {
        use MethodId::*;
        match self {
            Lie::Garbage | Lie::WrongType | Lie::IoError | Lie::UnknownError => true,
            Lie::ShortCount | Lie::LongCount => matches!(method, ReadObject | WriteObject),
            Lie::HugeSize | Lie::TinySize => method == ObjectSize,
            Lie::NotFound => matches!(method, Open | ObjectSize | ReadObject),
            // Told when the size is asked, so that the size and the read
            // that follows agree, as a disk put back would.
            Lie::OlderBlob | Lie::OtherObject => method == ObjectSize,
            Lie::FlipByte | Lie::HalfBlob | Lie::ZeroCount => method == ReadObject,
        }
    }
}

struct Stored {
    name: [u8; OBJECT_NAME_BYTES],
    data: [u8; BLOB_BYTES],
    len: usize,
    /// The object's first blob, kept to replay.
    first: [u8; BLOB_BYTES],
    first_len: usize,
}

struct Liar {
    page: MemoryRegion,
    blob_out: MemoryRegion,
    blob_in: MemoryRegion,
    objects: [Option<Stored>; OBJECTS],
    told: [bool; LIES.len()],
    /// Honest answers still to give before the next lie.
    quiet: u32,
}

/// Honest answers after each lie: more than a request's upcalls.
const QUIET: u32 = 5;

impl Liar {
    fn honest(&mut self, request: &Request<'_>) -> Result<Reply<'static>, ErrorCode> {
        let (blob_out, blob_in) = (self.blob_out, self.blob_in);
        match *request {
            Request::Open(ObjectName { flags, name }) => {
                let at = match self.objects.iter().position(|o| o.as_ref().is_some_and(|o| o.name == name)) {
                    Some(at) => at,
                    None => {
                        let at = self.objects.iter().position(Option::is_none).ok_or(upcall_refusal::NO_SPACE)?;
                        self.objects[at] = Some(Stored { name, data: [0; BLOB_BYTES], len: 0, first: [0; BLOB_BYTES], first_len: 0 });
                        at
                    }
                };
                if flags & OPEN_TRUNCATE != 0 {
                    if let Some(o) = self.objects[at].as_mut() {
                        o.len = 0;
                    }
                }
                Ok(Reply::Opened(Opened { object: at as u32 }))
            }
            Request::WriteObject(ObjectIo { object, len, .. }) => {
                let o = self.object(object)?;
                let len = (len as usize).min(BLOB_BYTES);
                let _ = blob_out.read(0, &mut o.data[..len]);
                o.len = len;
                if o.first_len == 0 {
                    o.first[..len].copy_from_slice(&o.data[..len]);
                    o.first_len = len;
                }
                Ok(Reply::Count(Count { len: len as u32 }))
            }
            Request::ObjectSize(Object { object }) => Ok(Reply::ObjectSize(ObjectSize { size: self.object(object)?.len as u64 })),
            Request::ReadObject(ObjectIo { object, len, .. }) => {
                let o = self.object(object)?;
                let len = (len as usize).min(o.len);
                let _ = blob_in.write(0, &o.data[..len]);
                Ok(Reply::Count(Count { len: len as u32 }))
            }
            Request::RemoveObject(ObjectName { name, .. }) => {
                let at = self.objects.iter().position(|o| o.as_ref().is_some_and(|o| o.name == name)).ok_or(upcall_refusal::NOT_FOUND)?;
                self.objects[at] = None;
                Ok(Reply::Done(Done))
            }
            _ => Err(ErrorCode::UNKNOWN_METHOD),
        }
    }

    fn object(&mut self, object: u32) -> Result<&mut Stored, ErrorCode> {
        self.objects.get_mut(object as usize).and_then(Option::as_mut).ok_or(upcall_refusal::NOT_FOUND)
    }

    /// The next lie that fits `method`, marked told.
    fn next_lie(&mut self, method: MethodId) -> Option<Lie> {
        if self.quiet > 0 {
            self.quiet -= 1;
            return None;
        }
        let at = LIES.iter().zip(self.told).position(|(lie, told)| !told && lie.fits(method))?;
        self.told[at] = true;
        self.quiet = QUIET;
        Some(LIES[at])
    }

    /// The honest answer, then the lie told over it.
    fn answer(&mut self, request: &Request<'_>, header: &tightbeam::Header, out: &mut [u8; MESSAGE_BYTES]) {
        let method = request.method();
        let honest = self.honest(request);
        let reply = match (self.next_lie(method), request) {
            (None, _) => honest,
            (Some(Lie::Garbage), _) => {
                for (i, b) in out.iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(151).wrapping_add(7);
                }
                return;
            }
            (Some(Lie::WrongType), _) => Ok(Reply::Done(Done)),
            (Some(Lie::ShortCount), _) => match honest {
                Ok(Reply::Count(Count { len })) => Ok(Reply::Count(Count { len: len.saturating_sub(1) })),
                other => other,
            },
            (Some(Lie::LongCount), _) => Ok(Reply::Count(Count { len: u32::MAX })),
            (Some(Lie::HugeSize), _) => Ok(Reply::ObjectSize(ObjectSize { size: u64::MAX })),
            (Some(Lie::TinySize), _) => Ok(Reply::ObjectSize(ObjectSize { size: 3 })),
            (Some(Lie::NotFound), _) => Err(upcall_refusal::NOT_FOUND),
            (Some(Lie::IoError), _) => Err(upcall_refusal::IO),
            (Some(Lie::UnknownError), _) => Err(ErrorCode::service(77)),
            (Some(Lie::FlipByte), _) => {
                let mut byte = [0u8; 1];
                let _ = self.blob_in.read(20, &mut byte);
                let _ = self.blob_in.write(20, &[byte[0] ^ 0x10]);
                honest
            }
            (Some(Lie::OlderBlob), Request::ObjectSize(Object { object })) => match self.object(*object) {
                Ok(o) if o.first_len > 0 => {
                    // The object's first blob is its content again.
                    o.data = o.first;
                    o.len = o.first_len;
                    Ok(Reply::ObjectSize(ObjectSize { size: o.len as u64 }))
                }
                _ => honest,
            },
            (Some(Lie::OtherObject), Request::ObjectSize(Object { object })) => {
                let other = self.objects.iter().enumerate().find_map(|(i, o)| o.as_ref().filter(|o| i != *object as usize && o.len > 0).map(|o| (o.data, o.len)));
                match (other, self.object(*object)) {
                    (Some((data, len)), Ok(o)) => {
                        o.data = data;
                        o.len = len;
                        Ok(Reply::ObjectSize(ObjectSize { size: len as u64 }))
                    }
                    _ => honest,
                }
            }
            (Some(Lie::HalfBlob), _) => {
                // The second half of what the honest answer wrote, zeroed.
                if let Ok(Reply::Count(Count { len })) = honest {
                    let zeros = [0u8; BLOB_BYTES];
                    let half = len as usize / 2;
                    let _ = self.blob_in.write(half, &zeros[..len as usize - half]);
                }
                honest
            }
            (Some(Lie::ZeroCount), _) => Ok(Reply::Count(Count { len: 0 })),
            (Some(_), _) => honest,
        };
        let encoded = match reply {
            Ok(r) => encode_reply(method, &r, out).is_ok(),
            Err(_) => false,
        };
        if !encoded {
            error_reply(header, reply.err().unwrap_or(ErrorCode::INTERNAL), out);
        }
    }
}

impl Handler for Liar {
    fn protected(&mut self, _: Channel, _: MessageInfo) -> MessageInfo {
        let mut bytes = [0u8; MESSAGE_BYTES];
        if self.page.read(0, &mut bytes).is_err() {
            return MessageInfo::new(BAD_CALL, 0);
        }
        let Ok(received) = Received::copy_from(&bytes) else { return MessageInfo::new(BAD_CALL, 0) };
        let mut out = [0u8; MESSAGE_BYTES];
        match decode_request(&received) {
            Ok(request) => self.answer(&request, &received.header(), &mut out),
            Err(e) => error_reply(&received.header(), e.code(), &mut out),
        }
        match self.page.write(0, &out) {
            Ok(()) => MessageInfo::new(REPLIED, 0),
            Err(_) => MessageInfo::new(BAD_CALL, 0),
        }
    }
}

fn init() -> Liar {
    let regions = (
        memory_region_symbol!(liar_page, PAGE_BYTES),
        memory_region_symbol!(upcall_out, BUFFER_BYTES),
        memory_region_symbol!(upcall_in, BUFFER_BYTES),
    );
    let (Ok(page), Ok(blob_out), Ok(blob_in)) = regions else {
        // Misbuilt: the judge's first forwarded upcall finds no liar.
        panic!("the liar's regions are not mapped");
    };
    Liar { page, blob_out, blob_in, objects: [const { None }; OBJECTS], told: [false; LIES.len()], quiet: 0 }
}
