//! The derived echo framing (`StreamBuffer` + `EchoMessage::FRAMING` +
//! `EchoMessage::parse`) against a hand-written memchr line splitter, both on
//! ~1 MB of echo lines pushed in 1460-byte chunks. Target: derived ≥ 0.8× the
//! hand-written throughput.

use std::hint::black_box;

use analyzer_core::stream::{Frame, StreamBuffer};
use analyzer_core::{Direction, Protocol, Timestamp};
use benches::messages::echo_request;
use benches::rng::Rng;
use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use echo::EchoMessage;

/// ~1 MB of echo request lines, 10–200 bytes each.
fn lines() -> Vec<u8> {
    let mut rng = Rng::new(1);
    let mut out = Vec::with_capacity(1 << 20);
    while out.len() < 1 << 20 {
        echo_request(&mut rng, &mut out);
    }
    out
}

/// Derived: what a connection does with each segment's bytes.
fn derived(chunks: &[&[u8]]) -> usize {
    let mut stream = StreamBuffer::new(10 << 20);
    let ts = Timestamp::from_nanos(0);
    let mut messages = 0;
    for chunk in chunks {
        stream.push(ts, chunk);
        while let Some(frame) = stream.next_frame(&EchoMessage::FRAMING, Direction::FromClient) {
            if let Frame::Complete { payload, .. } = frame {
                let msg = EchoMessage::parse(payload, Direction::FromClient);
                black_box(msg.expect("a request line"));
                messages += 1;
            }
        }
    }
    messages
}

/// Hand-written: a `BytesMut`, memchr for `\n` from where the last search
/// stopped, split_to + freeze, check the first byte, slice the content.
fn hand_written(chunks: &[&[u8]]) -> usize {
    let mut buf = BytesMut::new();
    let mut searched = 0;
    let mut messages = 0;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(i) = memchr::memchr(b'\n', &buf[searched..]) {
            let line: Bytes = buf.split_to(searched + i + 1).freeze();
            searched = 0;
            assert_eq!(line.first(), Some(&b'>'));
            black_box(line.slice(1..line.len() - 1));
            messages += 1;
        }
        searched = buf.len();
    }
    messages
}

fn framing(c: &mut Criterion) {
    let data = lines();
    let chunks: Vec<&[u8]> = data.chunks(1460).collect();
    assert_eq!(derived(&chunks), hand_written(&chunks));
    let mut group = c.benchmark_group("framing");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("derived", |b| b.iter(|| derived(black_box(&chunks))));
    group.bench_function("memchr", |b| b.iter(|| hand_written(black_box(&chunks))));
    group.finish();
}

criterion_group!(benches, framing);
criterion_main!(benches);
