#!/usr/bin/python3
"""A tiny HTTP/1.1 server for the HTTP test captures (see README.md), built on Python's http.server.

Usage: server.py PORT

It answers what nginx and `python3 -m http.server` cannot be made to answer:
  POST /upload      reads the body (Content-Length or chunked; `Expect: 100-continue` is answered
                    with `100 Continue` by http.server itself) and answers 200 with
                    `received N bytes\n`
  GET  /chunked     a chunked response (3 chunks) with a trailer (`X-Checksum`)
  GET  /stream      an HTTP/1.0-style response with no Content-Length, delimited by the close
  GET  /ws          `Upgrade: websocket`: 101 Switching Protocols, then WebSocket frames: it reads
                    one masked text frame from the client, answers it with an unmasked text frame
                    `echo: <text>`, then a close frame, and closes
  CONNECT host:port a tunnel: 200 Connection established, then bytes relayed both ways
Everything it sends is fixed, except the Date header.
"""
import base64
import hashlib
import http.server
import select
import socket
import sys

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "capture-server/1.0"

    def log_message(self, fmt, *args):
        sys.stderr.write("server.py: " + (fmt % args) + "\n")

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # CRLF after the chunk

    def do_POST(self):
        if self.path != "/upload":
            self.send_error(404)
            return
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reply = b"received %d bytes\n" % len(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Checksum")
            self.end_headers()
            chunks = [b"first chunk\n", b"second chunk, a bit longer\n", b"third\n"]
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            digest = hashlib.md5(b"".join(chunks)).hexdigest().encode()
            self.wfile.write(b"0\r\nX-Checksum: " + digest + b"\r\n\r\n")
        elif self.path == "/stream":
            # HTTP/1.0 style: no Content-Length, no chunking; the close ends the body.
            self.close_connection = True
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            self.wfile.flush()
            for i in range(1, 4):
                self.wfile.write(b"line %d of a body with no length\n" % i)
                self.wfile.flush()
        elif self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            key = self.headers["Sec-WebSocket-Key"].encode()
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            # One masked client frame (short payload), answered unmasked, then a close frame.
            head = self.rfile.read(2)
            length = head[1] & 0x7F
            mask = self.rfile.read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            reply = b"echo: " + data
            self.wfile.write(bytes([0x81, len(reply)]) + reply)
            self.wfile.write(b"\x88\x02\x03\xe8")  # close, status 1000
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_error(404)

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        conns = [self.connection, upstream]
        while True:
            readable, _, _ = select.select(conns, [], [], 10)
            if not readable:
                break
            done = False
            for conn in readable:
                data = conn.recv(65536)
                if not data:
                    done = True
                    break
                (upstream if conn is self.connection else self.connection).sendall(data)
            if done:
                break
        upstream.close()


def main():
    port = int(sys.argv[1])
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
