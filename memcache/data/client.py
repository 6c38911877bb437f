#!/usr/bin/env python3
"""Drives memcached for the capture scenarios in record.sh (see README.md).

Usage: client.py SCENARIO [--host 127.0.0.1] [--port 11211]

Speaks both protocols by hand over a raw socket: text lines, and binary
messages packed with struct (24-byte header: magic, opcode, key length,
extras length, data type, vbucket/status, body length, opaque, cas). Every
request waits for its full answer before the next one is sent (except the
quiet binary requests, whose answers come before the final no-op's), and
every answer is checked, so a scenario that does not go as intended fails.
"""

import argparse
import socket
import struct
import sys

HEADER = struct.Struct(">BBHBBHIIQ")


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(f"connection closed, wanted {n} bytes, have {self.buf!r}")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(f"connection closed before a line, have {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def expect_closed(self):
        if self.sock.recv(1) != b"":
            raise SystemExit("the server did not close the connection")

    def close(self):
        self.sock.close()


def check(got, want):
    if got != want:
        raise SystemExit(f"expected {want!r}, got {got!r}")


# ---- text protocol -------------------------------------------------------


def text(c, command, data=None):
    """Sends a command line (and a data block); returns the first reply line."""
    c.send(command + b"\r\n" + (b"" if data is None else data + b"\r\n"))
    return c.line()


def text_get(c, command):
    """Sends a retrieval command; returns {key: value} from VALUE blocks."""
    c.send(command + b"\r\n")
    values = {}
    while True:
        line = c.line()
        if line == b"END":
            return values
        word, key, _flags, size = line.split(b" ")[:4]
        check(word, b"VALUE")
        values[key] = c.read(int(size) + 2)[:-2]


def store(c, key, value, command=b"set", extra=b""):
    return text(c, b"%s %s 0 0 %d%s" % (command, key, len(value), extra), value)


def scenario_text_set_get(c):
    check(store(c, b"greeting", b"hello world"), b"STORED")
    check(text_get(c, b"get greeting"), {b"greeting": b"hello world"})


def scenario_text_multi_get(c):
    for key, value in [(b"a", b"1"), (b"b", b"22"), (b"c", b"333")]:
        check(store(c, key, value), b"STORED")
    check(text_get(c, b"get a b missing c"), {b"a": b"1", b"b": b"22", b"c": b"333"})


BINARY_SAFE = b"line one\r\nEND\r\nVALUE fake 0 3\r\nabc\r\nSTAT pid 1\r\n\x00\x80\x81"


def scenario_text_binary_safe(c):
    check(store(c, b"tricky", BINARY_SAFE), b"STORED")
    check(text_get(c, b"get tricky"), {b"tricky": BINARY_SAFE})


LARGE = bytes((i * 7 + i // 251) % 26 + 97 for i in range(200_000))


def scenario_text_large_value(c):
    check(store(c, b"big", LARGE), b"STORED")
    check(text_get(c, b"get big"), {b"big": LARGE})


def scenario_text_noreply(c):
    c.send(b"set nr1 0 0 3 noreply\r\none\r\n")
    c.send(b"add nr2 5 0 3 noreply\r\ntwo\r\n")
    c.send(b"delete nr1 noreply\r\n")
    check(text_get(c, b"get nr1 nr2"), {b"nr2": b"two"})


def scenario_text_counters(c):
    check(store(c, b"n", b"10"), b"STORED")
    check(text(c, b"incr n 5"), b"15")
    check(text(c, b"decr n 20"), b"0")
    check(text(c, b"incr nothing 1"), b"NOT_FOUND")


def scenario_text_delete(c):
    check(store(c, b"doomed", b"bye"), b"STORED")
    check(text(c, b"delete doomed"), b"DELETED")
    check(text(c, b"delete doomed"), b"NOT_FOUND")
    check(text_get(c, b"get doomed"), {})


def scenario_text_stats(c):
    c.send(b"stats\r\n")
    count = 0
    while (line := c.line()) != b"END":
        check(line.split(b" ")[0], b"STAT")
        count += 1
    print(f"{count} STAT lines", file=sys.stderr)


def scenario_text_unknown_command(c):
    check(text(c, b"bogus command"), b"ERROR")
    check(text(c, b"get " + b"k" * 300), b"CLIENT_ERROR bad command line format")
    check(text(c, b"version")[:8], b"VERSION ")


def scenario_text_quit(c):
    check(text(c, b"version")[:8], b"VERSION ")
    c.send(b"quit\r\n")
    c.expect_closed()


# ---- binary protocol -----------------------------------------------------


def packet(opcode, key=b"", extras=b"", value=b"", opaque=0, magic=0x80, cas=0):
    body = len(extras) + len(key) + len(value)
    header = HEADER.pack(magic, opcode, len(key), len(extras), 0, 0, body, opaque, cas)
    return header + extras + key + value


def reply(c):
    """Reads one binary response: (opcode, status, opaque, key, extras, value)."""
    magic, opcode, key_len, extras_len, _, status, body, opaque, _ = HEADER.unpack(c.read(24))
    check(magic, 0x81)
    data = c.read(body)
    extras, key = data[:extras_len], data[extras_len : extras_len + key_len]
    return opcode, status, opaque, key, extras, data[extras_len + key_len :]


def call(c, opcode, key=b"", extras=b"", value=b"", opaque=0, status=0):
    c.send(packet(opcode, key, extras, value, opaque))
    got = reply(c)
    check((got[0], got[1], got[2]), (opcode, status, opaque))
    return got


SET_EXTRAS = struct.pack(">II", 0, 0)  # flags, exptime


def counter(delta, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


def scenario_bin_set_get(c):
    call(c, 0x01, b"greeting", SET_EXTRAS, b"hello binary", opaque=1)
    got = call(c, 0x00, b"greeting", opaque=2)  # Get: no key in the answer
    check(got[5], b"hello binary")
    got = call(c, 0x0C, b"greeting", opaque=3)  # GetK: the key comes back
    check((got[3], got[5]), (b"greeting", b"hello binary"))
    call(c, 0x07, opaque=4)  # Quit (not quiet): answered, then closed
    c.expect_closed()


def scenario_bin_quiet_multi_get(c):
    call(c, 0x01, b"k1", SET_EXTRAS, b"one", opaque=1)
    c.send(packet(0x11, b"k2", SET_EXTRAS, b"two", opaque=2))  # SetQ: no answer when stored
    gets = [(b"k1", 3), (b"nope", 4), (b"k2", 5), (b"gone", 6)]
    c.send(b"".join(packet(0x0D, key, opaque=o) for key, o in gets) + packet(0x0A, opaque=7))
    hits = []
    while True:
        opcode, status, opaque, key, _, value = reply(c)
        if opcode == 0x0A:
            check((status, opaque), (0, 7))
            break
        hits.append((opaque, key, value))
    check(hits, [(3, b"k1", b"one"), (5, b"k2", b"two")])


def scenario_bin_counters(c):
    got = call(c, 0x05, b"hits", counter(1, initial=100), opaque=1)  # created with 100
    check(struct.unpack(">Q", got[5])[0], 100)
    got = call(c, 0x05, b"hits", counter(5), opaque=2)
    check(struct.unpack(">Q", got[5])[0], 105)
    got = call(c, 0x06, b"hits", counter(200), opaque=3)
    check(struct.unpack(">Q", got[5])[0], 0)


def scenario_bin_delete(c):
    call(c, 0x01, b"doomed", SET_EXTRAS, b"bye", opaque=1)
    call(c, 0x04, b"doomed", opaque=2)
    call(c, 0x04, b"doomed", opaque=3, status=0x01)  # Key not found
    call(c, 0x0C, b"doomed", opaque=4, status=0x01)


def scenario_bin_stats(c):
    c.send(packet(0x10, opaque=9))
    count = 0
    while True:
        opcode, status, opaque, key, _, _ = reply(c)
        check((opcode, status, opaque), (0x10, 0, 9))
        if not key:
            break
        count += 1
    print(f"{count} stat entries", file=sys.stderr)


def scenario_bin_error(c):
    call(c, 0x01, b"word", SET_EXTRAS, b"abc", opaque=1)
    call(c, 0x02, b"word", SET_EXTRAS, b"xyz", opaque=2, status=0x02)  # Add: Key exists
    call(c, 0x05, b"word", counter(1), opaque=3, status=0x06)  # Incr on non-numeric value
    call(c, 0x50, b"", opaque=4, status=0x81)  # Unknown command


def main():
    scenarios = {name[9:]: f for name, f in globals().items() if name.startswith("scenario_")}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(scenarios))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11211)
    args = parser.parse_args()
    c = Conn(args.host, args.port)
    scenarios[args.scenario](c)
    c.close()


if __name__ == "__main__":
    main()
