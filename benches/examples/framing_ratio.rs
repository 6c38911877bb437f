//! The framing micro-benchmark's two loops (`benches::framing`), run
//! alternately: the fastest of 400 runs of each, and their ratio. On a
//! shared, loaded machine this is steadier than criterion's two separate
//! measurements, since both sides see the same load.

use std::hint::black_box;
use std::time::Instant;

use benches::framing::{derived, hand_written, lines};

fn main() {
    let data = lines();
    let chunks: Vec<&[u8]> = data.chunks(1460).collect();
    assert_eq!(derived(&chunks), hand_written(&chunks));
    let (mut best_derived, mut best_hand) = (f64::MAX, f64::MAX);
    for _ in 0..400 {
        let t = Instant::now();
        black_box(derived(black_box(&chunks)));
        best_derived = best_derived.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(hand_written(black_box(&chunks)));
        best_hand = best_hand.min(t.elapsed().as_secs_f64());
    }
    let mib = data.len() as f64 / (1 << 20) as f64;
    println!(
        "framing (fastest of 400, interleaved): derived {:.1} µs per MiB, hand-written memchr {:.1} µs per MiB: derived / hand-written throughput = {:.3} (target >= 0.8)",
        best_derived * 1e6 / mib,
        best_hand * 1e6 / mib,
        best_hand / best_derived
    );
}
