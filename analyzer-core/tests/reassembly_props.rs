//! Property tests of `analyzer_core::reassembly`: random streams cut into
//! segments, reordered, duplicated, overlapped, lost; and arbitrary input
//! under tiny limits.

const T0: analyzer_core::Timestamp = analyzer_core::Timestamp::from_nanos(0);
use analyzer_core::reassembly::{Chunk, Reassembler, ReassemblyLimits};
use proptest::prelude::*;
use proptest::sample::Index;

/// Output with adjacent data merged.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Data(Vec<u8>),
    Gap(u64),
}

#[derive(Default)]
struct Sink {
    out: Vec<Out>,
    data_bytes: u64,
    gap_bytes: u64,
    gaps: u64,
}

impl Sink {
    fn push(&mut self, chunk: Chunk<'_>) {
        match chunk {
            Chunk::Data(d, _) => {
                assert!(!d.is_empty(), "empty Data chunk");
                self.data_bytes += d.len() as u64;
                match self.out.last_mut() {
                    Some(Out::Data(v)) => v.extend_from_slice(d),
                    _ => self.out.push(Out::Data(d.to_vec())),
                }
            }
            Chunk::Gap(n) => {
                assert!(n > 0, "empty Gap chunk");
                self.gaps += 1;
                self.gap_bytes += n;
                self.out.push(Out::Gap(n));
            }
        }
    }
}

/// An initial sequence number, often near the wrap.
fn isn() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), (u32::MAX - 5000)..=u32::MAX, 0u32..100,]
}

/// A stream and its cut into consecutive segments `(start, end)`.
fn cut_stream(min_len: usize) -> impl Strategy<Value = (Vec<u8>, Vec<(usize, usize)>)> {
    (
        prop::collection::vec(any::<u8>(), min_len..4000),
        prop::collection::vec(any::<Index>(), 0..60),
    )
        .prop_map(|(data, cuts)| {
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len().max(1))).collect();
            points.extend([0, data.len()]);
            points.sort_unstable();
            points.dedup();
            let segs = points.windows(2).map(|w| (w[0], w[1])).collect();
            (data, segs)
        })
}

/// Segments in a capture order: each moved at most `window` places, plus
/// `extra` ranges (duplicates or sub-ranges) inserted at random places.
fn capture_order(
    segs: &[(usize, usize)],
    jitter: &[usize],
    window: usize,
    extra: Vec<(usize, usize, Index)>,
) -> Vec<(usize, usize)> {
    let mut keyed: Vec<(usize, (usize, usize))> = segs
        .iter()
        .enumerate()
        .map(|(i, &s)| (i + jitter.get(i).copied().unwrap_or(0) % (window + 1), s))
        .collect();
    keyed.sort_by_key(|&(k, _)| k);
    let mut order: Vec<(usize, usize)> = keyed.into_iter().map(|(_, s)| s).collect();
    for (a, b, at) in extra {
        let at = at.index(order.len() + 1);
        order.insert(at, (a, b));
    }
    order
}

/// Random sub-ranges `(a, b)` of a stream of `len` bytes, at random places.
fn sub_ranges(len: usize, picks: &[(Index, Index, Index)]) -> Vec<(usize, usize, Index)> {
    picks
        .iter()
        .filter(|_| len > 0)
        .map(|(x, y, at)| {
            let (x, y) = (x.index(len), y.index(len) + 1);
            (x.min(y), x.max(y), *at)
        })
        .filter(|(a, b, _)| a < b)
        .collect()
}

fn feed(
    r: &mut Reassembler,
    base: u32,
    data: &[u8],
    order: &[(usize, usize)],
    sink: &mut Sink,
) -> u64 {
    let mut input = 0;
    for &(a, b) in order {
        input += (b - a) as u64;
        r.segment(base.wrapping_add(a as u32), &data[a..b], T0, &mut |c| {
            sink.push(c)
        });
    }
    input
}

