//! A long result is one transaction at constant memory: the analyzer's
//! peak heap is the same for 20,000 rows as for 400,000 (never the rows),
//! measured by a counting allocator. (One test in this binary: the counts
//! are process-wide.)

mod common;

use analyzer_core::{Config, Engine, Event};
use common::tcp::{complete, query, ready, row, row_description, Conn};
use integration_tests::PeakAlloc;
use pgsql::PgsqlMessage;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc::new();

/// Analyzes one `SELECT` answered by `rows` rows in 8 KiB segments (rows
/// straddling them); returns the event's `pgsql` fields and the peak heap
/// above what was live before.
fn peak_for(rows: usize) -> (serde_json::Value, usize) {
    let mut event = None;
    let before = HEAP.start();
    {
        let mut engine = Engine::new(Config::default(), |e: Event<PgsqlMessage>| {
            event = Some(serde_json::to_value(&e).unwrap());
        });
        let mut conn = Conn::new(&mut engine);
        conn.client(&query("SELECT id, label FROM big"));
        let mut pending = row_description(2);
        for i in 0..rows {
            pending.extend_from_slice(&row(&[&i.to_string(), &format!("row {i}")]));
            if pending.len() >= 8192 {
                conn.server(&pending[..8192]);
                pending.drain(..8192);
            }
        }
        pending.extend_from_slice(&complete(&format!("SELECT {rows}")));
        pending.extend_from_slice(&ready());
        conn.server(&pending);
        conn.close();
        engine.finish();
        let c = engine.counters();
        assert_eq!(
            (c.transactions, c.responses, c.messages_unparsed),
            (1, 1, 0)
        );
    }
    let peak = HEAP.peak_above(before);
    let event = event.expect("one event");
    assert_eq!(event["status"], "OK");
    (event["pgsql"].clone(), peak)
}

#[test]
fn a_long_result_costs_the_memory_of_one_segment() {
    peak_for(10); // warm up (lazy statics, first allocations)
    let (small, small_peak) = peak_for(20_000);
    let (large, large_peak) = peak_for(400_000);
    eprintln!("peak heap: {small_peak} bytes for 20,000 rows, {large_peak} for 400,000");
    assert_eq!(
        small,
        serde_json::json!({"num_rows": 20_000, "num_fields": 2})
    );
    assert_eq!(
        large,
        serde_json::json!({"num_rows": 400_000, "num_fields": 2})
    );
    // Twenty times the rows (~9.6 MB on the wire against ~0.4 MB):
    // holding them, or anything per row, would show here. What is held is
    // bounded by a segment and the row straddling it (its place varies the
    // peak by a few KiB).
    assert!(
        large_peak <= small_peak + 16 * 1024,
        "peak heap {large_peak} bytes for 400,000 rows, {small_peak} for 20,000"
    );
    assert!(large_peak < 128 * 1024, "peak heap {large_peak} bytes");
}
