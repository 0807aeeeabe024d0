#!/usr/bin/env python3
"""Flips one ciphertext bit of every object in an XNU disk image, as a host
with the disk in hand could: the object store's layout is
xnu-personality/objstore (directory in sectors 0-7, 64-byte records,
record i's extent at sector 8 + (i - 1) * 40)."""
import struct
import sys

SECTOR, RECORD, RECORDS, EXTENT_SECTORS, DIRECTORY_SECTORS = 512, 64, 64, 40, 8
# Past the blob's header (magic, version): a byte of the ciphertext.
OFFSET_IN_BLOB = 20


def main(path):
    with open(path, "r+b") as disk:
        directory = disk.read(RECORD * RECORDS)
        if directory[:8] != b"XNUOBJS1":
            sys.exit(f"{path}: no object store (no XNUOBJS1 header)")
        flipped = 0
        for i in range(1, RECORDS):
            record = directory[i * RECORD:(i + 1) * RECORD]
            size, used = struct.unpack_from("<QI", record, 32)
            if used != 1 or size <= OFFSET_IN_BLOB:
                continue
            at = (DIRECTORY_SECTORS + (i - 1) * EXTENT_SECTORS) * SECTOR + OFFSET_IN_BLOB
            disk.seek(at)
            byte = disk.read(1)[0]
            disk.seek(at)
            disk.write(bytes([byte ^ 0x01]))
            flipped += 1
        if flipped == 0:
            sys.exit(f"{path}: no object to flip")
        print(f"{path}: flipped a bit in {flipped} objects")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: flip-objects.py DISK")
    main(sys.argv[1])
