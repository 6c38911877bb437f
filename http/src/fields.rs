//! An HTTP transaction's event fields, as Packetbeat 8 names them:
//! `http.*`, `url.*`, `user_agent.original`, and the top-level `method`
//! and `query`.

use std::borrow::Cow;

use analyzer_core::{Description, JsonFields, JsonKey};
use bytes::Bytes;

use crate::{words, HttpMessage};

const HTTP: JsonKey = JsonKey::new("http");
const VERSION: JsonKey = JsonKey::new("version");
const REQUEST: JsonKey = JsonKey::new("request");
const RESPONSE: JsonKey = JsonKey::new("response");
const METHOD: JsonKey = JsonKey::new("method");
const BYTES: JsonKey = JsonKey::new("bytes");
const BODY: JsonKey = JsonKey::new("body");
const CONTENT: JsonKey = JsonKey::new("content");
const MIME_TYPE: JsonKey = JsonKey::new("mime_type");
const HEADERS: JsonKey = JsonKey::new("headers");
const STATUS_CODE: JsonKey = JsonKey::new("status_code");
const STATUS_PHRASE: JsonKey = JsonKey::new("status_phrase");
const URL: JsonKey = JsonKey::new("url");
const SCHEME: JsonKey = JsonKey::new("scheme");
const FULL: JsonKey = JsonKey::new("full");
const DOMAIN: JsonKey = JsonKey::new("domain");
const PORT: JsonKey = JsonKey::new("port");
const PATH: JsonKey = JsonKey::new("path");
const QUERY: JsonKey = JsonKey::new("query");
const USER_AGENT: JsonKey = JsonKey::new("user_agent");
const ORIGINAL: JsonKey = JsonKey::new("original");

/// `method` and `query` (`GET /path`, without the query string).
pub(crate) fn describe(request: &HttpMessage) -> Description<'_> {
    let method = request.method();
    if method.is_empty() {
        return Description::default();
    }
    let url = Url::of(request, false);
    let path = url.path.unwrap_or(request.target());
    let query = if url.origin {
        // The path follows the method and a space in the head: borrowed.
        let start = request.spans.method.0 as usize;
        let end = request.spans.target.0 as usize + path.len();
        text(&request.head[start..end])
    } else {
        let (method, path) = (text(method), text(path));
        let mut query = String::with_capacity(method.len() + 1 + path.len());
        query.push_str(&method);
        query.push(' ');
        query.push_str(&path);
        Cow::Owned(query)
    };
    Description::method(text(method)).with_query(query)
}

/// `bytes` as text, as `String::from_utf8_lossy` makes it (valid UTF-8,
/// the usual case, checked a word at a time).
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Writes `http`, `url` and `user_agent`.
pub(crate) fn write(
    request: Option<&HttpMessage>,
    response: Option<&HttpMessage>,
    out: &mut JsonFields<'_>,
) {
    let Some(first) = request.or(response) else {
        return;
    };
    out.object(HTTP);
    let v = first.version;
    if v.major < 10 && v.minor < 10 && (v.major, v.minor) != (0, 0) {
        out.text(VERSION, &[b'0' + v.major, b'.', b'0' + v.minor]);
    }
    if let Some(request) = request {
        out.object(REQUEST);
        if !request.method().is_empty() {
            out.text(METHOD, request.method());
        }
        message(request, out);
        out.end();
    }
    if let Some(response) = response {
        out.object(RESPONSE);
        if response.status_code != 0 {
            out.u64(STATUS_CODE, u64::from(response.status_code));
        }
        let phrase = response.status_phrase();
        if !phrase.is_empty() {
            // In lower case, as Packetbeat: on the stack for the usual
            // short phrases.
            let mut lower = [0u8; 64];
            match lower.get_mut(..phrase.len()) {
                Some(lower) => {
                    lower.copy_from_slice(phrase);
                    lower.make_ascii_lowercase();
                    out.text(STATUS_PHRASE, lower);
                }
                None => out.text(STATUS_PHRASE, &phrase.to_ascii_lowercase()),
            }
        }
        message(response, out);
        out.end();
    }
    out.end();
    let Some(request) = request.filter(|r| !r.method().is_empty()) else {
        return;
    };
    url(request, out);
    let agent = request.user_agent();
    if !agent.is_empty() {
        out.object(USER_AGENT);
        out.text(ORIGINAL, agent);
        out.end();
    }
}

/// `bytes`, `body.bytes`, `body.content`, `mime_type`, `headers`.
fn message(message: &HttpMessage, out: &mut JsonFields<'_>) {
    out.u64(BYTES, message.bytes);
    out.object(BODY);
    out.u64(BYTES, message.body_bytes);
    if let Some(body) = message.body() {
        out.text(CONTENT, body);
    }
    out.end();
    let mime = message.mime_type();
    if !mime.is_empty() {
        out.text(MIME_TYPE, mime);
    }
    if message
        .extra
        .as_ref()
        .is_some_and(|e| !e.headers.is_empty())
    {
        out.object(HEADERS);
        let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, value) in message.headers() {
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            match seen.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => {
                    values.extend_from_slice(b", ");
                    values.extend_from_slice(value);
                }
                None => seen.push((name, value.to_vec())),
            }
        }
        for (name, value) in seen {
            out.field_named(&name, &Bytes::from(value));
        }
        out.end();
    }
}

