#!/usr/bin/python3
"""Raw-socket HTTP clients for the captures curl cannot make (see README.md).

Usage: client.py SCENARIO PORT
  pipelined  three GET requests written in ONE send, then reads the three responses
  websocket  GET /ws with Upgrade: websocket, then one masked WebSocket text frame
  http09     an HTTP/0.9 simple request `GET /index.html` (no version, no headers)
  garbage    bytes that are not HTTP at all
The bytes written are fixed (the WebSocket key and mask too), so every recording sends the same.
"""
import socket
import sys
import time


def connect(port):
    return socket.create_connection(("127.0.0.1", port))


def read_all(sock):
    """Reads until the server closes."""
    data = b""
    sock.settimeout(5)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_until(sock, data, count, marker):
    """Reads until `marker` was seen `count` times."""
    sock.settimeout(5)
    while data.count(marker) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def pipelined(port):
    requests = b"".join(
        b"GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: capture-client/1.0\r\n\r\n" % name
        for name in (b"a.txt", b"b.txt", b"c.txt")
    )
    with connect(port) as sock:
        sock.sendall(requests)
        # Each small file's body ends with "\n" and has "HTTP/1.1 200" before it.
        data = read_until(sock, b"", 3, b"HTTP/1.1 200 OK")
        data = read_until(sock, data, 1, b"file c\n")
        assert data.count(b"HTTP/1.1 200 OK") == 3, data
        sock.shutdown(socket.SHUT_WR)
        read_all(sock)


def websocket(port):
    request = (
        b"GET /ws HTTP/1.1\r\n"
        b"Host: 127.0.0.1:%d\r\n"
        b"User-Agent: capture-client/1.0\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"\r\n" % port
    )
    with connect(port) as sock:
        sock.sendall(request)
        data = read_until(sock, b"", 1, b"\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 101 "), data
        time.sleep(0.05)
        payload = b"hello over websocket"
        mask = b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        data += read_all(sock)
        assert b"echo: hello over websocket" in data, data


def http09(port):
    with connect(port) as sock:
        sock.sendall(b"GET /index.html\r\n")
        data = read_all(sock)
        assert data, "no answer"


def garbage(port):
    with connect(port) as sock:
        sock.sendall(b"\x16\x03\x01\x00\x05hello\x00\xff\xfe not http at all\r\n\r\n")
        data = read_all(sock)
        assert data.startswith(b"HTTP/1.1 400 "), data


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    globals()[scenario](port)


if __name__ == "__main__":
    main()
