#!/usr/bin/env python3
"""Drives redis-server on 127.0.0.1:6379 over a raw socket for one capture scenario.

Usage: client.py SCENARIO  (pipelined big errors multi binary inline resp3)

Each scenario opens one connection, writes its commands exactly as listed (one
write per step, so several commands in a step share a segment), reads every
reply, prints them, and closes the connection (client FIN). No Redis library:
the bytes on the wire are the ones written here.
"""

import socket
import sys


def cmd(*args):
    """A command as a RESP array of bulk strings."""
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


class Conn:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", 6379))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def more(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def reply(self):
        """Reads one reply (RESP2 or RESP3) and returns it as Python values."""
        line = self.line()
        ty, rest = line[:1], line[1:]
        if ty in (b"+", b"-", b":", b",", b"(", b"_", b"#"):
            return line.decode(errors="replace")
        n = int(rest)
        if ty in (b"$", b"=", b"!"):
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.more()
            value, self.buf = self.buf[:n], self.buf[n + 2 :]
            return value
        if n < 0:
            return None
        count = 2 * n if ty == b"%" else n
        return [self.reply() for _ in range(count)]

    def step(self, *commands):
        """Writes the commands in one write, then reads one reply per command."""
        self.sock.sendall(b"".join(commands))
        for _ in commands:
            print(summary(self.reply()))

    def close(self):
        self.sock.close()


def summary(value):
    text = repr(value)
    return text if len(text) < 120 else text[:100] + "... (%d bytes)" % len(value)


BINARY = b"bin\r\nEND\r\n\x00\xff$3\r\nEND\r\n"


def scenario(name, conn):
    if name == "pipelined":
        conn.step(cmd("SET", "k1", "v1"), cmd("SET", "k2", "v2"), cmd("GET", "k1"),
                  cmd("INCR", "counter"), cmd("DEL", "k1", "k2"))
    elif name == "big":
        # The 200,000-byte value is built by the server, so only the reply is big; the 5,000-byte
        # SET is a request spread over several segments.
        conn.step(cmd("EVAL", "return redis.call('SET', KEYS[1], string.rep('0123456789', 20000))",
                      1, "big"))
        conn.step(cmd("GET", "big"))
        conn.step(cmd("SET", "mid", b"x" * 5000))
        conn.step(cmd("STRLEN", "mid"))
    elif name == "errors":
        conn.step(cmd("GET", "missing"))
        conn.step(cmd("SET", "str", "text"))
        conn.step(cmd("LLEN", "str"))
        conn.step(cmd("FOOBAR", "x"))
        conn.step(cmd("LINDEX", "nolist", 0))
    elif name == "multi":
        conn.step(cmd("MULTI"))
        conn.step(cmd("SET", "a", "1"))
        conn.step(cmd("INCR", "a"))
        conn.step(cmd("LPUSH", "a", "x"))
        conn.step(cmd("LRANGE", "nolist", 0, -1))
        conn.step(cmd("EXEC"))
    elif name == "binary":
        conn.step(cmd("SET", "bin", BINARY))
        conn.step(cmd("GET", "bin"))
    elif name == "inline":
        conn.step(b"PING\r\n")
        conn.step(b"SET inl hello\r\n")
        conn.step(b"GET inl\r\n")
    elif name == "resp3":
        conn.step(cmd("HELLO", "3"))
        conn.step(cmd("HSET", "h", "f1", "v1", "f2", "v2"))
        conn.step(cmd("HGETALL", "h"))
        conn.step(cmd("SADD", "s", "m"))
        conn.step(cmd("SMEMBERS", "s"))
        conn.step(cmd("ZADD", "z", "1.5", "m"))
        conn.step(cmd("ZSCORE", "z", "m"))
        conn.step(cmd("GET", "missing"))
    else:
        sys.exit("client.py: unknown scenario %r" % name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    conn = Conn()
    scenario(sys.argv[1], conn)
    conn.close()


if __name__ == "__main__":
    main()
