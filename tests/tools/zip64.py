#!/usr/bin/python3
"""zip64.py IN OUT: rewrite the zip archive IN with a ZIP64 central
directory (every entry's sizes and local header offset in a ZIP64 extra
field, the 32-bit fields 0xffffffff; a ZIP64 end record and locator), as
torch.save writes archives beyond 4 GiB, with the same local headers and
data.  struct only: the test of ckconv's ZIP64 reading without writing
4 GiB."""
import struct
import sys

raw = open(sys.argv[1], "rb").read()
eocd = raw.rindex(b"PK\x05\x06")
count, cd_size, cd_off = struct.unpack("<HII", raw[eocd + 10:eocd + 20])
entries, p = [], cd_off
for _ in range(count):
    f = struct.unpack("<IHHHHHHIIIHHHHHII", raw[p:p + 46])
    nl, xl, cl = f[10], f[11], f[12]
    entries.append((f, raw[p + 46:p + 46 + nl]))
    p += 46 + nl + xl + cl
cd = b""
for f, name in entries:
    (sig, made, need, flags, method, tm, dt, crc, csize, usize, nl, xl, cl,
     disk, iattr, eattr, off) = f
    extra = struct.pack("<HHQQQ", 1, 24, usize, csize, off)
    cd += struct.pack("<IHHHHHHIIIHHHHHII", sig, made, need, flags, method,
                      tm, dt, crc, 0xffffffff, 0xffffffff, nl, len(extra), 0,
                      disk, iattr, eattr, 0xffffffff) + name + extra
z64 = cd_off + len(cd)
rec = struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, count, count,
                  len(cd), cd_off)
loc = struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff,
                  0xffffffff, 0)
open(sys.argv[2], "wb").write(raw[:cd_off] + cd + rec + loc + end)