proptest! {
    /// (a) Reordered within a window, duplicated, overlapped: the stream
    /// comes out exactly, with no gap.
    #[test]
    fn reordered_duplicated_overlapping((data, segs) in cut_stream(0), isn in isn(), syn in any::<bool>(),
        window in 0usize..8, jitter in prop::collection::vec(any::<usize>(), 60),
        dups in prop::collection::vec((any::<Index>(), any::<Index>()), 0..15),
        picks in prop::collection::vec((any::<Index>(), any::<Index>(), any::<Index>()), 0..15)) {
        let mut extra = sub_ranges(data.len(), &picks);
        for (i, at) in dups.iter().filter(|_| !segs.is_empty()) {
            let (a, b) = segs[i.index(segs.len())];
            extra.push((a, b, *at));
        }
        let mut order = capture_order(&segs, &jitter, window, extra);
        let mut r = Reassembler::new(ReassemblyLimits::default());
        let base = if syn {
            r.syn(isn);
            isn.wrapping_add(1)
        } else {
            // Mid-connection start: the first segment seen is the start.
            if let Some(&first) = segs.first() {
                order.insert(0, first);
            }
            isn
        };
        let mut sink = Sink::default();
        let input = feed(&mut r, base, &data, &order, &mut sink);
        prop_assert_eq!(r.buffered_bytes(), 0);
        r.fin(base.wrapping_add(data.len() as u32));
        prop_assert!(r.is_finished());
        r.flush(&mut |c| sink.push(c));
        let expected = if data.is_empty() { vec![] } else { vec![Out::Data(data.clone())] };
        prop_assert_eq!(&sink.out, &expected);
        let s = r.stats();
        prop_assert_eq!((s.gaps, s.bytes_lost, s.overflows), (0, 0, 0));
        prop_assert_eq!(input, sink.data_bytes + s.retransmitted_bytes + s.overlap_bytes);
    }

    /// (b) One segment never captured: the stream comes out with exactly that
    /// range replaced by one gap, declared by flush (after the FIN) or by an
    /// ACK of the whole stream.
    #[test]
    fn one_segment_lost((data, segs) in cut_stream(1), isn in isn(), lost in any::<Index>(),
        by_ack in any::<bool>(),
        window in 0usize..8, jitter in prop::collection::vec(any::<usize>(), 60),
        dups in prop::collection::vec((any::<Index>(), any::<Index>()), 0..15),
        picks in prop::collection::vec((any::<Index>(), any::<Index>(), any::<Index>()), 0..15)) {
        let (ra, rb) = segs[lost.index(segs.len())];
        let kept: Vec<_> = segs.iter().copied().filter(|&s| s != (ra, rb)).collect();
        let mut extra: Vec<_> = sub_ranges(data.len(), &picks)
            .into_iter()
            .filter(|&(a, b, _)| b <= ra || a >= rb)
            .collect();
        for (i, at) in dups.iter().filter(|_| !kept.is_empty()) {
            let (a, b) = kept[i.index(kept.len())];
            extra.push((a, b, *at));
        }
        let order = capture_order(&kept, &jitter, window, extra);
        let mut r = Reassembler::new(ReassemblyLimits::default());
        r.syn(isn);
        let base = isn.wrapping_add(1);
        let end = base.wrapping_add(data.len() as u32);
        let mut sink = Sink::default();
        let input = feed(&mut r, base, &data, &order, &mut sink);
        r.fin(end);
        prop_assert!(!r.is_finished());
        if by_ack {
            r.ack(end.wrapping_add(1), &mut |c| sink.push(c));
            prop_assert_eq!(r.buffered_bytes(), 0);
        }
        r.flush(&mut |c| sink.push(c));
        prop_assert!(r.is_finished());
        let mut expected = Vec::new();
        if ra > 0 {
            expected.push(Out::Data(data[..ra].to_vec()));
        }
        expected.push(Out::Gap((rb - ra) as u64));
        if rb < data.len() {
            expected.push(Out::Data(data[rb..].to_vec()));
        }
        prop_assert_eq!(&sink.out, &expected);
        let s = r.stats();
        prop_assert_eq!((s.gaps, s.bytes_lost, s.overflows), (1, (rb - ra) as u64, 0));
        prop_assert_eq!(input, sink.data_bytes + s.retransmitted_bytes + s.overlap_bytes);
    }

    /// (c) Tiny limits, arbitrary sub-ranges and ACKs of one stream: the
    /// buffer stays within its limit, every byte delivered is the right one,
    /// and data + gaps cover exactly the extent seen.
    #[test]
    fn tiny_limits(isn in isn(), max_bytes in 0usize..64, max_segments in 0usize..8, salt in any::<u8>(),
        ops in prop::collection::vec((any::<bool>(), -50i64..650, 0usize..80), 0..120)) {
        let byte = |o: i64| (o.wrapping_mul(2_654_435_761) >> 7) as u8 ^ salt;
        let mut r = Reassembler::new(ReassemblyLimits { max_bytes, max_segments });
        r.syn(isn);
        let base = isn.wrapping_add(1);
        let (mut extent, mut input) = (0i64, 0u64);
        let (mut pos, mut data_bytes, mut gap_bytes, mut bad) = (0i64, 0u64, 0u64, None);
        // Offsets -50..730 seen in a segment so far: no gap may cover them.
        let seen = std::cell::RefCell::new(vec![false; 800]);
        let mut check = |c: Chunk<'_>| match c {
            Chunk::Data(d, _) => {
                for &b in d {
                    if b != byte(pos) && bad.is_none() {
                        bad = Some(pos);
                    }
                    pos += 1;
                }
                data_bytes += d.len() as u64;
            }
            Chunk::Gap(n) => {
                let seen = seen.borrow();
                if (pos..pos + n as i64).any(|o| seen[(o + 50) as usize]) && bad.is_none() {
                    bad = Some(pos);
                }
                pos += n as i64;
                gap_bytes += n;
            }
        };
        for (is_ack, off, len) in ops {
            let seq = base.wrapping_add(off as u32);
            if is_ack {
                r.ack(seq, &mut check);
                extent = extent.max(off);
            } else {
                let payload: Vec<u8> = (off..off + len as i64).map(byte).collect();
                seen.borrow_mut()[(off + 50) as usize..][..len].fill(true);
                r.segment(seq, &payload, T0, &mut check);
                input += len as u64;
                if len > 0 {
                    extent = extent.max(off + len as i64);
                }
            }
            prop_assert!(r.buffered_bytes() <= max_bytes);
            prop_assert!(r.buffered_segments() <= max_segments);
        }
        r.flush(&mut check);
        prop_assert_eq!(r.buffered_bytes(), 0);
        prop_assert_eq!(bad, None);
        prop_assert_eq!(pos, extent);
        let s = r.stats();
        prop_assert_eq!((s.bytes_lost, data_bytes + gap_bytes), (gap_bytes, extent as u64));
        prop_assert_eq!(input, data_bytes + s.retransmitted_bytes + s.overlap_bytes);
    }

    /// (d) Anything at all: no panic, bounded buffer, every input byte
    /// accounted for, gaps counted as delivered.
    #[test]
    fn arbitrary_input(max_bytes in 0usize..200, max_segments in 0usize..10,
        ops in prop::collection::vec((0u8..6, any::<u32>(), 0usize..300), 0..100)) {
        let mut r = Reassembler::new(ReassemblyLimits { max_bytes, max_segments });
        let mut sink = Sink::default();
        let mut input = 0u64;
        let mut last = 0u32;
        for (op, x, len) in ops {
            // Half the time, a sequence number near the last one.
            let seq = if x % 2 == 0 { last.wrapping_add((x >> 1) % 600).wrapping_sub(300) } else { x };
            last = seq;
            match op {
                0 => r.syn(seq),
                1 => r.fin(seq),
                2 => r.ack(seq, &mut |c| sink.push(c)),
                3 => r.flush(&mut |c| sink.push(c)),
                _ => {
                    input += len as u64;
                    r.segment(seq, &vec![0xAB; len], T0, &mut |c| sink.push(c));
                }
            }
            prop_assert!(r.buffered_bytes() <= max_bytes);
            prop_assert!(r.buffered_segments() <= max_segments);
            let _ = r.is_finished();
        }
        r.flush(&mut |c| sink.push(c));
        let s = r.stats();
        prop_assert_eq!(r.buffered_bytes(), 0);
        prop_assert_eq!((s.gaps, s.bytes_lost), (sink.gaps, sink.gap_bytes));
        prop_assert_eq!(input, sink.data_bytes + s.retransmitted_bytes + s.overlap_bytes);
    }
}
