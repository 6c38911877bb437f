//! Message bodies: echo lines, Redis RESP2 commands and HTTP/1.1 requests
//! with their replies.

use std::fmt;
use std::str::FromStr;

use crate::rng::Rng;

mod mysql;

/// Bytes an echo line is made of (anything but `\n`).
const TEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_=+/";
/// Bytes Redis keys and values are made of.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Percentage of requests answered with an error.
pub const ERROR_PERCENT: u64 = 5;

/// The application protocol of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppProtocol {
    /// The Packetbeat tutorial's line protocol, port 3030.
    Echo,
    /// Redis RESP2, port 6379.
    Redis,
    /// PostgreSQL, port 5432 (see [`crate::pgsql`]).
    Pgsql,
    /// MySQL, port 3306.
    Mysql,
    /// HTTP/1.1, port 80.
    Http,
}

impl AppProtocol {
    /// The server port.
    pub fn port(self) -> u16 {
        match self {
            AppProtocol::Echo => 3030,
            AppProtocol::Redis => 6379,
            AppProtocol::Pgsql => 5432,
            AppProtocol::Mysql => 3306,
            AppProtocol::Http => 80,
        }
    }

    /// `echo`, `redis` or `http`.
    pub fn name(self) -> &'static str {
        match self {
            AppProtocol::Echo => "echo",
            AppProtocol::Redis => "redis",
            AppProtocol::Pgsql => "pgsql",
            AppProtocol::Mysql => "mysql",
            AppProtocol::Http => "http",
        }
    }

    /// Appends one request to `req` and its reply to `resp`; returns whether
    /// the reply is an error (`!...` for echo, `-ERR ...` for Redis, a
    /// 4xx or 5xx status for HTTP).
    pub fn exchange(self, rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
        match self {
            AppProtocol::Echo => echo_exchange(rng, req, resp),
            AppProtocol::Redis => redis_exchange(rng, req, resp),
            AppProtocol::Pgsql => crate::pgsql::exchange(rng, req, resp),
            AppProtocol::Mysql => mysql::exchange(rng, req, resp),
            AppProtocol::Http => http_exchange(rng, req, resp),
        }
    }

    /// What each connection starts with, flight by flight (from the
    /// client?, bytes), and the transactions it makes: MySQL's handshake
    /// and login; nothing for the others.
    pub fn opening(self, rng: &mut Rng) -> (Vec<(bool, Vec<u8>)>, u64) {
        match self {
            AppProtocol::Mysql => (mysql::opening(rng), 2),
            _ => (Vec::new(), 0),
        }
    }
}

impl FromStr for AppProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "echo" => Ok(AppProtocol::Echo),
            "redis" => Ok(AppProtocol::Redis),
            "pgsql" => Ok(AppProtocol::Pgsql),
            "mysql" => Ok(AppProtocol::Mysql),
            "http" => Ok(AppProtocol::Http),
            other => Err(format!(
                "unknown protocol `{other}` (echo, redis, pgsql, mysql or http)"
            )),
        }
    }
}

impl fmt::Display for AppProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One echo line of 10–200 bytes on the wire: `>` + text + `\n`.
pub fn echo_request(rng: &mut Rng, out: &mut Vec<u8>) {
    let len = rng.between(10, 200);
    out.push(b'>');
    rng.fill_from(out, TEXT, len - 2);
    out.push(b'\n');
}

fn echo_exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
    let start = req.len();
    echo_request(rng, req);
    let error = rng.percent(ERROR_PERCENT);
    // The server repeats the line; an error line starts with `!`.
    resp.push(if error { b'!' } else { b'<' });
    resp.extend_from_slice(&req[start + 1..]);
    error
}

fn bulk(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        bulk(out, arg);
    }
}

const REDIS_ERRORS: &[&str] = &[
    "-ERR wrong number of arguments for command\r\n",
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    "-ERR value is not an integer or out of range\r\n",
];

/// A RESP2 command (an array of bulk strings, about 20–200 bytes) and its
/// reply.
fn redis_exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
    let key = format!("key:{}", rng.range(0, 99_999));
    let key = key.as_bytes();
    let mut value = Vec::new();
    let value_len = rng.between(1, 150);
    rng.fill_from(&mut value, ALNUM, value_len);
    let error = rng.percent(ERROR_PERCENT);
    let mut reply = Vec::new();
    match rng.range(0, 9) {
        0..=2 => {
            command(req, &[b"SET", key, &value]);
            reply.extend_from_slice(b"+OK\r\n");
        }
        3..=5 => {
            command(req, &[b"GET", key]);
            if rng.percent(20) {
                reply.extend_from_slice(b"$-1\r\n");
            } else {
                bulk(&mut reply, &value);
            }
        }
        n => {
            let (name, args): (&[u8], &[&[u8]]) = match n {
                6 => (b"LPUSH", &[key, &value]),
                7 => (b"LLEN", &[key]),
                8 => (b"INCR", &[key]),
                _ => (b"DEL", &[key]),
            };
            let mut all = vec![name];
            all.extend_from_slice(args);
            command(req, &all);
            reply.extend_from_slice(format!(":{}\r\n", rng.range(0, 100_000)).as_bytes());
        }
    }
    if error {
        let text = REDIS_ERRORS[rng.between(0, REDIS_ERRORS.len() - 1)];
        resp.extend_from_slice(text.as_bytes());
    } else {
        resp.extend_from_slice(&reply);
    }
    error
}

