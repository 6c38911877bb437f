#!/usr/bin/python3
"""Lists the MySQL packets and transactions of a capture, as README.md tabulates them (a
cross-check, not the analyzer): tshark puts each connection's bytes back together
(`-z follow,tcp,raw,N`), and this script splits them into packets (3-byte length, sequence id).

Usage: transactions.py FILE.pcap
Per connection: the server's handshake, the login and its answer (and whether the client set
CLIENT_DEPRECATE_EOF), then one line per command: its answer (OK with affected rows / insert id /
info, ERR with code / SQLSTATE / message, a result set with its column and row counts and its
terminators, a COM_STMT_PREPARE answer) and the bytes each way.
"""
import struct
import subprocess
import sys

COMMANDS = {0x01: "COM_QUIT", 0x02: "COM_INIT_DB", 0x03: "COM_QUERY", 0x0E: "COM_PING",
            0x16: "COM_STMT_PREPARE", 0x17: "COM_STMT_EXECUTE", 0x19: "COM_STMT_CLOSE",
            0x1A: "COM_STMT_RESET"}
NO_ANSWER = {0x01, 0x19}


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


def packets(buf):
    out, pos = [], 0
    while pos + 4 <= len(buf):
        n = int.from_bytes(buf[pos:pos + 3], "little")
        out.append((buf[pos + 3], buf[pos + 4:pos + 4 + n], 4 + n))
        pos += 4 + n
    return out


def lenenc(b, pos):
    first = b[pos]
    if first < 0xFB:
        return first, pos + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(b[pos + 1:pos + 1 + size], "little"), pos + 1 + size


SESSION_TRACK = False  # the client's CLIENT_SESSION_TRACK: info is then a length-encoded string


def ok_packet(p):
    affected, pos = lenenc(p, 1)
    insert_id, pos = lenenc(p, pos)
    status, warnings = struct.unpack("<HH", p[pos:pos + 4])
    pos += 4
    if SESSION_TRACK and pos < len(p):
        length, pos = lenenc(p, pos)
        info = p[pos:pos + length].decode(errors="replace")
        tracked = " + session state changes" if status & 0x4000 else ""
    else:
        info, tracked = p[pos:].decode(errors="replace"), ""
    return f"OK affected_rows={affected} insert_id={insert_id} status=0x{status:04x} warnings={warnings}" + (
        f" info={info!r}" if info else "") + tracked


def err_packet(p):
    code = struct.unpack("<H", p[1:3])[0]
    state = p[4:9].decode() if p[3:4] == b"#" else ""
    msg = p[9:].decode(errors="replace") if state else p[3:].decode(errors="replace")
    return f"ERR {code} ({state}) {msg!r}"


def main():
    for n, nodes, client, server in streams(sys.argv[1]):
        print(f"connection {n}: {nodes[0]} -> {nodes[1]}: client {len(client)} bytes, server {len(server)} bytes")
        cp, sp = packets(client), packets(server)
        _, greeting, gsize = sp.pop(0)
        version = greeting[1:greeting.index(b"\0", 1)].decode()
        print(f"  server handshake: protocol {greeting[0]}, version {version} ({gsize} bytes)")
        _, login, lsize = cp.pop(0)
        caps = struct.unpack("<I", login[:4])[0]
        user = login[32:login.index(b"\0", 32)].decode()
        deprecate_eof = bool(caps & 0x1000000)
        global SESSION_TRACK
        SESSION_TRACK = bool(caps & 0x800000)
        # MariaDB's extended capabilities (the last 4 of the 23 reserved bytes): MARIADB_CLIENT_CACHE_METADATA
        cache_metadata = bool(struct.unpack("<I", login[28:32])[0] & 0x10)
        print(f"  login: user {user!r} ({lsize} bytes), CLIENT_DEPRECATE_EOF {'set' if deprecate_eof else 'not set'},"
              f" CLIENT_SSL {'set' if caps & 0x800 else 'not set'},"
              f" CLIENT_SESSION_TRACK {'set' if SESSION_TRACK else 'not set'},"
              f" MARIADB_CLIENT_CACHE_METADATA {'set' if cache_metadata else 'not set'}")
        _, answer, asize = sp.pop(0)
        print(f"  login answer: {ok_packet(answer) if answer[0] == 0 else err_packet(answer)} ({asize} bytes)")
        t = 0
        while cp:
            seq, req, rsize = cp.pop(0)
            cmd = req[0]
            t += 1
            name = COMMANDS.get(cmd, hex(cmd))
            arg = ""
            if cmd in (0x02, 0x03, 0x16):
                arg = repr(req[1:].decode(errors="replace"))
            elif cmd in (0x17, 0x19):
                arg = f"statement {struct.unpack('<I', req[1:5])[0]}"
            if cmd == 0x1A:
                name = "COM_STMT_RESET"
            if cmd in NO_ANSWER:
                print(f"  #{t} {name} {arg} ({rsize} bytes): no answer")
                continue
            first_seq, first, size = sp.pop(0)
            resp_bytes = size
            if first[0] == 0x00 and cmd == 0x16:
                stmt, cols, params = struct.unpack("<IHH", first[1:9])
                extra = params + cols + (0 if deprecate_eof else (params > 0) + (cols > 0))
                for _ in range(extra):
                    resp_bytes += sp.pop(0)[2]
                desc = f"PREPARE_OK statement {stmt}, {cols} columns, {params} params ({extra} more packets)"
            elif first[0] == 0x00:
                desc = ok_packet(first)
            elif first[0] == 0xFF:
                desc = err_packet(first)
            else:
                cols, pos = lenenc(first, 0)
                # MariaDB: with MARIADB_CLIENT_CACHE_METADATA a COM_STMT_EXECUTE result says whether
                # the column definitions follow (1) or are the cached ones of the PREPARE (0).
                metadata = not (cache_metadata and cmd == 0x17) or first[pos] == 1
                terms = []
                if metadata:
                    for _ in range(cols):
                        resp_bytes += sp.pop(0)[2]
                else:
                    terms.append("(no column definitions: cached metadata)")
                if not deprecate_eof:  # the EOF after the column definitions, sent even when they are not
                    _, eof, size = sp.pop(0)
                    resp_bytes += size
                    terms.append("EOF")
                rows = 0
                while True:
                    _, p, size = sp.pop(0)
                    resp_bytes += size
                    if p[0] == 0xFE and deprecate_eof and len(p) < 0xFFFFFF:
                        terms.append("OK(0xFE) " + ok_packet(p).removeprefix("OK "))
                        break
                    if p[0] == 0xFE and len(p) < 9:
                        terms.append("EOF")
                        break
                    if p[0] == 0xFF:
                        terms.append(err_packet(p))
                        break
                    rows += 1
                desc = f"result set: {cols} columns, {rows} rows, terminators {' + '.join(terms)}"
            print(f"  #{t} {name} {arg}: req {rsize} B, resp {resp_bytes} B: {desc}")
        if sp:
            print(f"  {len(sp)} server packets left over")


if __name__ == "__main__":
    main()
