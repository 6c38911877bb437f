//! One TCP connection: its two byte streams in sequence order, cut into
//! messages, and the requests waiting for responses.

use crate::config::Config;
use crate::correlate::{Correlator, Outcome, Unanswered};
use crate::counters::Counters;
use crate::decode::Endpoint;
use crate::decode::TcpSegment;
use crate::framing::Framing;
use crate::message::Transaction;
use crate::protocol::{Direction, Kind, Protocol};
use crate::reassembly::{Chunk, Reassembler, ReassemblyLimits};
use crate::stream::{Frame, StreamBuffer};
use crate::time::Timestamp;

mod frames;

/// The engine's shared state a connection updates.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub counters: &'a mut Counters,
}

/// How a stream ended, for the note on a message it cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Close {
    Fin,
    Rst,
    Idle,
    Evicted,
    /// A new SYN on the same 4-tuple.
    Reused,
    EndOfInput,
}

impl Close {
    fn cut_by(self) -> &'static str {
        match self {
            Close::Fin => "FIN",
            Close::Rst => "RST",
            Close::Idle => "idle expiry",
            Close::Evicted => "eviction from the full flow table",
            Close::Reused => "a new connection on the same ports",
            Close::EndOfInput => "the end of the capture",
        }
    }

    fn unanswered(self) -> Unanswered {
        match self {
            Close::Fin | Close::Rst | Close::Reused => Unanswered::Closed,
            Close::Idle => Unanswered::Idle,
            Close::Evicted => Unanswered::Evicted,
            Close::EndOfInput => Unanswered::EndOfInput,
        }
    }
}

/// One direction: its bytes put back in order, then cut into messages.
///
/// In this order, a cache line each: the flags with the reassembler's
/// in-order state, then (after its out-of-order state) the stream buffer.
#[repr(C, align(64))]
struct Side {
    /// Payload was seen (a new SYN then means a new connection).
    data_seen: bool,
    /// A FIN was seen (its sequence number may lie past a hole).
    fin_seen: bool,
    /// Packets from the peer seen while this direction has a hole: at
    /// [`ACKS_TO_DECLARE_LOSS`], acknowledged bytes in the hole are lost.
    acks_over_hole: u8,
    /// Every byte before this direction's FIN was delivered and its last
    /// message handled.
    ended: bool,
    reasm: Reassembler,
    stream: StreamBuffer,
}

/// Pure acknowledgments from the peer, while a hole is open, before the bytes
/// they acknowledge in it count as lost in capture. One is not enough: a
/// capture point can see an ACK before a reordered data segment it covers.
/// (A segment carrying data that acknowledges the hole declares it at once.)
const ACKS_TO_DECLARE_LOSS: u8 = 3;

/// What to ask of a direction's reassembler.
enum Feed<'p> {
    Segment(u32, &'p [u8]),
    Ack(u32),
    Flush,
}

/// A connection's state, in one allocation with its flow. In this order:
/// what every packet touches first (one cache line: the server, the time,
/// the pending requests), then what is rarely touched, then the sides.
#[repr(C)]
pub(crate) struct Connection<P> {
    /// The server's endpoint: which way a segment travels.
    pub server: Endpoint,
    pub last_seen: Timestamp,
    correlator: Correlator<P>,
    /// Creation order: events of different connections flushed together come
    /// out in this order.
    pub id: u64,
    /// Frames cut during one feed, reused to avoid an allocation per packet.
    scratch: Vec<Frame>,
    /// The reassemblers' statistics were added to the counters.
    harvested: bool,
    sides: [Side; 2],
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::FromClient => 0,
        Direction::FromServer => 1,
    }
}

/// The next frame of `P`'s framing: a delimiter framing's fast path is
/// inlined (the framing is a constant, so the match folds away).
#[inline(always)]
fn next_frame<P: Protocol>(stream: &mut StreamBuffer, dir: Direction) -> Option<Frame> {
    match &P::FRAMING {
        framing @ Framing::Delimiter(delim) => stream.next_frame_delimited(delim, framing, dir),
        framing => stream.next_frame(framing, dir),
    }
}

fn role(kind: Kind) -> &'static str {
    match kind {
        Kind::Request => "request",
        Kind::Response | Kind::Error => "response",
    }
}

impl<P: Protocol> Connection<P> {
    pub(crate) fn new(id: u64, server: Endpoint, now: Timestamp, config: &Config) -> Self {
        let limits = ReassemblyLimits {
            max_bytes: config.max_out_of_order_bytes,
            max_segments: config.max_out_of_order_segments,
        };
        let side = || Side {
            reasm: Reassembler::new(limits),
            stream: StreamBuffer::new(config.max_message_size),
            data_seen: false,
            fin_seen: false,
            acks_over_hole: 0,
            ended: false,
        };
        Connection {
            id,
            server,
            last_seen: now,
            sides: [side(), side()],
            correlator: Correlator::new(config.max_pending_requests),
            scratch: Vec::new(),
            harvested: false,
        }
    }

