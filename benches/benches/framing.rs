//! The derived echo framing (`StreamBuffer` + `EchoMessage::FRAMING` +
//! `EchoMessage::parse`) against a hand-written memchr line splitter, both on
//! ~1 MB of echo lines pushed in 1460-byte chunks. Target: derived ≥ 0.8× the
//! hand-written throughput. `cargo run --release -p benches --example
//! framing_ratio` measures the same two loops interleaved (steadier on a
//! loaded machine).

use std::hint::black_box;

use benches::framing::{derived, hand_written, lines};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

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
