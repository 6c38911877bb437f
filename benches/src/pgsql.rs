//! PostgreSQL exchanges for the workload generator: each connection's
//! startup (StartupMessage, then AuthenticationOk, parameters, the backend
//! key and ReadyForQuery: no transaction), then small queries, simple
//! (`Q`) and extended (Parse/Bind/Describe/Execute/Sync), answered by a
//! RowDescription and DataRows, a CommandComplete, or an ErrorResponse,
//! each up to its ReadyForQuery.

use crate::messages::ERROR_PERCENT;
use crate::rng::Rng;

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A message: its type, its length counting itself, its body.
fn msg(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(body);
}

fn cstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s);
    out.push(0);
}

/// The client's StartupMessage and the server's answer up to its first
/// ReadyForQuery (trust authentication).
pub fn startup(req: &mut Vec<u8>, resp: &mut Vec<u8>) {
    let mut body = 196_608u32.to_be_bytes().to_vec();
    for s in [&b"user"[..], b"bench", b"database", b"bench", b""] {
        cstr(&mut body, s);
    }
    req.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    req.extend_from_slice(&body);
    msg(resp, b'R', &0u32.to_be_bytes());
    for (name, value) in [
        (&b"server_version"[..], &b"15.18"[..]),
        (b"client_encoding", b"UTF8"),
        (b"DateStyle", b"ISO, MDY"),
    ] {
        let mut body = Vec::new();
        cstr(&mut body, name);
        cstr(&mut body, value);
        msg(resp, b'S', &body);
    }
    msg(resp, b'K', &[0, 0, 0x30, 0x39, 1, 2, 3, 4]);
    msg(resp, b'Z', b"I");
}

fn row_description(out: &mut Vec<u8>, names: &[&[u8]]) {
    let mut body = (names.len() as u16).to_be_bytes().to_vec();
    for name in names {
        cstr(&mut body, name);
        body.extend_from_slice(&[
            0, 0, 0x40, 0, 0, 1, 0, 0, 0, 25, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0,
        ]);
    }
    msg(out, b'T', &body);
}

fn data_row(out: &mut Vec<u8>, values: &[&[u8]]) {
    let mut body = (values.len() as u16).to_be_bytes().to_vec();
    for v in values {
        body.extend_from_slice(&(v.len() as u32).to_be_bytes());
        body.extend_from_slice(v);
    }
    msg(out, b'D', &body);
}

fn complete(out: &mut Vec<u8>, tag: &[u8]) {
    let mut body = Vec::new();
    cstr(&mut body, tag);
    msg(out, b'C', &body);
}

fn error(out: &mut Vec<u8>) {
    msg(
        out,
        b'E',
        b"SERROR\0VERROR\0C42P01\0Mrelation \"missing\" does not exist\0P15\0\0",
    );
}

/// One request (a simple query, or an extended one up to its Sync) and its
/// answer up to ReadyForQuery; returns whether the answer is an error.
pub fn exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
    let id = rng.range(1, 99_999).to_string();
    let mut name = Vec::new();
    let name_len = rng.between(3, 60);
    rng.fill_from(&mut name, ALNUM, name_len);
    let failed = rng.percent(ERROR_PERCENT);
    let select = rng.percent(60);
    let query = if select {
        format!("SELECT id, name FROM items WHERE id = {id}")
    } else {
        format!(
            "UPDATE items SET name = '{}' WHERE id = {id}",
            String::from_utf8_lossy(&name)
        )
    };
    if rng.percent(20) {
        // Extended: Parse, Bind, Describe, Execute, Sync in one flight.
        let mut body = Vec::new();
        cstr(&mut body, b"");
        cstr(&mut body, query.as_bytes());
        body.extend_from_slice(&0u16.to_be_bytes());
        msg(req, b'P', &body);
        msg(req, b'B', b"\0\0\0\0\0\0\0\0");
        msg(req, b'D', b"P\0");
        msg(req, b'E', b"\0\0\0\0\0");
        msg(req, b'S', b"");
        msg(resp, b'1', b"");
        msg(resp, b'2', b"");
        if failed {
            error(resp);
        } else if select {
            row_description(resp, &[b"id", b"name"]);
            data_row(resp, &[id.as_bytes(), &name]);
            complete(resp, b"SELECT 1");
        } else {
            msg(resp, b'n', b"");
            complete(resp, b"UPDATE 1");
        }
    } else {
        let mut body = Vec::new();
        cstr(&mut body, query.as_bytes());
        msg(req, b'Q', &body);
        if failed {
            error(resp);
        } else if select {
            row_description(resp, &[b"id", b"name"]);
            data_row(resp, &[id.as_bytes(), &name]);
            complete(resp, b"SELECT 1");
        } else {
            complete(resp, b"UPDATE 1");
        }
    }
    msg(resp, b'Z', b"I");
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer_core::{Direction, FrameLen};

    /// Cuts `bytes` into messages with the analyzer's framer.
    fn types(bytes: &[u8], direction: Direction) -> Vec<u8> {
        let session = pgsql::Session::default();
        let mut at = 0;
        let mut out = Vec::new();
        while at < bytes.len() {
            match pgsql::frame(&bytes[at..], direction, &session) {
                FrameLen::Complete(n) => {
                    out.push(bytes[at]);
                    at += n;
                }
                other => panic!("{other:?} at {at}"),
            }
        }
        out
    }

    #[test]
    fn exchanges_are_whole_messages_ending_with_ready_for_query() {
        let mut rng = Rng::new(5);
        let mut errors = 0;
        for _ in 0..1000 {
            let (mut req, mut resp) = (Vec::new(), Vec::new());
            let failed = exchange(&mut rng, &mut req, &mut resp);
            let client = types(&req, Direction::FromClient);
            assert!(client == b"Q" || client == b"PBDES", "{client:?}");
            let server = types(&resp, Direction::FromServer);
            assert_eq!(server.last(), Some(&b'Z'));
            assert_eq!(failed, server.contains(&b'E'));
            errors += usize::from(failed);
        }
        assert!((20..=80).contains(&errors), "{errors} errors");
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        startup(&mut req, &mut resp);
        assert_eq!(req[0], 0);
        assert_eq!(types(&resp, Direction::FromServer), b"RSSSKZ");
    }
}
