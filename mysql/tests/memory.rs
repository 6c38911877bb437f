//! A long result set costs constant memory: its rows are counted as they
//! are folded, never kept. One test per binary (a counting allocator
//! measures the heap's peak).

mod common;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Engine, Event, Timestamp};
use common::*;
use integration_tests::PeakAlloc;
use mysql::MysqlMessage;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc::new();

/// Streams a `SELECT` answered by `rows` rows of two columns (about 20
/// bytes each) in 16 KiB segments, built as they are sent; returns the
/// heap's peak above what it held before, and the event's row count.
fn long_result(rows: u64) -> (usize, u64, u64) {
    let mut head = Conn::new(true);
    head.client(&packet(0, b"\x03SELECT id, label FROM big"))
        .server(&packets(
            1,
            &[b"\x02", &column("id"), &column("label"), &eof(2)],
        ));
    let mut num_rows = 0;
    let mut answer_bytes = 0;
    let base = HEAP.start();
    {
        let mut engine = Engine::new(Config::default(), |e: Event<MysqlMessage>| {
            let v = serde_json::to_value(&e).unwrap();
            num_rows = v["mysql"]["num_rows"].as_u64().unwrap();
            answer_bytes = v["destination"]["bytes"].as_u64().unwrap();
        });
        let mut ms = 0i64;
        let mut send = |engine: &mut Engine<_, _>, data: &[u8]| {
            engine.packet(Timestamp::from_nanos(ms * 1_000), LinkType::RawIp, data);
            ms += 1;
        };
        for (_, data) in &head.packets {
            send(&mut engine, data);
        }
        // The rows, from the server's sequence number after the header.
        let mut tail = Conn::new(false);
        tail.skip_to(&head);
        let mut segment = Vec::with_capacity(16 * 1024 + 64);
        let mut seq = 5u8;
        for i in 0..rows {
            let row = [
                lenenc(i.to_string().as_bytes()),
                lenenc(format!("row {i}").as_bytes()),
            ]
            .concat();
            segment.extend(packet(seq, &row));
            seq = seq.wrapping_add(1);
            if segment.len() >= 16 * 1024 {
                tail.packets.clear();
                tail.server(&segment);
                send(&mut engine, &tail.packets[0].1);
                segment.clear();
            }
        }
        segment.extend(packet(seq, &eof(2)));
        tail.packets.clear();
        tail.server(&segment).close();
        for (_, data) in &tail.packets {
            send(&mut engine, data);
        }
        engine.finish();
        assert_eq!(engine.counters().check_accounting(), Ok(()));
    }
    let peak = HEAP.peak_above(base);
    (peak, num_rows, answer_bytes)
}

#[test]
fn a_long_result_costs_constant_memory() {
    let (small_peak, small_rows, _) = long_result(10_000);
    assert_eq!(small_rows, 10_000);
    let (peak, rows, bytes) = long_result(400_000);
    eprintln!("heap peak: {small_peak} bytes for 10,000 rows, {peak} for 400,000");
    assert_eq!(rows, 400_000);
    assert!(bytes > 7_000_000, "{bytes} bytes of answer");
    // 7 MB of rows, and the heap's peak is what 10,000 rows need (the
    // engine's buffers and one segment), give or take a few KiB.
    assert!(
        peak <= small_peak + 64 * 1024 && peak < 256 * 1024,
        "peak {peak} bytes for 400,000 rows, {small_peak} for 10,000"
    );
}
