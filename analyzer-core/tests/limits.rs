//! Bounds: the flow table stays within `max_connections` whatever the input,
//! and what evicted connections held is published, not lost.

mod common;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Engine, Event, Timestamp};
use common::{Conn, Line, SERVER};

#[test]
fn a_hundred_thousand_open_connections_stay_within_the_table_bound() {
    const N: u32 = 100_000;
    let mut config = Config::default();
    config.max_connections = 1_000;
    let mut published = 0u64;
    let mut evicted_notes = 0u64;
    let mut engine = Engine::new(config, |e: Event<Line>| {
        published += 1;
        if e.error_message().as_deref()
            == Some("connection evicted (flow table full) before the response")
        {
            evicted_notes += 1;
        }
    });
    let mut most = 0;
    for i in 0..N {
        let ip = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let mut c = Conn::new((ip, 40_000), SERVER);
        c.handshake().client(b">never answered\n");
        for (_, packet) in &c.packets {
            // 1 µs apart: no idle expiry, only eviction can bound the table.
            let ts = Timestamp::from_nanos(1_700_000_000_000_000_000 + i64::from(i) * 1_000);
            engine.packet(ts, LinkType::Ethernet, packet);
        }
        most = most.max(engine.connections());
    }
    assert!(most <= 1_000, "table grew to {most}");
    let evicted = engine.counters().connections_evicted;
    assert!(evicted >= u64::from(N) - 1_000, "evicted {evicted}");
    engine.finish();
    let counters = engine.counters().clone();
    drop(engine);
    assert_eq!(published, u64::from(N), "every request published");
    assert_eq!(evicted_notes, evicted);
    assert_eq!(counters.requests_unanswered, u64::from(N));
    assert_eq!(
        counters.connections_evicted + counters.connections_flushed,
        u64::from(N)
    );
}
