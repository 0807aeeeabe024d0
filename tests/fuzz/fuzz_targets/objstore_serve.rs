//! XNU's object store (`xnu-personality/objstore`) on a disk of fuzz bytes,
//! serving upcalls decoded from fuzz bytes: it never panics, never asks for
//! a transfer past the store's sectors or the data area, and never counts
//! more bytes than an upcall asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tightbeam::{decode_request, Received, Reply, MESSAGE_BYTES};
use xnu_objstore::{Action, Store, Transfer, DATA_BYTES, DISK_SECTORS, EXTENT_BYTES, SECTOR};

fuzz_target!(|data: &[u8]| {
    let mut disk = vec![0u8; DISK_SECTORS as usize * SECTOR];
    // Up to four upcalls' worth first, then the directory's sectors.
    let (mut rest, image) = data.split_at(data.len().min(4 * MESSAGE_BYTES));
    let image = &image[..image.len().min(8 * SECTOR)];
    disk[..image.len()].copy_from_slice(image);
    let mut store = Store::new();
    let mut area = vec![0u8; DATA_BYTES];
    let blob_out = vec![0x5a; EXTENT_BYTES];
    let mut blob_in = vec![0u8; EXTENT_BYTES];
    while !rest.is_empty() {
        let n = rest.len().min(MESSAGE_BYTES);
        let mut raw = [0u8; MESSAGE_BYTES];
        raw[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        let Ok(received) = Received::copy_from(&raw) else { continue };
        let Ok(request) = decode_request(&received) else { continue };
        let asked = match request {
            tightbeam::Request::ReadObject(io) | tightbeam::Request::WriteObject(io) => Some(io.len),
            _ => None,
        };
        let mut action = store.serve(&request, &mut area, &blob_out);
        for _ in 0..4 {
            match action {
                Action::Reply(Ok(Reply::Count(c))) => {
                    assert!(asked.is_some_and(|a| c.len <= a), "a count past what was asked");
                    break;
                }
                Action::Reply(_) => break,
                Action::Transfer(t) => {
                    let (sector, sectors, write) = match t {
                        Transfer::Read { sector, sectors } => (sector, sectors, false),
                        Transfer::Write { sector, sectors } => (sector, sectors, true),
                    };
                    let (at, len) = (sector as usize * SECTOR, sectors as usize * SECTOR);
                    assert!(sector + u64::from(sectors) <= DISK_SECTORS && len <= DATA_BYTES, "a transfer out of bounds");
                    if write {
                        disk[at..at + len].copy_from_slice(&area[..len]);
                    } else {
                        area[..len].copy_from_slice(&disk[at..at + len]);
                    }
                    action = store.io_done(true, &mut area, &blob_out, &mut blob_in);
                }
            }
        }
    }
});
