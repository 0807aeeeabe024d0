#!/usr/bin/env python3
"""Writes a copy of a system root task (`microkit-tool build` output) whose
embedded spec is damaged, for the tests that check the monitor refuses it.

usage: tamper-spec.py IN OUT version|checksum
  version   sets the spec's version field to 99 (checksum left stale)
  checksum  flips the last byte of the spec, so only the checksum is wrong
"""
import struct
import sys

MAGIC = b"SEL4SPEC"
VERSION_OFFSET = 8  # after the 8-byte magic (monitor-spec's Header)


def spec_offset(elf: bytes) -> tuple[int, int]:
    """File offset and size of the last PT_LOAD segment, where the tool puts the spec."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("tamper-spec: not an ELF64 file")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    loads = []
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_offset, p_filesz))
    if not loads:
        sys.exit("tamper-spec: no loadable segment")
    offset, size = loads[-1]
    if elf[offset:offset + len(MAGIC)] != MAGIC:
        sys.exit("tamper-spec: the last segment is not a spec (was this built by microkit-tool build?)")
    return offset, size


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[3] not in ("version", "checksum"):
        sys.exit(__doc__)
    source, target, damage = sys.argv[1:]
    elf = bytearray(open(source, "rb").read())
    offset, size = spec_offset(elf)
    if damage == "version":
        struct.pack_into("<I", elf, offset + VERSION_OFFSET, 99)
    else:
        elf[offset + size - 1] ^= 0xFF
    open(target, "wb").write(elf)


main()
