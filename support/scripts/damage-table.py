#!/usr/bin/env python3
"""Copies an exclaves resource table with one byte flipped in its middle, past
the header, so that its checksum no longer matches its bytes: the image
XNU must refuse at EXCLAVECORE (EXCL0021).

usage: damage-table.py TABLE OUT
"""
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__.strip())
data = bytearray(open(sys.argv[1], "rb").read())
if len(data) < 128:
    sys.exit(f"damage-table.py: {sys.argv[1]}: {len(data)} bytes is too short for a table")
data[len(data) // 2] ^= 0x40
with open(sys.argv[2], "wb") as out:
    out.write(data)
