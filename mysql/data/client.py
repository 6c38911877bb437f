#!/usr/bin/python3
"""A raw-socket MySQL client that sets CLIENT_DEPRECATE_EOF (see README.md): the mariadb client and
Connector/C do not, so with them every result set ends with EOF packets; with this one the server
ends the column definitions with nothing and the rows with an OK packet (header 0xFE).

Usage: client.py PORT PASSWORD   (user `analyzer`, database `analyzer`, mysql_native_password;
the table `items` must exist with the rows 1, 2, 3). It runs `SELECT id, name, price FROM items
ORDER BY id`, `SELECT * FROM missing_table` (error 1146), `DO 1` (an OK) and quits.
"""
import hashlib
import socket
import struct
import sys

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_DEPRECATE_EOF = 0x1000000
CAPS = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
        | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_DEPRECATE_EOF)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def read_packet(self):
        while len(self.buf) < 4 or len(self.buf) < 4 + int.from_bytes(self.buf[:3], "little"):
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        n = int.from_bytes(self.buf[:3], "little")
        seq, payload = self.buf[3], self.buf[4:4 + n]
        self.buf = self.buf[4 + n:]
        return seq, payload

    def write_packet(self, seq, payload):
        self.sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq]) + payload)

    def query(self, sql):
        """COM_QUERY; returns ('ok'|'err'|'rows', number of rows)."""
        self.write_packet(0, b"\x03" + sql.encode())
        _, first = self.read_packet()
        if first[0] == 0x00:
            return "ok", 0
        if first[0] == 0xFF:
            return "err", struct.unpack("<H", first[1:3])[0]
        columns = first[0]  # < 251 here
        for _ in range(columns):
            self.read_packet()  # column definitions; no EOF after them with CLIENT_DEPRECATE_EOF
        rows = 0
        while True:
            _, packet = self.read_packet()
            if packet[0] == 0xFE and len(packet) < 0xFFFFFF:
                return "rows", rows  # the OK packet that ends the rows
            rows += 1


def scramble(password, salt):
    p1 = hashlib.sha1(password.encode()).digest()
    p2 = hashlib.sha1(p1).digest()
    p3 = hashlib.sha1(salt + p2).digest()
    return bytes(a ^ b for a, b in zip(p1, p3))


def main():
    port, password = int(sys.argv[1]), sys.argv[2]
    conn = Conn(port)
    _, greeting = conn.read_packet()
    assert greeting[0] == 10, greeting
    pos = greeting.index(b"\0", 1) + 1 + 4  # server version, connection id
    salt = greeting[pos:pos + 8]
    pos += 8 + 1 + 2 + 1 + 2 + 2  # filler, capabilities, charset, status, capabilities
    auth_len = greeting[pos]
    pos += 1 + 6 + 4  # auth data length, reserved, MariaDB capabilities
    salt += greeting[pos:pos + max(13, auth_len - 8) - 1]
    response = struct.pack("<IIB23x", CAPS, 16 * 1024 * 1024, 45)  # utf8mb4_general_ci
    response += b"analyzer\0" + bytes([20]) + scramble(password, salt) + b"analyzer\0"
    response += b"mysql_native_password\0"
    conn.write_packet(1, response)
    _, answer = conn.read_packet()
    assert answer[0] == 0x00, answer
    assert conn.query("SELECT id, name, price FROM items ORDER BY id") == ("rows", 3)
    assert conn.query("SELECT * FROM missing_table") == ("err", 1146)
    assert conn.query("DO 1") == ("ok", 0)
    conn.write_packet(0, b"\x01")  # COM_QUIT
    conn.sock.close()


if __name__ == "__main__":
    main()