    /// Whether a SYN from the client means a new connection on this
    /// 4-tuple: this one already carried data or ended a direction.
    pub(crate) fn is_reused_by_syn(&self) -> bool {
        let client = &self.sides[index(Direction::FromClient)];
        client.data_seen || self.sides.iter().any(|s| s.ended)
    }

    /// Which way a segment from `src` travels.
    pub(crate) fn direction_from(&self, src: (std::net::IpAddr, u16)) -> Direction {
        if src == self.server {
            Direction::FromServer
        } else {
            Direction::FromClient
        }
    }

    /// Handles one segment. Returns true when the connection is over (both
    /// directions ended, or RST) and everything it held has been published.
    pub(crate) fn segment(
        &mut self,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> bool {
        let dir = self.direction_from(seg.src);
        self.last_seen = self.last_seen.max(ts);
        let mut seq = seg.seq;
        if seg.flags.syn {
            self.sides[index(dir)].reasm.syn(seq);
            seq = seq.wrapping_add(1);
        }
        if seg.flags.ack {
            // The sender got everything before `ack` (before it sent this
            // payload): once it keeps saying so, a hole before it was lost in
            // capture, not on the network.
            let other = &mut self.sides[index(dir.reverse())];
            let hole = other.reasm.buffered_bytes() > 0 || (other.fin_seen && !other.ended);
            other.acks_over_hole = if hole {
                other.acks_over_hole.saturating_add(1)
            } else {
                0
            };
            // A segment with data acknowledging the hole answers what was in
            // it: declare the loss at once, so the answer pairs right.
            // Data acknowledging bytes never seen at all (a lost tail) counts
            // too.
            let answer = !seg.payload.is_empty();
            let declare = answer || other.acks_over_hole >= ACKS_TO_DECLARE_LOSS;
            if declare && other.reasm.acknowledges_unseen(seg.ack) {
                other.acks_over_hole = 0;
                self.feed(dir.reverse(), ts, Feed::Ack(seg.ack), ctx, out);
                // An answer sent after the lost bytes: the message they hit
                // most likely ended with them.
                let other = &mut self.sides[index(dir.reverse())];
                if answer && other.reasm.buffered_bytes() == 0 {
                    if let Some(frame) = other.stream.end_at_gap() {
                        self.handle_frame(dir.reverse(), frame, ctx, out);
                    }
                }
            }
        }
        if !seg.payload.is_empty() {
            self.sides[index(dir)].data_seen = true;
            self.feed(dir, ts, Feed::Segment(seq, seg.payload), ctx, out);
        }
        if seg.flags.rst {
            self.close(Close::Rst, ctx, out);
            return true;
        }
        if seg.flags.fin {
            self.sides[index(dir)].fin_seen = true;
            let fin_seq = seq.wrapping_add(seg.payload.len() as u32);
            self.sides[index(dir)].reasm.fin(fin_seq);
        }
        for d in [dir, dir.reverse()] {
            self.end_if_finished(d, ctx, out);
        }
        let over = self.sides.iter().all(|s| s.ended);
        if over {
            // Requests that came after the server's FIN wait for nothing.
            let outcome = self.correlator.flush(Unanswered::Closed, out);
            count(ctx.counters, outcome);
            self.harvest(ctx.counters);
        }
        over
    }

    /// Once every byte before a direction's FIN is in, ends that direction:
    /// its unfinished message is cut short; after the server's, no response
    /// can come, so pending requests are published.
    fn end_if_finished(
        &mut self,
        dir: Direction,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let side = &mut self.sides[index(dir)];
        if side.ended || !side.reasm.is_finished() {
            return;
        }
        side.ended = true;
        self.end_stream(dir, Close::Fin, ctx, out);
        if dir == Direction::FromServer {
            let outcome = self.correlator.flush(Unanswered::Closed, out);
            count(ctx.counters, outcome);
        }
    }

    /// Runs one reassembler operation for `dir`, pushes the bytes it delivers
    /// into the stream buffer (recording gaps), and handles the frames cut.
    fn feed(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        op: Feed<'_>,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        if let Feed::Segment(seq, payload) = op {
            let side = &mut self.sides[index(dir)];
            if side.reasm.take_in_order(seq, payload) {
                // The usual case: the segment's bytes are the stream's next
                // ones, framed and handled straight away (no frame is
                // collected first).
                let payload = match &P::FRAMING {
                    Framing::Delimiter(delim) if side.stream.is_empty() => {
                        self.whole_messages(dir, ts, payload, delim, ctx, out)
                    }
                    _ => payload,
                };
                let side = &mut self.sides[index(dir)];
                side.stream.push(ts, payload);
                while let Some(frame) = next_frame::<P>(&mut self.sides[index(dir)].stream, dir) {
                    self.handle_frame(dir, frame, ctx, out);
                }
                return;
            }
        }
        let mut frames = std::mem::take(&mut self.scratch);
        let side = &mut self.sides[index(dir)];
        let stream = &mut side.stream;
        let mut deliver = |chunk: Chunk<'_>| match chunk {
            Chunk::Data(data, at) => {
                stream.push(at, data);
                while let Some(frame) = next_frame::<P>(stream, dir) {
                    frames.push(frame);
                }
            }
            Chunk::Gap(lost) => stream.lose(ts, lost, &P::FRAMING),
        };
        match op {
            Feed::Segment(seq, payload) => side.reasm.segment(seq, payload, ts, &mut deliver),
            Feed::Ack(ack) => side.reasm.ack(ack, &mut deliver),
            Feed::Flush => side.reasm.flush(&mut deliver),
        }
        for frame in frames.drain(..) {
            self.handle_frame(dir, frame, ctx, out);
        }
        self.scratch = frames;
    }

    /// With nothing held in the stream: the messages `payload` holds whole
    /// are handled straight from it, each copied once into an allocation of
    /// its own (recently freed memory, still in cache) rather than into
    /// the connection's buffer (cold by the time its next packet comes).
    /// Returns what follows the last whole message, for the stream.
    fn whole_messages<'p>(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        mut payload: &'p [u8],
        delim: &[u8],
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> &'p [u8] {
        // The stream's own limit (`StreamBuffer::new` takes the same).
        let limit = ctx.config.max_message_size.max(1);
        let raw = ctx.config.send_request || ctx.config.send_response;
        while let Some(len) = crate::stream::whole_delimited(payload, delim, limit) {
            let body = len - delim.len();
            let (parsed, wire) = if raw {
                let wire = bytes::Bytes::copy_from_slice(&payload[..len]);
                (wire.slice(..body), Some(wire))
            } else {
                (bytes::Bytes::copy_from_slice(&payload[..body]), None)
            };
            self.parse_and_route(dir, parsed, wire, len as u64, (ts, ts), false, ctx, out);
            payload = &payload[len..];
        }
        payload
    }

    /// Adds the reassemblers' statistics to the counters (once, when the
    /// connection ends).
    fn harvest(&mut self, counters: &mut Counters) {
        if std::mem::replace(&mut self.harvested, true) {
            return;
        }
        for side in &self.sides {
            let stats = side.reasm.stats();
            counters.bytes_retransmitted += stats.retransmitted_bytes + stats.overlap_bytes;
            counters.segments_out_of_order += stats.out_of_order_segments;
            counters.out_of_order_overflows += stats.overflows;
            counters.gaps += stats.gaps;
            counters.bytes_lost += stats.bytes_lost;
        }
    }

    /// Publishes requests that waited longer than the transaction timeout.
    pub(crate) fn expire(
        &mut self,
        now: Timestamp,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let outcome = self
            .correlator
            .expire(now, ctx.config.transaction_timeout, out);
        count(ctx.counters, outcome);
    }

    /// Whether [`expire`](Self::expire) has anything to do at `now`.
    pub(crate) fn has_expired(&self, now: Timestamp, config: &Config) -> bool {
        self.correlator.has_expired(now, config.transaction_timeout)
    }

    /// Ends the connection: messages cut short, then pending requests, are
    /// published.
    pub(crate) fn close(
        &mut self,
        why: Close,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        // Holes that never filled are lost; what follows them is analyzed.
        let ts = self.last_seen;
        for dir in [Direction::FromClient, Direction::FromServer] {
            if !self.sides[index(dir)].ended {
                self.feed(dir, ts, Feed::Flush, ctx, out);
            }
        }
        for dir in [Direction::FromClient, Direction::FromServer] {
            // A direction whose FIN was seen (past a hole) ended by it.
            let side = &self.sides[index(dir)];
            let why = if side.fin_seen && side.reasm.is_finished() {
                Close::Fin
            } else {
                why
            };
            self.end_stream(dir, why, ctx, out);
        }
        self.harvest(ctx.counters);
        let outcome = self.correlator.flush(why.unanswered(), out);
        count(ctx.counters, outcome);
    }
}

fn count(counters: &mut Counters, outcome: Outcome) {
    counters.transactions += outcome.paired
        + outcome.unanswered
        + outcome.over_limit
        + outcome.unmatched
        + outcome.no_response;
    counters.requests_no_response_expected += outcome.no_response;
    counters.transactions_answered += outcome.paired;
    counters.requests_unanswered += outcome.unanswered + outcome.over_limit;
    counters.requests_over_pending_limit += outcome.over_limit;
    counters.responses_unmatched += outcome.unmatched;
}
