//! TCP stream reassembly for one direction of a connection, sans-IO and
//! bounded.
//!
//! Segments go in as they were captured (out of order, duplicated,
//! overlapping or missing); bytes come out in sequence order as [`Chunk`]s,
//! each byte exactly once, with a [`Chunk::Gap`] for every run of bytes that
//! will never arrive.
//!
//! # Sequence space
//!
//! Sequence numbers are `u32` and wrap. Every sequence number is placed
//! relative to the next expected one: up to 2^31 − 1 ahead is the future,
//! anything else is the past (a retransmission). Internally bytes are placed
//! at absolute `u64` stream offsets (offset 0 is the first data byte).
//!
//! # Overlap policy: first copy wins
//!
//! Bytes already delivered (or declared lost) are dropped and counted in
//! [`ReassemblyStats::retransmitted_bytes`]. For bytes already held in the
//! out-of-order buffer, the copy held is kept and the new copy's bytes are
//! dropped and counted in [`ReassemblyStats::overlap_bytes`]; this is what
//! Linux does for data already queued out of order. Only the bytes no copy
//! held before are stored, so memory never holds a byte twice.
//!
//! # Limits
//!
//! The out-of-order buffer holds at most [`ReassemblyLimits::max_bytes`] bytes
//! in at most [`ReassemblyLimits::max_segments`] pieces. When a segment would
//! not fit, the first hole is declared lost ([`Chunk::Gap`]) and what follows
//! it is delivered, until the segment fits (or becomes in order and is
//! delivered at once). Each forced hole counts one
//! [`ReassemblyStats::overflows`].

use std::collections::BTreeMap;

use crate::time::Timestamp;

/// Limits of the out-of-order buffer (per direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Most payload bytes held out of order. Default 1 MiB.
    pub max_bytes: usize,
    /// Most pieces of payload held out of order. Default 256.
    pub max_segments: usize,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits {
            max_bytes: 1 << 20,
            max_segments: 256,
        }
    }
}

/// What comes out of a [`Reassembler`], in sequence order.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// The next bytes of the stream, borrowed from the segment passed in or
    /// from the reassembler's buffer, with the capture time of the segment
    /// that brought them (the earliest, for pieces merged while held).
    Data(&'a [u8], Timestamp),
    /// The next this many bytes of the stream were never captured and never
    /// will be.
    Gap(u64),
}

/// Counters of what a [`Reassembler`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Bytes received again after they were delivered or declared lost.
    pub retransmitted_bytes: u64,
    /// Bytes received again while an earlier copy was held out of order (the
    /// earlier copy wins). Add to `retransmitted_bytes` for all duplicates.
    pub overlap_bytes: u64,
    /// Segments with data that arrived ahead of a hole.
    pub out_of_order_segments: u64,
    /// Holes declared lost because the out-of-order buffer was full.
    pub overflows: u64,
    /// [`Chunk::Gap`]s delivered (whatever declared them).
    pub gaps: u64,
    /// Bytes in all the [`Chunk::Gap`]s delivered.
    pub bytes_lost: u64,
}

/// Puts one direction of a TCP connection back in sequence order.
///
/// Feed it [`syn`](Self::syn), [`segment`](Self::segment),
/// [`fin`](Self::fin) and [`ack`](Self::ack) (the other direction's
/// acknowledgment numbers) in capture order, and [`flush`](Self::flush) it
/// when the connection ends.
#[derive(Debug)]
// In this order: what every in-order segment reads and writes first; the
// rare state (pieces held out of order, statistics) boxed, made on first
// use: 48 bytes in all while a stream flows in order.
#[repr(C)]
pub struct Reassembler {
    /// A SYN, FIN or data was seen: `next_seq` is meaningful.
    started: bool,
    /// Sequence number of the next byte to deliver.
    next_seq: u32,
    /// Stream offset of the next byte to deliver.
    next: u64,
    /// Sum of the lengths in `buffer` (zero exactly when it is empty; at
    /// most `max_bytes`).
    buffered: u32,
    /// [`ReassemblyLimits::max_bytes`], at most `u32::MAX`.
    max_bytes: u32,
    /// Stream offset of the FIN, once seen ([`NO_FIN`]: none).
    fin: u64,
    /// [`ReassemblyLimits::max_segments`], at most `u32::MAX`.
    max_segments: u32,
    rare: Option<Box<Rare>>,
}

