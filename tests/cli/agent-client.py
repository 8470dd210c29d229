#!/usr/bin/env python3
"""A controller for tests of `v4check agent`, written apart from the C code
(lib/transport/agent.h describes the frames). Runs AGENT... as a child over
pipes, sends what the actions on stdin say, and prints what comes back.

Actions, one a line:
  run ID TIMEOUT_MS CAP COMMAND...   a RUN frame
  kill ID                            a KILL frame
  raw HEX                            these bytes as they are
  sleep MS                           wait (reading results meanwhile)
  close                              close the agent's stdin (EOF)
After the last action it waits until the agent exits (at most 30 s) and
prints, one a line: "agent PID", "hello PROTOCOL VERSION", then for each RESULT
"result ID STATE EXIT TRUNCATED OUT_LEN ERR_LEN MS OUT_HEX" (the first 512
bytes of stdout), then
"exit STATUS" (the agent's)."""
import os
import select
import struct
import subprocess
import sys
import time

MAGIC = b"V4AG"


def field(tag, data):
    return struct.pack(">BI", tag, len(data)) + data


def num(tag, v):
    return field(tag, struct.pack(">I", v & 0xFFFFFFFF))


def frame(ftype, payload, version=1):
    return MAGIC + bytes([version, ftype, 0, 0]) + struct.pack(">I", len(payload)) + payload


def parse_fields(p):
    out, i = {}, 0
    while i < len(p):
        tag, n = struct.unpack(">BI", p[i:i + 5])
        out[tag] = p[i + 5:i + 5 + n]
        i += 5 + n
    return out


def u32(b):
    return struct.unpack(">I", b)[0]


def report(buf, lines):
    while len(buf) >= 12:
        assert buf[:4] == MAGIC, buf[:16]
        n = u32(buf[8:12])
        if len(buf) < 12 + n:
            break
        ver, ftype, body = buf[4], buf[5], parse_fields(buf[12:12 + n])
        buf = buf[12 + n:]
        if ftype == 1:
            lines.append("hello %d %s" % (ver, body.get(11, b"").decode()))
        elif ftype == 4:
            ex = struct.unpack(">i", body[6])[0]
            lines.append("result %d %d %d %d %d %d %d %s" % (
                u32(body[1]), u32(body[5]), ex, u32(body[9]), len(body[7]),
                len(body[8]), u32(body[10]), body[7][:512].hex()))
        else:
            lines.append("frame %d" % ftype)
    return buf


def main():
    p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf, lines = b"", ["agent %d" % p.pid]

    def pump(secs):
        nonlocal buf
        end = time.time() + secs
        while True:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                return
            d = os.read(p.stdout.fileno(), 1 << 20)
            if not d:
                return
            buf = report(buf + d, lines)

    for line in sys.stdin:
        w = line.rstrip("\n").split(" ")
        if w[0] == "run":
            cmd = " ".join(w[4:]).encode()
            pl = num(1, int(w[1])) + field(2, cmd) + num(3, int(w[2])) + num(4, int(w[3]))
            p.stdin.write(frame(2, pl))
        elif w[0] == "kill":
            p.stdin.write(frame(3, num(1, int(w[1]))))
        elif w[0] == "raw":
            p.stdin.write(bytes.fromhex(w[1]))
        elif w[0] == "sleep":
            p.stdin.flush()
            pump(int(w[1]) / 1000.0)
            continue
        elif w[0] == "close":
            p.stdin.close()
            continue
        p.stdin.flush()
    if not p.stdin.closed:
        p.stdin.close()
    pump(30)
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    lines.append("exit %s" % rc)
    print("\n".join(lines))


main()