/// `url.*` of a request.
fn url(request: &HttpMessage, out: &mut JsonFields<'_>) {
    let url = Url::of(request, true);
    out.object(URL);
    out.str(SCHEME, "http");
    let port = url.port.filter(|&p| p != 80);
    if let Some(domain) = url.domain {
        // `http://domain[:port]path[?query]`, `[domain]` for an IPv6
        // address.
        let mut full = Joined::default();
        full.push(b"http://");
        if domain.contains(&b':') {
            full.push(b"[");
            full.push(domain);
            full.push(b"]");
        } else {
            full.push(domain);
        }
        if let Some(port) = port {
            full.push(b":");
            full.push(decimal(port, &mut [0; 5]));
        }
        if url.origin {
            // `path[?query]` as sent.
            full.push(request.target());
        } else {
            full.push(url.path.unwrap_or_default());
            if let Some(query) = url.query {
                full.push(b"?");
                full.push(query);
            }
        }
        out.text(FULL, full.as_slice());
        out.text(DOMAIN, domain);
    }
    if let Some(port) = port {
        out.u64(PORT, u64::from(port));
    }
    if let Some(path) = url.path {
        out.text(PATH, path);
    }
    if let Some(query) = url.query {
        out.text(QUERY, query);
    }
    out.end();
}

/// `n` in decimal, in `digits`.
fn decimal(mut n: u16, digits: &mut [u8; 5]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[at..];
        }
    }
}

/// Bytes put one after the other: on the stack while they are few.
struct Joined {
    stack: [u8; 256],
    len: usize,
    spilled: Vec<u8>,
}

impl Default for Joined {
    fn default() -> Self {
        Joined {
            stack: [0; 256],
            len: 0,
            spilled: Vec::new(),
        }
    }
}

impl Joined {
    fn push(&mut self, part: &[u8]) {
        match self.stack.get_mut(self.len..self.len + part.len()) {
            Some(room) if self.spilled.is_empty() => {
                room.copy_from_slice(part);
                self.len += part.len();
            }
            _ => {
                if self.spilled.is_empty() {
                    self.spilled.extend_from_slice(&self.stack[..self.len]);
                }
                self.spilled.extend_from_slice(part);
            }
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self.spilled.is_empty() {
            true => &self.stack[..self.len],
            false => &self.spilled,
        }
    }
}

/// A request's URL, from its target and `Host`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Url<'a> {
    domain: Option<&'a [u8]>,
    port: Option<u16>,
    path: Option<&'a [u8]>,
    query: Option<&'a [u8]>,
    /// The target is in origin form (`/path?query`) or `*`: the path is
    /// where the target starts.
    origin: bool,
}

impl<'a> Url<'a> {
    /// The URL of `request`; without its domain and port unless
    /// `authority` (the top-level `query` needs the path only).
    fn of(request: &'a HttpMessage, authority: bool) -> Self {
        let target = request.target();
        let mut url = Url {
            origin: target.starts_with(b"/") || target == b"*",
            ..Url::default()
        };
        let (host, path_and_query) = if url.origin {
            (request.host(), Some(target))
        } else if let Some(rest) = strip_scheme(target) {
            // absolute-form: http://host:port/path?query
            let end = rest
                .iter()
                .position(|b| matches!(b, b'/' | b'?'))
                .unwrap_or(rest.len());
            (&rest[..end], Some(&rest[end..]))
        } else {
            // authority-form (CONNECT host:port)
            (target, None)
        };
        if authority && !host.is_empty() {
            let (domain, port) = split_host(host);
            url.domain = Some(domain);
            url.port = port;
        }
        if let Some(pq) = path_and_query {
            let (path, query) = match words::find(pq, b'?') {
                Some(q) => (&pq[..q], Some(&pq[q + 1..])),
                None => (pq, None),
            };
            url.path = Some(if path.is_empty() { b"/" } else { path });
            url.query = query;
        }
        url
    }
}

/// The target without `http://` (any case), if it starts so.
fn strip_scheme(target: &[u8]) -> Option<&[u8]> {
    const SCHEMES: [&[u8]; 2] = [b"http://", b"https://"];
    SCHEMES.iter().find_map(|s| {
        (target.len() >= s.len() && target[..s.len()].eq_ignore_ascii_case(s))
            .then(|| &target[s.len()..])
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` into the domain and the port.
fn split_host(authority: &[u8]) -> (&[u8], Option<u16>) {
    let port_of = |text: &[u8]| -> Option<u16> { std::str::from_utf8(text).ok()?.parse().ok() };
    if let Some(rest) = authority.strip_prefix(b"[") {
        let Some(close) = memchr::memchr(b']', rest) else {
            return (authority, None);
        };
        let port = rest[close + 1..].strip_prefix(b":").and_then(port_of);
        return (&rest[..close], port);
    }
    if words::find(authority, b':').is_none() {
        return (authority, None); // the usual host name
    }
    match memchr::memrchr(b':', authority) {
        Some(colon) if !authority[..colon].contains(&b':') => {
            (&authority[..colon], port_of(&authority[colon + 1..]))
        }
        _ => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_into_domain_and_port() {
        assert_eq!(
            split_host(b"127.0.0.1:8080"),
            (&b"127.0.0.1"[..], Some(8080))
        );
        assert_eq!(split_host(b"[::1]"), (&b"::1"[..], None));
        assert_eq!(split_host(b"[::1]:80"), (&b"::1"[..], Some(80)));
        assert_eq!(split_host(b"example.com"), (&b"example.com"[..], None));
        assert_eq!(split_host(b"::1"), (&b"::1"[..], None));
        assert_eq!(split_host(b"[::1"), (&b"[::1"[..], None));
    }
}
