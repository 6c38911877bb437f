//! `output.redis`: events pushed on a list (`RPUSH key event...`, one
//! command a batch) or published on a channel (`PUBLISH key event`,
//! pipelined), as Packetbeat's Redis output does, through a small RESP
//! client of its own.
//!
//! A lost connection, a refused connect or a transient error reply
//! (`LOADING`, `OOM`, `BUSY`, `READONLY`, `MASTERDOWN`, `TRYAGAIN`) sends the
//! batch again on a new connection (at least once: a batch the server took
//! just before the connection broke is pushed twice). `WRONGTYPE` (the key
//! holds something else than a list) refuses the events for good.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::delivery::{Batch, Deliver, Outcome, SendError};
use crate::secret::Secret;

use super::settings::{RedisDatatype, RedisSettings};

/// A Redis output worker.
pub struct Redis {
    hosts: Vec<String>,
    key: String,
    datatype: RedisDatatype,
    db: u32,
    password: Option<Secret>,
    timeout: Duration,
    /// The host to try first (the next one after a failure).
    next: usize,
    conn: Option<Conn>,
}

struct Conn {
    host: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// A reply: `+OK`, `-ERR ...`, `:12`; other kinds are read as text.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Status(String),
    Error(String),
    Integer(i64),
}

impl Redis {
    /// A worker for `settings`; `beat` is the default key; worker `index`
    /// starts with host `index` (workers spread over the hosts).
    pub fn new(settings: &RedisSettings, beat: &str, index: usize) -> Redis {
        Redis {
            hosts: settings.hosts.clone(),
            key: settings.key.clone().unwrap_or_else(|| beat.to_string()),
            datatype: settings.datatype,
            db: settings.db,
            password: settings.password.clone(),
            timeout: settings.timeout.0,
            next: index,
            conn: None,
        }
    }

    fn connect(&mut self) -> Result<Conn, String> {
        if self.hosts.is_empty() {
            return Err("no host configured".into());
        }
        let mut errors = Vec::new();
        for _ in 0..self.hosts.len() {
            let host = self.hosts[self.next % self.hosts.len()].clone();
            self.next = self.next.wrapping_add(1);
            match self.connect_to(&host) {
                Ok(conn) => {
                    // Stay on this host next time.
                    self.next = self.next.wrapping_sub(1);
                    return Ok(conn);
                }
                Err(err) => errors.push(format!("{host}: {err}")),
            }
        }
        Err(errors.join("; "))
    }

    fn connect_to(&self, host: &str) -> Result<Conn, String> {
        let addresses = host
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve: {e}"))?;
        let mut last = String::from("no address");
        for address in addresses {
            match TcpStream::connect_timeout(&address, self.timeout) {
                Ok(stream) => {
                    let setup = || -> io::Result<Conn> {
                        stream.set_read_timeout(Some(self.timeout))?;
                        stream.set_write_timeout(Some(self.timeout))?;
                        stream.set_nodelay(true)?;
                        Ok(Conn {
                            host: host.to_string(),
                            reader: BufReader::new(stream.try_clone()?),
                            writer: stream,
                        })
                    };
                    let mut conn = setup().map_err(|e| e.to_string())?;
                    self.handshake(&mut conn)?;
                    return Ok(conn);
                }
                Err(err) => last = format!("cannot connect: {err}"),
            }
        }
        Err(last)
    }

    /// `AUTH` and `SELECT`.
    fn handshake(&self, conn: &mut Conn) -> Result<(), String> {
        if let Some(password) = &self.password {
            let mut command = Vec::new();
            encode(&mut command, &[b"AUTH", password.expose().as_bytes()]);
            match conn.call(&command).map_err(|e| e.to_string())? {
                Reply::Status(_) => {}
                // The server's message names no password.
                other => return Err(format!("AUTH refused: {}", text(&other))),
            }
        }
        if self.db != 0 {
            let mut command = Vec::new();
            encode(&mut command, &[b"SELECT", self.db.to_string().as_bytes()]);
            match conn.call(&command).map_err(|e| e.to_string())? {
                Reply::Status(_) => {}
                other => return Err(format!("SELECT {} refused: {}", self.db, text(&other))),
            }
        }
        Ok(())
    }

    fn push(&self, conn: &mut Conn, batch: &Batch, todo: &[usize]) -> io::Result<Vec<Outcome>> {
        let mut command = Vec::with_capacity(batch.data.len() + 32 * todo.len() + 64);
        match self.datatype {
            RedisDatatype::List => {
                let mut args: Vec<&[u8]> = Vec::with_capacity(todo.len() + 2);
                args.push(b"RPUSH");
                args.push(self.key.as_bytes());
                args.extend(todo.iter().map(|&i| batch.event(i)));
                encode(&mut command, &args);
                conn.writer.write_all(&command)?;
                let outcome = outcome(conn.read_reply()?);
                Ok(vec![outcome; todo.len()])
            }
            RedisDatatype::Channel => {
                for &i in todo {
                    encode(
                        &mut command,
                        &[b"PUBLISH", self.key.as_bytes(), batch.event(i)],
                    );
                }
                conn.writer.write_all(&command)?;
                todo.iter()
                    .map(|_| Ok(outcome(conn.read_reply()?)))
                    .collect()
            }
        }
    }
}

fn text(reply: &Reply) -> String {
    match reply {
        Reply::Status(s) | Reply::Error(s) => s.clone(),
        Reply::Integer(n) => n.to_string(),
    }
}

/// What a reply to `RPUSH` or `PUBLISH` says of its events.
fn outcome(reply: Reply) -> Outcome {
    match reply {
        Reply::Integer(_) | Reply::Status(_) => Outcome::Acked,
        Reply::Error(message) => {
            let transient = [
                "LOADING",
                "OOM",
                "BUSY",
                "READONLY",
                "MASTERDOWN",
                "TRYAGAIN",
            ];
            let word = message.split(' ').next().unwrap_or("");
            if transient.contains(&word) {
                Outcome::Retry(format!("redis: {message}"))
            } else {
                Outcome::Failed(format!("redis: {message}"))
            }
        }
    }
}

/// Appends a RESP array of bulk strings: a command.
fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

impl Conn {
    fn call(&mut self, command: &[u8]) -> io::Result<Reply> {
        self.writer.write_all(command)?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\r\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' => Ok(Reply::Status(body)),
            b'-' => Ok(Reply::Error(body)),
            b':' => body
                .parse()
                .map(Reply::Integer)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad integer reply")),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unexpected reply",
            )),
        }
    }
}

impl Deliver for Redis {
    fn send(&mut self, batch: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError> {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self
                .connect()
                .map_err(|e| SendError::Retry(format!("redis: {e}")))?,
        };
        match self.push(&mut conn, batch, todo) {
            Ok(outcomes) => {
                self.conn = Some(conn);
                Ok(outcomes)
            }
            Err(err) => Err(SendError::Retry(format!("redis {}: {err}", conn.host))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_resp_arrays() {
        let mut out = Vec::new();
        encode(&mut out, &[b"RPUSH", b"k", b"{\"a\":1}"]);
        assert_eq!(out, b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$7\r\n{\"a\":1}\r\n");
    }

    #[test]
    fn error_replies_are_transient_or_final() {
        assert_eq!(outcome(Reply::Integer(3)), Outcome::Acked);
        assert!(matches!(
            outcome(Reply::Error("LOADING Redis is loading".into())),
            Outcome::Retry(_)
        ));
        assert!(matches!(
            outcome(Reply::Error("WRONGTYPE Operation against a key".into())),
            Outcome::Failed(_)
        ));
    }
}
