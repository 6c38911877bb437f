//! The loss benchmark, small: one segment dropped at a few places in
//! pipelined traffic of every protocol; no event may come out different
//! from the clean run with status `OK`, and few transactions may be
//! disturbed. `bench-loss` runs the full-size version (BENCHMARKS.md).

use benches::loss::traffic::{LossProtocol, Shape};
use benches::loss::{explain, measure};

const SHAPE: Shape = Shape {
    connections: 2,
    transactions: 60,
    batch: (2, 8),
    segment: 60,
};

#[test]
fn no_drop_makes_a_silently_wrong_event() {
    for seed in [7, 11] {
        for protocol in LossProtocol::ALL {
            let report = measure(protocol, SHAPE, 16, seed);
            assert_eq!(report.transactions, 120, "{report:?}");
            assert_eq!(report.drops, 16);
            assert_eq!(
                report.silently_wrong,
                0,
                "{}: {report:?}; see `bench-loss --protocol {} --seed {seed} --explain K`",
                protocol.name(),
                protocol.name()
            );
            assert!(
                report.disturbed_per_drop() <= 6.0,
                "{}: {report:?}",
                protocol.name()
            );
            // A drop always disturbs something: the benchmark measures.
            assert!(report.disturbed >= report.drops, "{report:?}");
        }
    }
}

#[test]
fn explain_shows_what_a_drop_did() {
    let text = explain(LossProtocol::Echo, SHAPE, 16, 3, 7);
    assert!(text.starts_with("packet "), "{text}");
    // The clean transactions that did not come out, and what did instead,
    // flagged.
    assert!(text.lines().any(|l| l.starts_with("- ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("+ Error")), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("+ OK")), "{text}");
}
