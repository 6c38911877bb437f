//! Unit tests of the parent module.
use super::*;

const T0: Timestamp = Timestamp::from_nanos(0);

/// Owned output, adjacent data merged.
#[derive(Debug, PartialEq, Eq)]
enum O {
    D(Vec<u8>),
    G(u64),
}
use O::G;

fn d(s: &[u8]) -> O {
    O::D(s.to_vec())
}

fn collect(f: impl FnOnce(&mut dyn FnMut(Chunk<'_>))) -> Vec<O> {
    let mut v = Vec::new();
    f(&mut |c| match (v.last_mut(), c) {
        (Some(O::D(d)), Chunk::Data(x, _)) => d.extend_from_slice(x),
        (_, Chunk::Data(x, _)) => v.push(d(x)),
        (_, Chunk::Gap(n)) => v.push(G(n)),
    });
    v
}

fn seg(r: &mut Reassembler, seq: u32, p: &[u8]) -> Vec<O> {
    collect(|out| r.segment(seq, p, T0, &mut |c| out(c)))
}

fn ack(r: &mut Reassembler, ack: u32) -> Vec<O> {
    collect(|out| r.ack(ack, &mut |c| out(c)))
}

fn flush(r: &mut Reassembler) -> Vec<O> {
    collect(|out| r.flush(&mut |c| out(c)))
}

fn with_syn(isn: u32, max_bytes: usize, max_segments: usize) -> Reassembler {
    let mut r = Reassembler::new(ReassemblyLimits {
        max_bytes,
        max_segments,
    });
    r.syn(isn);
    r
}

#[test]
fn in_order_borrows_the_payload() {
    let mut r = with_syn(99, 1 << 20, 256);
    let (p, mut ptr) = (b"hello", None);
    r.segment(100, p, T0, &mut |c| {
        if let Chunk::Data(x, _) = c {
            ptr = Some(x.as_ptr());
        }
    });
    assert_eq!(ptr, Some(p.as_ptr()));
    assert_eq!(seg(&mut r, 105, b" world"), [d(b" world")]);
    assert_eq!(r.stats(), ReassemblyStats::default());
}

#[test]
fn reordered_pair_duplicate_and_overlaps() {
    let mut r = with_syn(0, 1 << 20, 256);
    assert_eq!(seg(&mut r, 5, b"efgh"), []);
    assert_eq!(r.buffered_bytes(), 4);
    assert_eq!(seg(&mut r, 5, b"XXXX"), []); // duplicate: first copy wins
    assert_eq!(seg(&mut r, 3, b"YYXXXXZ"), []); // extends both sides
    assert_eq!(r.buffered_bytes(), 7);
    assert_eq!(seg(&mut r, 8, b"QRS"), []); // starts inside a piece
    assert_eq!(seg(&mut r, 13, b"MN"), []);
    assert_eq!(seg(&mut r, 10, b"0123"), []); // partial on both sides
    assert_eq!((r.buffered_bytes(), r.buffered_segments()), (12, 4));
    assert_eq!(seg(&mut r, 1, b"abc"), [d(b"abYYefghZS12MN")]);
    assert_eq!(seg(&mut r, 1, b"abc"), []);
    let s = r.stats();
    assert_eq!((s.overlap_bytes, s.retransmitted_bytes), (13, 3));
    assert_eq!((s.out_of_order_segments, r.buffered_bytes()), (6, 0));
}

#[test]
fn segment_covering_several_buffered() {
    let mut r = with_syn(0, 1 << 20, 256);
    for (seq, p) in [(3, b"C"), (5, b"E"), (7, b"G")] {
        seg(&mut r, seq, p);
    }
    assert_eq!(seg(&mut r, 2, b"bxdxfxh"), []);
    assert_eq!((r.buffered_bytes(), r.buffered_segments()), (7, 1));
    assert_eq!(seg(&mut r, 1, b"a"), [d(b"abCdEfGh")]);
    assert_eq!(r.stats().overlap_bytes, 3);
    // An in-order segment over buffered data: the buffered copy wins.
    seg(&mut r, 11, b"K");
    seg(&mut r, 17, b"Q");
    assert_eq!(seg(&mut r, 9, b"ijklmno"), [d(b"ijKlmno")]);
    assert_eq!(seg(&mut r, 16, b"p"), [d(b"pQ")]);
}

#[test]
fn wraps_around() {
    let mut r = with_syn(u32::MAX - 3, 1 << 20, 256);
    assert_eq!(seg(&mut r, 1, b"ef"), []);
    assert_eq!(seg(&mut r, u32::MAX - 2, b"abcd"), [d(b"abcdef")]);
    assert_eq!(seg(&mut r, u32::MAX, b"cd"), []);
    assert_eq!(r.stats().retransmitted_bytes, 2);
    r.fin(3);
    assert!(r.is_finished());
}

#[test]
fn gap_declared_by_ack() {
    let mut r = with_syn(0, 1 << 20, 256);
    seg(&mut r, 1, b"ab");
    seg(&mut r, 6, b"fg");
    seg(&mut r, 10, b"j");
    assert_eq!(ack(&mut r, 2), []); // old
    assert_eq!(ack(&mut r, 7), [G(3), d(b"fg")]);
    assert_eq!(r.buffered_bytes(), 1);
    assert_eq!(seg(&mut r, 4, b"de"), []); // arrived after its ACK
    assert_eq!(r.stats().retransmitted_bytes, 2);
}

#[test]
fn gap_declared_by_flush_and_fin() {
    let mut r = with_syn(0, 1 << 20, 256);
    seg(&mut r, 1, b"a");
    seg(&mut r, 4, b"d");
    r.fin(7);
    assert_eq!(flush(&mut r), [G(2), d(b"d"), G(2)]);
    assert!(r.is_finished());
    assert_eq!((r.stats().gaps, r.stats().bytes_lost), (2, 4));
}

#[test]
fn fin_before_the_hole_fills() {
    let mut r = with_syn(0, 1 << 20, 256);
    seg(&mut r, 3, b"cd");
    r.fin(5);
    assert!(!r.is_finished());
    assert_eq!(seg(&mut r, 1, b"ab"), [d(b"abcd")]);
    assert!(r.is_finished());
    assert_eq!(ack(&mut r, 6), []); // ACK of the FIN: nothing lost
    assert_eq!((flush(&mut r), r.stats().gaps), (vec![], 0));
}

#[test]
fn overflow_by_bytes() {
    let mut r = with_syn(0, 10, 256);
    seg(&mut r, 6, b"5678");
    seg(&mut r, 13, b"CDEF");
    assert_eq!(seg(&mut r, 21, b"KLMN"), [G(5), d(b"5678")]);
    assert_eq!((r.buffered_bytes(), r.stats().overflows), (8, 1));
    let out = seg(&mut r, 40, b"0123456789AB");
    let cdef_klmn = [G(3), d(b"CDEF"), G(4), d(b"KLMN")];
    assert_eq!(out[..4], cdef_klmn);
    assert_eq!(out[4..], [G(15), d(b"0123456789AB")]);
    assert_eq!((r.buffered_bytes(), r.stats().overflows), (0, 4));
    assert_eq!(r.stats().bytes_lost, 27);
}

#[test]
fn overflow_by_segment_count() {
    let mut r = with_syn(0, 1000, 2);
    seg(&mut r, 3, b"c");
    seg(&mut r, 5, b"e");
    // After both: the first hole is forced out.
    assert_eq!(seg(&mut r, 7, b"g"), [G(2), d(b"c")]);
    assert_eq!(seg(&mut r, 9, b"i"), [G(1), d(b"e")]);
    assert_eq!(r.buffered_segments(), 2);
    let mut r = with_syn(0, 1000, 2);
    seg(&mut r, 5, b"e");
    seg(&mut r, 7, b"g");
    // Before the first buffered one: only its own hole is forced.
    assert_eq!(seg(&mut r, 3, b"c"), [G(2), d(b"c")]);
    // Absorbing a buffered piece needs no room for one more.
    assert_eq!(seg(&mut r, 6, b"XYZ"), []);
    assert_eq!((r.buffered_segments(), r.stats().overflows), (2, 1));
    assert_eq!(seg(&mut r, 4, b"d"), [d(b"deXgZ")]);
}

#[test]
fn mid_connection_start() {
    let mut r = Reassembler::new(ReassemblyLimits::default());
    assert_eq!(seg(&mut r, 500, b""), []);
    assert_eq!(seg(&mut r, 1000, b"xyz"), [d(b"xyz")]);
    assert_eq!(seg(&mut r, 997, b"abc"), []); // taken as a retransmission
    r.syn(0); // ignored once started
    assert_eq!(seg(&mut r, 1003, b"!"), [d(b"!")]);
    assert_eq!(r.stats().retransmitted_bytes, 3);
}
