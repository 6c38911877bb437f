#!/usr/bin/python3
"""Lists the HTTP transactions of a capture, as README.md tabulates them (a cross-check, not the
analyzer): tshark puts each TCP connection's bytes back together (`-z follow,tcp,raw,N`), and this
script splits them into messages by the HTTP/1.1 rules (RFC 9112 section 6.3).

Usage: transactions.py FILE.pcap
For each connection, one line per transaction:
  method, target, request bytes (head + body as sent, chunk framing included), request body bytes
  (decoded), interim 1xx answers (bytes), status code and phrase, response bytes, response body bytes
  (decoded), Content-Type; and what is left on the connection (bytes after a 101 or a CONNECT's 200,
  bytes that are not HTTP).
"""
import subprocess
import sys


def streams(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "tcp.stream"],
                         capture_output=True, text=True, check=True).stdout.split()
    for n in sorted({int(s) for s in out if s}):
        text = subprocess.run(["tshark", "-r", path, "-q", "-z", f"follow,tcp,raw,{n}"],
                              capture_output=True, text=True, check=True).stdout
        client, server, nodes = b"", b"", []
        for line in text.splitlines():
            if line.startswith("Node "):
                nodes.append(line.split(": ", 1)[1])
            elif line and not line.startswith(("=", "Follow", "Filter")):
                if line.startswith("\t"):
                    server += bytes.fromhex(line.strip())
                else:
                    client += bytes.fromhex(line.strip())
        yield n, nodes, client, server


class Incomplete(Exception):
    pass


def head(buf, pos):
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        raise Incomplete
    lines = buf[pos:end].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    return lines[0].decode("latin-1"), headers, end + 4


def body(buf, pos, headers, until_close):
    """Returns (end position, decoded body length)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        size_total = 0
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                raise Incomplete
            size = int(buf[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                end = buf.find(b"\r\n\r\n", pos - 2)  # trailer section, maybe empty
                if end < 0:
                    raise Incomplete
                return end + 4, size_total
            size_total += size
            pos += size + 2
    if "content-length" in headers:
        n = int(headers["content-length"])
        if pos + n > len(buf):
            raise Incomplete
        return pos + n, n
    if until_close:
        return len(buf), len(buf) - pos
    return pos, 0


def main():
    for n, nodes, client, server in streams(sys.argv[1]):
        print(f"connection {n}: {nodes[0]} -> {nodes[1]}: client {len(client)} bytes, server {len(server)} bytes")
        cpos = spos = 0
        while cpos < len(client):
            first = client[cpos:client.find(b"\r\n", cpos)].decode("latin-1")
            if client.find(b"\r\n", cpos) >= 0 and len(first.split(" ")) == 2 and first[:1].isalpha():
                print(f"  HTTP/0.9 simple request {first!r} ({len(client) - cpos} B); "
                      f"answer (raw body until close): {len(server) - spos} B")
                cpos, spos = len(client), len(server)
                break
            try:
                line, headers, end = head(client, cpos)
            except Incomplete:
                print(f"  {len(client) - cpos} client bytes with no complete HTTP head: {client[cpos:cpos + 40]!r}")
                break
            parts = line.split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                print(f"  not an HTTP/1.x request line ({len(client) - cpos} bytes): {client[cpos:cpos + 40]!r}")
                break
            method, target, _ = parts
            cend, req_body = body(client, end, headers, False)
            req_bytes = cend - cpos
            cpos = cend
            interim = []
            while True:
                try:
                    sline, sheaders, send = head(server, spos)
                except Incomplete:
                    print(f"  {method} {target}: req {req_bytes} B (body {req_body}); no response")
                    return
                code = int(sline.split(" ")[1])
                if 100 <= code < 200 and code != 101:
                    interim.append(f"{code} ({send - spos} B)")
                    spos = send
                    continue
                break
            no_body = method == "HEAD" or code in (101, 204, 304) or (method == "CONNECT" and 200 <= code < 300)
            if no_body:
                rend, resp_body = send, 0
            else:
                rend, resp_body = body(server, send, sheaders, True)
            phrase = sline.split(" ", 2)[2] if sline.count(" ") >= 2 else ""
            print(f"  {method} {target}: req {req_bytes} B (body {req_body})"
                  + (f"; interim {', '.join(interim)}" if interim else "")
                  + f"; {sline.split(' ')[0]} {code} {phrase!r}: resp {rend - spos} B (body {resp_body})"
                  + f"; type {sheaders.get('content-type', '-')}")
            spos = rend
            if code == 101 or (method == "CONNECT" and 200 <= code < 300):
                print(f"  after it: client {len(client) - cpos} B, server {len(server) - spos} B (not HTTP to this analyzer)")
                cpos, spos = len(client), len(server)
                break
        if spos < len(server):
            print(f"  {len(server) - spos} server bytes answer no request: {server[spos:spos + 40]!r}")


if __name__ == "__main__":
    main()
