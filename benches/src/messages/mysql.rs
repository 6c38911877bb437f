//! MySQL commands and their answers for the workload: short `COM_QUERY`s
//! answered by an OK (`INSERT`, `UPDATE`), a small text result set (`SELECT`:
//! 1–3 columns, 0–4 rows, EOF packets) or an ERR; `COM_PING` and
//! `COM_INIT_DB`. Each connection opens with the server's handshake and the
//! client's login, answered by an OK.

use crate::rng::Rng;

/// Bytes names and values are made of.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Appends a packet: 3-byte length, sequence id, payload.
fn packet(out: &mut Vec<u8>, seq: u8, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes()[..3]);
    out.push(seq);
    out.extend_from_slice(payload);
}

fn lenenc(out: &mut Vec<u8>, s: &[u8]) {
    out.push(s.len() as u8); // < 251 here
    out.extend_from_slice(s);
}

fn ok(affected: u64, insert_id: u64) -> Vec<u8> {
    vec![0, affected as u8, insert_id as u8, 2, 0, 0, 0]
}

const EOF: &[u8] = &[0xfe, 0, 0, 2, 0];

const ERRORS: &[(u16, &str, &str)] = &[
    (1146, "42S02", "Table 'shop.missing' doesn't exist"),
    (1062, "23000", "Duplicate entry '7' for key 'PRIMARY'"),
    (
        1064,
        "42000",
        "You have an error in your SQL syntax near 'FORM items'",
    ),
];

/// Appends one command to `req` and its answer to `resp`; returns whether
/// the answer is an ERR.
pub(super) fn exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
    let id = rng.range(1, 99_999);
    let mut word = Vec::new();
    let len = rng.between(3, 24);
    rng.fill_from(&mut word, ALNUM, len);
    let word = String::from_utf8(word).expect("ASCII");
    let error = rng.percent(super::ERROR_PERCENT);
    let mut answer = Vec::new();
    let query = match rng.range(0, 9) {
        0..=3 => {
            let columns = rng.between(1, 3);
            let rows = rng.between(0, 4);
            packet(&mut answer, 1, &[columns as u8]);
            let mut seq = 2u8;
            for c in 0..columns {
                let mut def = Vec::new();
                for part in [&b"def"[..], b"shop", b"items", b"items"] {
                    lenenc(&mut def, part);
                }
                let name = format!("c{c}");
                lenenc(&mut def, name.as_bytes());
                lenenc(&mut def, name.as_bytes());
                def.extend_from_slice(&[0x0c, 0x21, 0, 0xff, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0]);
                packet(&mut answer, seq, &def);
                seq += 1;
            }
            packet(&mut answer, seq, EOF);
            seq += 1;
            for r in 0..rows {
                let mut row = Vec::new();
                for c in 0..columns {
                    let value = format!("{word}{r}{c}");
                    lenenc(&mut row, value.as_bytes());
                }
                packet(&mut answer, seq, &row);
                seq += 1;
            }
            packet(&mut answer, seq, EOF);
            format!("SELECT id, name, price FROM items WHERE name = '{word}' LIMIT 4")
        }
        4..=6 => {
            packet(&mut answer, 1, &ok(1, id % 250));
            format!("INSERT INTO items (name, price) VALUES ('{word}', {id})")
        }
        7..=8 => {
            packet(&mut answer, 1, &ok(rng.range(0, 5), 0));
            format!("UPDATE items SET price = price + 1 WHERE id = {id}")
        }
        _ => {
            packet(&mut answer, 1, &ok(0, 0));
            if rng.percent(50) {
                packet(req, 0, b"\x0e");
            } else {
                packet(req, 0, &[b"\x02shop_", word.as_bytes()].concat());
            }
            String::new()
        }
    };
    if !query.is_empty() {
        packet(req, 0, &[b"\x03", query.as_bytes()].concat());
    }
    if error {
        let (code, state, message) = ERRORS[rng.between(0, ERRORS.len() - 1)];
        let mut err = vec![0xff];
        err.extend_from_slice(&code.to_le_bytes());
        err.push(b'#');
        err.extend_from_slice(state.as_bytes());
        err.extend_from_slice(message.as_bytes());
        packet(resp, 1, &err);
    } else {
        resp.extend_from_slice(&answer);
    }
    error
}

/// The connection phase: the server's handshake, the client's login, the
/// server's OK (two transactions: the greeting, and the login answered).
pub(super) fn opening(rng: &mut Rng) -> Vec<(bool, Vec<u8>)> {
    let mut greeting = vec![10];
    greeting.extend_from_slice(b"10.11.19-MariaDB\0");
    greeting.extend_from_slice(&(rng.range(1, 1_000_000) as u32).to_le_bytes());
    greeting.extend_from_slice(b"abcdefgh\0\xfe\xf7\x2d\x02\x00\xff\x81\x15");
    greeting.extend_from_slice(&[0; 10]);
    greeting.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
    let mut login = 0x000a_a28du32.to_le_bytes().to_vec();
    login.extend_from_slice(&[0, 0, 0, 1, 45]);
    login.extend_from_slice(&[0; 23]);
    login.extend_from_slice(b"app\0\x14");
    rng.fill_from(&mut login, ALNUM, 20);
    login.extend_from_slice(b"shop\0mysql_native_password\0");
    let mut out = Vec::new();
    for (from_client, seq, payload) in
        [(false, 0, greeting), (true, 1, login), (false, 2, ok(0, 0))]
    {
        let mut bytes = Vec::new();
        packet(&mut bytes, seq, &payload);
        out.push((from_client, bytes));
    }
    out
}
