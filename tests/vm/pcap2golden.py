#!/usr/bin/env python3
"""Convert the captures printed by tests/vm/capture.sh into golden files.

    pcap2golden.py [--kernel NAME] CONSOLE-LOG OUT-DIR

CONSOLE-LOG holds blocks `@@CAPTURE-BEGIN name@@`, `@@CMD ...@@`, `@@EXIT n@@`,
`@@STDOUT ...@@`/`@@STDERR ...@@` lines, the base64 of a pcap taken on an nlmon interface,
and `@@CAPTURE-END name@@`.  Each pcap frame is a 16-byte Linux cooked (SLL) header followed
by one netlink skb, which may hold several netlink messages; every message becomes one line
of OUT-DIR/name.txt: `> HEX` if it went from user space to the kernel, `< HEX` if the
kernel sent it.  Only NETLINK_GENERIC traffic (SLL protocol 16) is kept.

Direction: the SLL packet type cannot tell it.  nlmon frames reach the packet socket
through the transmit tap, which marks every frame PACKET_OUTGOING (4), requests and
replies alike (checked on the 6.1 cloud kernel).  So the direction is read from the
message: user space sets NLM_F_REQUEST on everything it sends, the kernel never does.
"""
import argparse
import base64
import os
import re
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST = 0x1


def pcap_frames(data):
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise ValueError("not a pcap file (magic %#x)" % magic)
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        if incl != orig:
            raise ValueError("truncated frame in capture (%d of %d bytes)" % (incl, orig))
        yield linktype, data[off:off + incl]
        off += incl


def messages(frame, linktype):
    """Yields (direction, netlink-protocol, message bytes) for one captured frame."""
    if linktype == 276:  # LINUX_SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
        proto, = struct.unpack_from(">H", frame, 0)
        pkttype = frame[10]
        body = frame[20:]
    else:  # LINUX_SLL / NETLINK cooked header: pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
        pkttype, = struct.unpack_from(">H", frame, 0)
        proto, = struct.unpack_from(">H", frame, 14)
        body = frame[16:]
    off = 0
    while off + 16 <= len(body):
        length, = struct.unpack_from("<I", body, off)
        if length < 16 or off + length > len(body):
            raise ValueError("bad nlmsg_len %d at offset %d" % (length, off))
        yield pkttype, proto, body[off:off + length]
        off += (length + 3) & ~3


def parse_log(path):
    blocks, cur = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.search(r"@@CAPTURE-BEGIN (\S+)@@", line)
            if m:
                cur = {"name": m.group(1), "cmd": None, "exit": None, "out": [], "err": [], "b64": []}
                continue
            if cur is None:
                continue
            if re.search(r"@@CAPTURE-END ", line):
                blocks.append(cur)
                cur = None
            elif line.startswith("@@CMD "):
                cur["cmd"] = line[6:-2]
            elif line.startswith("@@EXIT "):
                cur["exit"] = line[7:-2]
            elif line.startswith("@@STDOUT "):
                cur["out"].append(line[9:-2])
            elif line.startswith("@@STDERR "):
                cur["err"].append(line[9:-2])
            else:
                cur["b64"].append(line.strip())
    return blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="unknown kernel")
    ap.add_argument("log")
    ap.add_argument("outdir")
    args = ap.parse_args()
    blocks = parse_log(args.log)
    if not blocks:
        sys.exit("pcap2golden: no captures found in %s" % args.log)
    for b in blocks:
        pcap = base64.b64decode("".join(b["b64"]))
        lines, pkttypes = [], set()
        for linktype, frame in pcap_frames(pcap):
            for pkttype, proto, msg in messages(frame, linktype):
                if proto != NETLINK_GENERIC:
                    continue
                pkttypes.add(pkttype)
                flags, = struct.unpack_from("<H", msg, 6)
                lines.append("%s %s" % (">" if flags & NLM_F_REQUEST else "<", msg.hex()))
        if not lines:
            sys.exit("pcap2golden: %s: no generic netlink messages captured" % b["name"])
        head = [
            "# Netlink traffic of: %s" % b["cmd"],
            "# Reference ipvsadm 1.31 (Debian) against %s, captured on nlmon0" % args.kernel,
            "# by tests/vm/capture.sh (run in order; earlier commands built the state).",
            "# exit status %s" % b["exit"],
        ]
        head += ["# stdout: %s" % l for l in b["out"]]
        head += ["# stderr: %s" % l for l in b["err"]]
        head += [
            "# One generic-netlink message per line (nlmsghdr included), in capture order:",
            "# '> HEX' ipvsadm to kernel (NLM_F_REQUEST set), '< HEX' kernel to ipvsadm (the",
            "# nlmon SLL packet type was %s for both). nlmsg_seq and nlmsg_pid (bytes 8..15)" %
            "/".join(str(t) for t in sorted(pkttypes)),
            "# differ from run to run; so may the IPVS family id (nlctrl reply).",
        ]
        path = os.path.join(args.outdir, b["name"] + ".txt")
        with open(path, "w") as f:
            f.write("\n".join(head + lines) + "\n")
        print("%s: %d messages" % (path, len(lines)))


if __name__ == "__main__":
    main()