/// No FIN seen.
const NO_FIN: u64 = u64::MAX;

/// What a [`Reassembler`] holds only once segments come out of order,
/// again, or never.
#[derive(Debug, Default)]
struct Rare {
    /// Out-of-order pieces by stream offset; never overlapping, never empty,
    /// every key greater than `next` between calls.
    buffer: BTreeMap<u64, (Timestamp, Vec<u8>)>,
    stats: ReassemblyStats,
}

/// The empty out-of-order buffer of a reassembler without [`Rare`] state.
static EMPTY: BTreeMap<u64, (Timestamp, Vec<u8>)> = BTreeMap::new();

impl Reassembler {
    /// A reassembler that has seen nothing yet.
    pub fn new(limits: ReassemblyLimits) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Reassembler {
            started: false,
            next_seq: 0,
            next: 0,
            buffered: 0,
            max_bytes: clamp(limits.max_bytes),
            fin: NO_FIN,
            max_segments: clamp(limits.max_segments),
            rare: None,
        }
    }

    /// A SYN with sequence number `seq` was seen: data starts at `seq + 1`.
    ///
    /// Once the stream has started (a SYN, a FIN or a segment with data was
    /// seen), a SYN is ignored: a retransmitted SYN carries the same number,
    /// and a SYN with another number starts a new connection, for which the
    /// caller makes a new `Reassembler`.
    pub fn syn(&mut self, seq: u32) {
        self.start_at(seq.wrapping_add(1));
    }

    /// A segment carrying `payload` at sequence number `seq`. Calls `out`
    /// with every chunk that becomes deliverable in order: this segment's new
    /// bytes and the buffered ones they unblock, or, if the buffer overflows,
    /// the gaps and data it forces out.
    ///
    /// Without a SYN, the first segment with data sets the start of the
    /// stream (a capture that starts mid-connection). Limitation: a segment
    /// captured after it but belonging before it is then taken as a
    /// retransmission and dropped. Segments without payload are ignored (a
    /// keep-alive carries a sequence number one before the next byte).
    #[inline]
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        ts: Timestamp,
        out: &mut impl FnMut(Chunk<'_>),
    ) {
        if self.take_in_order(seq, payload) {
            out(Chunk::Data(payload, ts));
            return;
        }
        self.segment_slow(seq, payload, ts, out);
    }

    /// Takes the segment as delivered when it is the stream's next bytes
    /// and nothing is buffered out of order (what [`segment`](Self::segment)
    /// would deliver whole, as one [`Chunk::Data`] and nothing else); the
    /// caller then has its payload in order. `false`, and nothing done,
    /// otherwise.
    #[inline]
    pub fn take_in_order(&mut self, seq: u32, payload: &[u8]) -> bool {
        let in_order =
            seq == self.next_seq && self.started && self.buffered == 0 && !payload.is_empty();
        if in_order {
            self.advance(payload.len() as u64);
        }
        in_order
    }

    fn segment_slow(
        &mut self,
        seq: u32,
        payload: &[u8],
        ts: Timestamp,
        out: &mut impl FnMut(Chunk<'_>),
    ) {
        if payload.is_empty() {
            return;
        }
        self.start_at(seq);
        let (len, rel) = (payload.len() as u64, self.rel(seq));
        if rel > 0 {
            self.stats_mut().out_of_order_segments += 1;
            return self.insert(self.next.saturating_add(rel as u64), payload, ts, out);
        }
        let back = rel.unsigned_abs();
        if back > 0 {
            self.stats_mut().retransmitted_bytes += back.min(len);
        }
        if back < len {
            self.deliver_in_order(&payload[back as usize..], ts, out);
        }
    }

    /// A FIN with sequence number `seq` (the sequence number after its
    /// segment's payload) was seen. The first FIN counts; later ones are
    /// ignored. Data past the FIN is still delivered if it comes.
    pub fn fin(&mut self, seq: u32) {
        if self.fin == NO_FIN {
            self.start_at(seq);
            self.fin = self
                .next
                .saturating_add_signed(self.rel(seq))
                .min(NO_FIN - 1);
        }
    }

    /// Whether a FIN was seen and every byte before it was delivered (or
    /// declared lost).
    pub fn is_finished(&self) -> bool {
        self.fin != NO_FIN && self.next >= self.fin
    }

    /// The peer acknowledged every byte before `ack` (the other direction's
    /// acknowledgment number). Bytes acknowledged but not captured are
    /// declared lost: `out` gets a [`Chunk::Gap`] for each hole up to `ack`
    /// and the buffered data after it, up to the next hole. An ACK of the FIN
    /// itself declares nothing. Ignored before the stream has started.
    ///
    /// Data captured after its ACK (capture reordering between directions)
    /// is then taken as a retransmission.
    pub fn ack(&mut self, ack: u32, out: &mut impl FnMut(Chunk<'_>)) {
        let rel = self.rel(ack);
        if rel <= 0 || !self.started {
            return;
        }
        let target = self.next.saturating_add(rel as u64);
        let target = target.min(self.fin);
        while self.next < target {
            let hole_end = self.first_key().map_or(target, |k| k.min(target));
            self.gap(hole_end - self.next, out);
            self.drain(out);
        }
    }

    /// The connection is ending (RST, close, idle expiry, end of input):
    /// every remaining hole, up to the FIN if one was seen, is declared lost,
    /// and everything buffered is delivered, in order.
    pub fn flush(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while let Some(key) = self.first_key() {
            self.gap(key.saturating_sub(self.next), out);
            self.drain(out);
        }
        if self.fin != NO_FIN {
            self.gap(self.fin.saturating_sub(self.next), out);
        }
    }

    /// Whether `ack` acknowledges bytes not delivered yet (before any FIN):
    /// what [`ack`](Self::ack) would declare lost. Cheap: callers check it
    /// before asking for the work.
    pub fn acknowledges_unseen(&self, ack: u32) -> bool {
        self.started && self.rel(ack) > 0 && (self.fin == NO_FIN || self.next < self.fin)
    }

    /// The sequence number of the next byte expected in order, once the
    /// stream has started.
    pub fn next_seq(&self) -> Option<u32> {
        self.started.then_some(self.next_seq)
    }

    /// Payload bytes currently held out of order.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered as usize
    }

    /// Pieces of payload currently held out of order (at most
    /// [`ReassemblyLimits::max_segments`]).
    pub fn buffered_segments(&self) -> usize {
        self.buffer().len()
    }

    /// What happened so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.rare.as_ref().map(|r| r.stats).unwrap_or_default()
    }

    /// The pieces held out of order.
    fn buffer(&self) -> &BTreeMap<u64, (Timestamp, Vec<u8>)> {
        self.rare.as_ref().map_or(&EMPTY, |r| &r.buffer)
    }

    /// The rare state, made on first use.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Default::default)
    }

    /// The statistics, to count something that happened.
    fn stats_mut(&mut self) -> &mut ReassemblyStats {
        &mut self.rare().stats
    }

    /// Counts `n` bytes received again (nothing made when there are none).
    fn overlap(&mut self, n: u64) {
        if n > 0 {
            self.stats_mut().overlap_bytes += n;
        }
    }

    /// Sets the next expected sequence number if nothing was seen yet.
    fn start_at(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = seq;
        }
    }

    /// Where `seq` lies relative to the next expected byte (-2^31..2^31).
    fn rel(&self, seq: u32) -> i64 {
        i64::from(seq.wrapping_sub(self.next_seq) as i32)
    }

    fn advance(&mut self, n: u64) {
        self.next = self.next.saturating_add(n);
        self.next_seq = self.next_seq.wrapping_add(n as u32);
    }

    fn first_key(&self) -> Option<u64> {
        self.buffer().first_key_value().map(|(&k, _)| k)
    }

    fn gap(&mut self, n: u64, out: &mut impl FnMut(Chunk<'_>)) {
        if n > 0 {
            let stats = self.stats_mut();
            stats.gaps += 1;
            stats.bytes_lost += n;
            self.advance(n);
            out(Chunk::Gap(n));
        }
    }

    /// Delivers the buffered pieces that start at `next`.
    fn drain(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while self.first_key() == Some(self.next) {
            if let Some((_, (ts, piece))) = self.rare().buffer.pop_first() {
                self.buffered -= piece.len() as u32;
                self.advance(piece.len() as u64);
                out(Chunk::Data(&piece, ts));
            }
        }
    }

    /// Delivers `payload`, which starts at `next`, interleaved with the
    /// buffered pieces it reaches (whose bytes win over the payload's).
    fn deliver_in_order(&mut self, payload: &[u8], ts: Timestamp, out: &mut impl FnMut(Chunk<'_>)) {
        let start = self.next;
        let end = start.saturating_add(payload.len() as u64);
        let mut used = 0u64;
        loop {
            self.drain(out);
            if self.next >= end {
                break;
            }
            let stop = self.first_key().map_or(end, |k| k.min(end));
            if stop <= self.next {
                break; // unreachable: every buffered key is past `next`
            }
            let (a, b) = ((self.next - start) as usize, (stop - start) as usize);
            out(Chunk::Data(&payload[a..b], ts));
            used += stop - self.next;
            self.advance(stop - self.next);
        }
        self.overlap(payload.len() as u64 - used);
    }

    /// Stores `payload`, which starts at `start` > `next`, forcing holes out
    /// until its new bytes fit in the limits.
    fn insert(
        &mut self,
        start: u64,
        payload: &[u8],
        ts: Timestamp,
        out: &mut impl FnMut(Chunk<'_>),
    ) {
        let len = payload.len() as u64;
        while start > self.next {
            let Some((s, e)) = self.trim(start, start.saturating_add(len)) else {
                self.overlap(len);
                return;
            };
            let (count, held) = self
                .buffer()
                .range(s..e)
                .fold((0usize, 0u64), |(c, h), (_, (_, v))| {
                    (c + 1, h + v.len() as u64)
                });
            let new_bytes = (e - s) - held;
            let fits = u64::from(self.buffered) + new_bytes <= u64::from(self.max_bytes)
                && self.buffer().len() - count < self.max_segments as usize;
            if fits {
                self.overlap(len - new_bytes);
                let mut piece = payload[(s - start) as usize..(e - start) as usize].to_vec();
                let mut earliest = ts;
                let buffer = &mut self.rare().buffer;
                while let Some((&k, _)) = buffer.range(s..e).next() {
                    let Some((old_ts, old)) = buffer.remove(&k) else {
                        break;
                    };
                    earliest = earliest.min(old_ts);
                    let at = (k - s) as usize;
                    if let Some(dst) = piece.get_mut(at..at + old.len()) {
                        dst.copy_from_slice(&old);
                    }
                }
                buffer.insert(s, (earliest, piece));
                self.buffered += new_bytes as u32;
                return;
            }
            self.stats_mut().overflows += 1;
            let hole_end = self.first_key().map_or(start, |k| k.min(start));
            self.gap(hole_end - self.next, out);
            self.drain(out);
        }
        // The segment is now at or before `next`: bytes before `next` were
        // delivered from the buffer.
        let back = self.next - start;
        self.overlap(back.min(len));
        if back < len {
            self.deliver_in_order(&payload[back as usize..], ts, out);
        }
    }

    /// The part of `start..end` that may hold bytes no piece holds, with the
    /// pieces overlapping its ends trimmed off: pieces inside it are to be
    /// absorbed. `None` if every byte is held already.
    fn trim(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        let mut s = start;
        if let Some((&k, (_, v))) = self.buffer().range(..=start).next_back() {
            s = s.max(k + v.len() as u64);
        }
        let mut e = end;
        if let Some((&k, (_, v))) = self.buffer().range(..end).next_back() {
            if k >= s && k + v.len() as u64 > end {
                e = k;
            }
        }
        (s < e).then_some((s, e))
    }
}

#[cfg(test)]
mod tests;
