//! A local endpoint answering as Elasticsearch's `_bulk` API documents it
//! (Elasticsearch cannot be installed on these machines), over plain TCP
//! or TLS: each connection one request, answered as the test says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};

/// A request as the endpoint read it (the body un-gzipped).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bulk body's (action, document) pairs.
    pub fn bulk(&self) -> Vec<(Value, Vec<u8>)> {
        let lines: Vec<&[u8]> = self
            .body
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len() % 2, 0);
        lines
            .chunks(2)
            .map(|pair| (serde_json::from_slice(pair[0]).unwrap(), pair[1].to_vec()))
            .collect()
    }
}

pub type Answer = dyn Fn(usize, &Request) -> (u16, String) + Send + Sync;

/// The endpoint: each connection one request, answered by `answer(n,
/// request)` (`n` counts requests from 0).
pub struct Endpoint {
    pub port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
    _thread: JoinHandle<()>,
}

impl Endpoint {
    /// Over plain TCP.
    pub fn start(answer: Box<Answer>) -> Endpoint {
        Endpoint::serve(None, answer)
    }

    /// Over TLS with `config` (a handshake that fails is no request).
    pub fn start_tls(config: Arc<rustls::ServerConfig>, answer: Box<Answer>) -> Endpoint {
        Endpoint::serve(Some(config), answer)
    }

    fn serve(tls: Option<Arc<rustls::ServerConfig>>, answer: Box<Answer>) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let thread = std::thread::spawn(move || {
            let reply = |stream: &mut dyn ReadWrite| {
                let request = read_request(stream)?;
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(request.clone());
                    log.len() - 1
                };
                let (status, body) = answer(n, &request);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(reply.as_bytes()).ok()?;
                stream.flush().ok()
            };
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                match &tls {
                    None => {
                        reply(&mut stream);
                    }
                    Some(config) => {
                        let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                        let mut tls = rustls::StreamOwned::new(connection, stream);
                        if reply(&mut tls).is_some() {
                            tls.conn.send_close_notify();
                            let _ = tls.flush();
                        }
                    }
                }
            }
        });
        Endpoint {
            port,
            seen,
            _thread: thread,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

/// A byte stream both ways (TCP, or TLS over it).
trait ReadWrite: Read + Write {}

impl<T: Read + Write> ReadWrite for T {}

/// One request (the connection answers one only, so what the buffer reads
/// past it is nothing).
fn read_request(stream: &mut dyn ReadWrite) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let gzipped = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("content-encoding") && v == "gzip");
    if gzipped {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .unwrap();
        body = plain;
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A `_bulk` response: one item per status.
pub fn items(statuses: &[u16]) -> String {
    let items: Vec<Value> = statuses
        .iter()
        .map(|&status| {
            let mut item = json!({"_index": ".ds-beat", "status": status});
            match status {
                400 => {
                    item["error"] = json!({"type": "mapper_parsing_exception", "reason": "failed to parse field [source.port] of type [long]"})
                }
                429 => {
                    item["error"] = json!({"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"})
                }
                503 => {
                    item["error"] = json!({"type": "unavailable_shards_exception", "reason": "primary shard is not active"})
                }
                _ => {}
            }
            json!({ "create": item })
        })
        .collect();
    let errors = statuses.iter().any(|&s| s >= 300);
    json!({"took": 5, "errors": errors, "items": items}).to_string()
}
