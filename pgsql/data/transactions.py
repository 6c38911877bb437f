#!/usr/bin/python3
"""Lists the PostgreSQL messages and transactions of a capture, as README.md tabulates them (a
cross-check, not the analyzer): tshark puts each connection's bytes back together
(`-z follow,tcp,raw,N`), and this script splits them into protocol-3.0 messages.

Usage: transactions.py FILE.pcap
Per connection: the startup phase (SSLRequest and its answer, StartupMessage, authentication up to
the first ReadyForQuery), then one transaction per simple query (Q ... ReadyForQuery) or per Sync
of the extended protocol (Parse/Bind/Describe/Execute... Sync ... ReadyForQuery), COPY data
included, with its request and response bytes, the command tags, the row and field counts and the
ErrorResponse fields; then Terminate.
"""
import struct
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


def messages(buf, pos):
    """Typed messages from pos: (type, body, size)."""
    out = []
    while pos + 5 <= len(buf):
        kind = chr(buf[pos])
        length = struct.unpack(">I", buf[pos + 1:pos + 5])[0]
        out.append((kind, buf[pos + 5:pos + 1 + length], 1 + length))
        pos += 1 + length
    return out


def kinds(msgs):
    """The message types, runs of more than 3 shortened: T D×5000 C Z."""
    out, i = [], 0
    while i < len(msgs):
        j = i
        while j < len(msgs) and msgs[j][0] == msgs[i][0]:
            j += 1
        out.append(msgs[i][0] * (j - i) if j - i <= 3 else f"{msgs[i][0]}×{j - i}")
        i = j
    return " ".join(out)


def cstr(body):
    return body.split(b"\0", 1)[0].decode()


def error_fields(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


def main():
    for n, nodes, client, server in streams(sys.argv[1]):
        print(f"connection {n}: {nodes[0]} -> {nodes[1]}: client {len(client)} bytes, server {len(server)} bytes")
        cpos = spos = 0
        length, code = struct.unpack(">II", client[0:8])
        if length == 8 and code == 80877103:
            answer = chr(server[0])
            print(f"  SSLRequest (8 bytes), answered {answer!r}")
            cpos, spos = 8, 1
            if answer == "S":
                print(f"  TLS from here on: client {len(client) - cpos} bytes, server {len(server) - spos} bytes")
                continue
        length = struct.unpack(">I", client[cpos:cpos + 4])[0]
        params = client[cpos + 8:cpos + length].split(b"\0")
        print(f"  StartupMessage ({length} bytes): {dict(zip(params[0::2], params[1::2]))}")
        cpos += length
        cmsgs = messages(client, cpos)
        smsgs = messages(server, spos)
        # startup phase: up to the first ReadyForQuery; the client's password messages belong to it
        i = 0
        phase = []
        while smsgs[i][0] != "Z":
            kind, body, size = smsgs[i]
            if kind == "R":
                phase.append(f"R{struct.unpack('>I', body[:4])[0]}")
            else:
                phase.append(kind)
            i += 1
        phase.append("Z")
        smsgs = smsgs[i + 1:]
        j = 0
        while j < len(cmsgs) and cmsgs[j][0] == "p":
            j += 1
        print(f"  startup phase: client {''.join('p' * j)} ({sum(m[2] for m in cmsgs[:j])} bytes); server {' '.join(phase)}")
        cmsgs = cmsgs[j:]
        # transactions
        t = 0
        while cmsgs:
            kind = cmsgs[0][0]
            if kind == "X":
                print(f"  Terminate ({cmsgs[0][2]} bytes)")
                cmsgs = cmsgs[1:]
                continue
            # request: a Q, or extended messages up to the Sync; COPY data is added below
            if kind == "Q":
                req = [cmsgs[0]]
                cmsgs = cmsgs[1:]
            else:
                k = 0
                while cmsgs[k][0] != "S":
                    k += 1
                req = cmsgs[:k + 1]
                cmsgs = cmsgs[k + 1:]
            resp = []
            while True:
                m = smsgs.pop(0)
                resp.append(m)
                if m[0] == "G":  # CopyInResponse: the client's CopyData... CopyDone/CopyFail follow
                    while True:
                        c = cmsgs.pop(0)
                        req.append(c)
                        if c[0] in "cf":
                            break
                if m[0] == "Z":
                    break
            t += 1
            queries = [cstr(b) for k_, b, _ in req if k_ == "Q"]
            queries += [f"Parse {cstr(b)!r}: {cstr(b[len(cstr(b)) + 1:])}" for k_, b, _ in req if k_ == "P"]
            binds = [f"Bind to {cstr(b[len(cstr(b)) + 1:])!r}" for k_, b, _ in req if k_ == "B"]
            fields = [struct.unpack(">H", b[:2])[0] for k_, b, _ in resp if k_ == "T"]
            rows = sum(1 for k_, _, _ in resp if k_ == "D")
            copydata = (sum(1 for k_, _, _ in req if k_ == "d"), sum(1 for k_, _, _ in resp if k_ == "d"))
            tags = [cstr(b) for k_, b, _ in resp if k_ == "C"]
            errors = [error_fields(b) for k_, b, _ in resp if k_ == "E"]
            print(f"  #{t} {kinds(req)} -> {kinds(resp)}: "
                  f"req {sum(m[2] for m in req)} B, resp {sum(m[2] for m in resp)} B")
            for q in queries + binds:
                print(f"      {q}")
            print(f"      fields {fields}, rows {rows}, tags {tags}"
                  + (f", copy data msgs client/server {copydata}" if any(copydata) else ""))
            for e in errors:
                print(f"      error {e.get('S')} ({e.get('V')}) {e.get('C')}: {e.get('M')}"
                      + (f" / detail: {e['D']}" if "D" in e else "") + (f" / position {e['P']}" if "P" in e else ""))
        if smsgs:
            print(f"  unanswered server messages: {[m[0] for m in smsgs]}")


if __name__ == "__main__":
    main()