const HTTP_ERRORS: &[&str] = &[
    "404 Not Found",
    "500 Internal Server Error",
    "403 Forbidden",
];

/// A small HTTP/1.1 exchange: a GET (with a query string, four times in
/// five) or a POST with a form body of 10-100 bytes, curl-like headers
/// (about 100-200 bytes); a response with a `Content-Length` body of
/// 10-150 bytes (or an error page).
fn http_exchange(rng: &mut Rng, req: &mut Vec<u8>, resp: &mut Vec<u8>) -> bool {
    let id = rng.range(0, 99_999);
    let post = rng.percent(20);
    let mut body = Vec::new();
    if post {
        body.extend_from_slice(b"name=");
        let len = rng.between(5, 95);
        rng.fill_from(&mut body, ALNUM, len);
    }
    let method = if post { "POST" } else { "GET" };
    let query = if !post && rng.percent(80) {
        format!("?page={}&lang=en", rng.range(1, 50))
    } else {
        String::new()
    };
    req.extend_from_slice(
        format!(
            "{method} /api/items/{id}{query} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n"
        )
        .as_bytes(),
    );
    if post {
        req.extend_from_slice(
            format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            )
            .as_bytes(),
        );
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(&body);
    let error = rng.percent(ERROR_PERCENT);
    let (status, content_type, mut content) = if error {
        let status = HTTP_ERRORS[rng.between(0, HTTP_ERRORS.len() - 1)];
        (
            status,
            "text/html",
            format!("<html><body>{status}</body></html>").into_bytes(),
        )
    } else {
        let mut content = Vec::new();
        let len = rng.between(10, 150);
        rng.fill_from(&mut content, ALNUM, len);
        ("200 OK", "text/plain", content)
    };
    resp.extend_from_slice(
        format!(
            "HTTP/1.1 {status}\r\nServer: bench\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            content.len()
        )
        .as_bytes(),
    );
    resp.append(&mut content);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_lines_are_10_to_200_bytes_and_answered_in_kind() {
        let mut rng = Rng::new(3);
        let (mut errors, n) = (0, 2000);
        for _ in 0..n {
            let (mut req, mut resp) = (Vec::new(), Vec::new());
            let error = AppProtocol::Echo.exchange(&mut rng, &mut req, &mut resp);
            assert!((10..=200).contains(&req.len()));
            assert_eq!(
                (req[0], req.iter().filter(|&&b| b == b'\n').count()),
                (b'>', 1)
            );
            assert_eq!(resp[0], if error { b'!' } else { b'<' });
            assert_eq!(&resp[1..], &req[1..]);
            errors += usize::from(error);
        }
        assert!((40..=160).contains(&errors), "{errors} errors in {n}");
    }

    #[test]
    fn redis_commands_are_arrays_of_bulk_strings() {
        let mut rng = Rng::new(4);
        for _ in 0..500 {
            let (mut req, mut resp) = (Vec::new(), Vec::new());
            let error = AppProtocol::Redis.exchange(&mut rng, &mut req, &mut resp);
            assert_eq!(req[0], b'*');
            assert!(req.ends_with(b"\r\n") && resp.ends_with(b"\r\n"));
            assert!((10..=220).contains(&req.len()), "{}", req.len());
            assert_eq!(error, resp[0] == b'-');
            assert!(b"+-:$".contains(&resp[0]));
        }
    }

    #[test]
    fn http_exchanges_read_as_one_request_and_its_response() {
        use analyzer_core::{Direction, Kind, Protocol};
        let mut rng = Rng::new(5);
        for _ in 0..500 {
            let (mut req, mut resp) = (Vec::new(), Vec::new());
            let error = AppProtocol::Http.exchange(&mut rng, &mut req, &mut resp);
            let request = http::HttpMessage::parse_one(req.clone(), Direction::FromClient).unwrap();
            assert_eq!(request.bytes, req.len() as u64);
            assert!((80..=300).contains(&req.len()), "{}", req.len());
            let response =
                http::HttpMessage::parse_one(resp.clone(), Direction::FromServer).unwrap();
            assert_eq!(response.bytes, resp.len() as u64);
            assert_eq!(error, response.kind == Kind::Error);
        }
    }
}
