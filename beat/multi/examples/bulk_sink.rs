//! An HTTP endpoint answering Elasticsearch's `_bulk` as a healthy cluster
//! does (every item `201`), for `benches/outputs.sh`: it measures the
//! beat's side of the Elasticsearch output (request building, gzip,
//! response parsing), not Elasticsearch. Prints its port, then serves until
//! killed; keeps connections alive.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    println!("{}", listener.local_addr().expect("bound").port());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || serve(stream));
    }
}

fn serve(stream: std::net::TcpStream) {
    let mut writer = stream.try_clone().expect("a second handle");
    let mut reader = BufReader::new(stream);
    loop {
        let (mut length, mut gzip) = (0usize, false);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            gzip |= header == "content-encoding: gzip";
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if gzip {
            let mut plain = Vec::new();
            if flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .is_err()
            {
                return;
            }
            body = plain;
        }
        let items = memchr_count(&body) / 2;
        let mut answer = String::from("{\"took\":1,\"errors\":false,\"items\":[");
        for i in 0..items {
            if i > 0 {
                answer.push(',');
            }
            answer.push_str("{\"create\":{\"status\":201}}");
        }
        answer.push_str("]}");
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn memchr_count(body: &[u8]) -> usize {
    body.iter().filter(|&&b| b == b'\n').count()
}
