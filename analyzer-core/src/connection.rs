//! One TCP connection: its two byte streams in sequence order, cut into
//! frames by each direction's framer, read with the connection's session,
//! folded into messages and paired into transactions.

use crate::config::Config;
use crate::correlate::{Correlator, Outcome, Unanswered};
use crate::counters::Counters;
use crate::decode::TcpSegment;
use crate::frame_len::FrameLen;
use crate::message::Transaction;
use crate::protocol::{Cx, Framer, Protocol};
use crate::reassembly::{Chunk, Reassembler, ReassemblyLimits};
use crate::role::Direction;
use crate::stream::Frame;
use crate::time::Timestamp;
use lazy_stream::LazyStream;

mod frames;
mod lazy_stream;

/// The engine's shared state a connection updates.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub counters: &'a mut Counters,
    /// Frames cut during one feed, shared by the connections (reused to
    /// avoid an allocation per packet, and kept by none of them).
    pub scratch: &'a mut Vec<Frame>,
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

/// One direction: its bytes put back in order, then cut into frames.
///
/// In this order: the flags, the reassembler's in-order state (its rare
/// state boxed), the stream buffer (a word while it holds nothing), the
/// framer. Not cache-aligned: small, so that many connections stay small.
#[repr(C)]
struct Side<F> {
    /// [`DATA_SEEN`] and [`PEER_ACKED`].
    seen: u8,
    /// A FIN was seen (its sequence number may lie past a hole).
    fin_seen: bool,
    /// Packets from the peer seen while this direction has a hole: at
    /// [`ACKS_TO_DECLARE_LOSS`], acknowledged bytes in the hole are lost.
    acks_over_hole: u8,
    /// Every byte before this direction's FIN was delivered and its last
    /// message handled.
    ended: bool,
    /// The latest acknowledgment number the peer sent for this direction
    /// (when [`PEER_ACKED`]).
    peer_ack: u32,
    reasm: Reassembler,
    stream: LazyStream,
    framer: F,
}

impl<F> Side<F> {
    /// The bytes held of an unfinished frame, taken out of the stream; the
    /// framer starts over (it may have kept where its search stopped in
    /// those bytes).
    fn take_partial<P>(&mut self) -> Option<crate::stream::Partial>
    where
        P: crate::protocol::Conversation,
        F: Framer<P>,
    {
        let partial = self.stream.take_partial()?;
        self.framer.reset();
        Some(partial)
    }
}

/// [`Side::seen`]: payload was seen (a new SYN then means a new
/// connection).
const DATA_SEEN: u8 = 1;
/// [`Side::seen`]: the peer acknowledged something (`peer_ack` is set).
const PEER_ACKED: u8 = 2;

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
/// what every packet touches first (one cache line: the time, which side
/// is the server, whether the analysis stopped, the requests waiting and
/// what the correlator reads of every message), then what is rarely
/// touched, then the sides.
#[repr(C)]
pub(crate) struct Connection<P: Protocol> {
    pub last_seen: Timestamp,
    /// The server is the first endpoint of the connection's flow key:
    /// which way a segment travels.
    server_first: bool,
    /// The analysis stopped ([`Follow::Stop`]): later bytes are counted.
    ///
    /// [`Follow::Stop`]: crate::Follow::Stop
    stopped: bool,
    /// Per side: a segment came while nothing was in flight either way
    /// (each side had acknowledged all the other sent) and nothing of a
    /// message was held: the next request from that side, which started
    /// then, cannot be answered by anything sent before. Cleared when that
    /// request is routed.
    quiet: [bool; 2],
    /// The reassemblers' statistics were added to the counters.
    harvested: bool,
    correlator: Correlator<P>,
    /// Creation order: events of different connections flushed together come
    /// out in this order.
    pub id: u64,
    session: P::Session,
    sides: [Side<P::Framer>; 2],
}

/// The next frame `side`'s stream holds, cut by its framer, which sees the
/// connection through a [`Cx`].
#[inline(always)]
fn next_frame<P: Protocol>(
    side: &mut Side<P::Framer>,
    session: &P::Session,
    correlator: &Correlator<P>,
    dir: Direction,
    limit: usize,
) -> Option<Frame> {
    let cx = cx(session, correlator, dir, limit);
    side.stream.next_frame(&mut side.framer, &cx)
}

/// What framing and parsing of `dir` see.
#[inline(always)]
fn cx<'a, P: Protocol>(
    session: &'a P::Session,
    correlator: &'a Correlator<P>,
    dir: Direction,
    limit: usize,
) -> Cx<'a, P> {
    Cx::new(dir, session)
        .with_pending(correlator)
        .with_limit(limit)
}

impl<P: Protocol> Connection<P> {
    /// Starts loading what its next packet reads beyond it (a hint: see
    /// `Engine::prefetch`).
    #[inline(always)]
    pub(crate) fn prefetch_satellites(&self) {
        self.correlator.prefetch_front();
        self.sides.iter().for_each(|side| side.stream.prefetch());
    }

    /// Starts loading the text of the oldest request waiting for an answer
    /// (its entry was loaded by the look-ahead), which the answer's event
    /// writes: a hint, see `Protocol::prefetch`.
    #[inline(always)]
    pub(crate) fn prefetch_waiting_request(&self) {
        self.correlator.prefetch_front_fields();
    }

    /// A connection whose server is the first endpoint of its flow key
    /// (`server_first`) or the second.
    pub(crate) fn new(id: u64, server_first: bool, now: Timestamp, config: &Config) -> Self {
        let limits = ReassemblyLimits {
            max_bytes: config.max_out_of_order_bytes,
            max_segments: config.max_out_of_order_segments,
        };
        let side = |dir| Side {
            reasm: Reassembler::new(limits),
            stream: LazyStream::default(),
            framer: P::framer(dir),
            seen: 0,
            fin_seen: false,
            acks_over_hole: 0,
            ended: false,
            peer_ack: 0,
        };
        Connection {
            id,
            server_first,
            last_seen: now,
            sides: [side(Direction::FromClient), side(Direction::FromServer)],
            correlator: Correlator::new(config.max_pending_requests),
            session: P::session(config),
            harvested: false,
            quiet: [false; 2],
            stopped: false,
        }
    }

    /// Whether a SYN from the client means a new connection on this
    /// 4-tuple: this one already carried data or ended a direction.
    pub(crate) fn is_reused_by_syn(&self) -> bool {
        let client = &self.sides[Direction::FromClient.index()];
        client.seen & DATA_SEEN != 0 || self.sides.iter().any(|s| s.ended)
    }

    /// Which way a segment travels, its source being the first endpoint
    /// of the flow key or not.
    #[inline]
    pub(crate) fn direction_from(&self, src_first: bool) -> Direction {
        if src_first == self.server_first {
            Direction::FromServer
        } else {
            Direction::FromClient
        }
    }

    /// Handles one segment. Returns true when the connection is over (both
    /// directions ended, or RST) and everything it held has been published.
    ///
    /// `src_first`: its source is the first endpoint of the flow key.
    pub(crate) fn segment(
        &mut self,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        src_first: bool,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> bool {
        let dir = self.direction_from(src_first);
        self.last_seen = self.last_seen.max(ts);
        let mut seq = seg.seq;
        if seg.flags.syn {
            self.sides[dir.index()].reasm.syn(seq);
            seq = seq.wrapping_add(1);
        }
        if seg.flags.ack {
            self.acknowledged(dir, ts, seg, ctx, out);
        }
        if !seg.payload.is_empty() {
            self.sides[dir.index()].seen |= DATA_SEEN;
            let unsure = self.correlator.out_of_step(dir) || self.correlator.owes(dir);
            if unsure && self.is_quiet(dir, seq, seg) {
                self.quiet[dir.index()] = true;
            }
            self.feed(dir, ts, Feed::Segment(seq, seg.payload), ctx, out);
        }
        if seg.flags.rst {
            self.close(Close::Rst, ctx, out);
            return true;
        }
        if seg.flags.fin {
            self.sides[dir.index()].fin_seen = true;
            let fin_seq = seq.wrapping_add(seg.payload.len() as u32);
            self.sides[dir.index()].reasm.fin(fin_seq);
        }
        for d in [dir, dir.reverse()] {
            self.end_if_finished(d, ctx, out);
        }
        self.correlator.release();
        for side in &mut self.sides {
            side.stream.tidy();
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

    /// The segment from `dir` acknowledges the other direction's bytes up
    /// to `seg.ack`: once the peer keeps saying so, a hole before it was
    /// lost in capture, not on the network.
    fn acknowledged(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let other = &mut self.sides[dir.reverse().index()];
        other.peer_ack = seg.ack;
        other.seen |= PEER_ACKED;
        let hole = other.reasm.buffered_bytes() > 0 || (other.fin_seen && !other.ended);
        other.acks_over_hole = if hole {
            other.acks_over_hole.saturating_add(1)
        } else {
            0
        };
        // A segment with data acknowledging the hole answers what was in
        // it: declare the loss at once, so the answer pairs right. Data
        // acknowledging bytes never seen at all (a lost tail) counts too.
        let answer = !seg.payload.is_empty();
        let declare = answer || other.acks_over_hole >= ACKS_TO_DECLARE_LOSS;
        if declare && other.reasm.acknowledges_unseen(seg.ack) {
            other.acks_over_hole = 0;
            self.feed(dir.reverse(), ts, Feed::Ack(seg.ack), ctx, out);
            // An answer sent after the lost bytes: the message they hit
            // most likely ended with them.
            let other = &mut self.sides[dir.reverse().index()];
            if answer && other.reasm.buffered_bytes() == 0 {
                if let Some(frame) = other.stream.end_at_gap() {
                    self.handle_frame(dir.reverse(), frame, ctx, out);
                }
            }
        }
    }

    /// Whether the data segment `seg` from `dir` (its payload at `seq`)
    /// comes while nothing is in flight: it acknowledges every byte the
    /// peer sent (nothing held out of order), no message is half-received
    /// either way, and the peer acknowledged every byte `dir` sent before
    /// it, or no request of `dir` still waits (the peer got those it
    /// answered).
    fn is_quiet(&self, dir: Direction, seq: u32, seg: &TcpSegment<'_>) -> bool {
        let own = &self.sides[dir.index()];
        let peer = &self.sides[dir.reverse().index()];
        let peer_acked = seg.flags.ack
            && peer.reasm.buffered_bytes() == 0
            && peer.reasm.next_seq().is_none_or(|next| next == seg.ack);
        let own_acked = (own.seen & PEER_ACKED != 0
            && own.peer_ack == seq
            && own.reasm.next_seq() == Some(seq))
            || !self.correlator.waiting(dir);
        peer_acked && own_acked && own.stream.is_empty() && peer.stream.is_empty()
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
        let side = &mut self.sides[dir.index()];
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
        let limit = ctx.config.max_message_size.max(1);
        if let Feed::Segment(seq, payload) = op {
            let side = &mut self.sides[dir.index()];
            if side.reasm.take_in_order(seq, payload) {
                if self.stopped {
                    ctx.counters.bytes_not_analyzed += payload.len() as u64;
                    return;
                }
                // The usual case: the segment's bytes are the stream's next
                // ones, framed and handled straight away (no frame is
                // collected first).
                if side.stream.is_idle() {
                    self.whole_frames(dir, ts, payload, ctx, out);
                } else {
                    side.stream.push(ts, payload, limit);
                    self.drain(dir, limit, ctx, out);
                }
                return;
            }
        }
        let mut delivered = std::mem::take(ctx.scratch);
        let (session, correlator) = (&self.session, &self.correlator);
        let side = &mut self.sides[dir.index()];
        let Side {
            reasm,
            stream,
            framer,
            ..
        } = side;
        let mut deliver = |chunk: Chunk<'_>| {
            match chunk {
                Chunk::Data(data, at) => stream.push(at, data, limit),
                // A message whose known end the gap reaches is handed out
                // now, before the peer's answer to it is read.
                Chunk::Gap(lost) => stream.get(limit).lose(ts, lost, framer),
            }
            loop {
                let cx = cx(session, correlator, dir, limit);
                match stream.next_frame(framer, &cx) {
                    Some(frame) => delivered.push(frame),
                    None => break,
                }
            }
        };
        match op {
            Feed::Segment(seq, payload) => reasm.segment(seq, payload, ts, &mut deliver),
            Feed::Ack(ack) => reasm.ack(ack, &mut deliver),
            Feed::Flush => reasm.flush(&mut deliver),
        }
        for frame in delivered.drain(..) {
            if self.stopped {
                break;
            }
            self.handle_frame(dir, frame, ctx, out);
        }
        delivered.clear();
        *ctx.scratch = delivered;
    }

    /// Hands every frame `dir`'s stream holds to [`handle_frame`].
    ///
    /// [`handle_frame`]: Self::handle_frame
    #[inline(always)]
    fn drain(
        &mut self,
        dir: Direction,
        limit: usize,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        while !self.stopped {
            let side = &mut self.sides[dir.index()];
            let Some(frame) = next_frame(side, &self.session, &self.correlator, dir, limit) else {
                break;
            };
            self.handle_frame(dir, frame, ctx, out);
        }
    }

    /// With nothing held in the stream: the frames `payload` holds whole
    /// are cut straight from it, each copied once into an allocation of its
    /// own (recently freed memory, still in cache) rather than into the
    /// connection's buffer (cold by the time its next packet comes). What
    /// follows the last whole frame goes to the stream, with the framer's
    /// answer for it (so it is not asked again before more bytes come).
    #[inline]
    fn whole_frames(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        mut payload: &[u8],
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        // The stream's own limit (`StreamBuffer::new` takes the same).
        let limit = ctx.config.max_message_size.max(1);
        let raw = ctx.config.send_request || ctx.config.send_response;
        loop {
            if payload.is_empty() {
                return;
            }
            let side = &mut self.sides[dir.index()];
            let max = side.framer.max_frame().map_or(limit, |m| m.min(limit));
            let found = {
                let cx = cx(&self.session, &self.correlator, dir, limit);
                side.framer.frame(payload, &cx)
            };
            match found {
                FrameLen::Complete(len) if len <= max && len <= payload.len() => {
                    let body = side.framer.payload(&payload[..len]);
                    side.framer.reset();
                    let (parsed, wire) = if raw {
                        let wire = bytes::Bytes::copy_from_slice(&payload[..len]);
                        (wire.slice(body), Some(wire))
                    } else {
                        (bytes::Bytes::copy_from_slice(&payload[body]), None)
                    };
                    self.parse_and_route(dir, parsed, wire, len as u64, (ts, ts), false, ctx, out);
                    payload = &payload[len..];
                    if self.stopped {
                        ctx.counters.bytes_not_analyzed += payload.len() as u64;
                        return;
                    }
                }
                FrameLen::Incomplete(total) if total.is_none_or(|t| t <= max) => {
                    self.sides[dir.index()]
                        .stream
                        .push_framed(ts, payload, &found, limit);
                    return self.drain(dir, limit, ctx, out);
                }
                FrameLen::AtLeast(_) => {
                    self.sides[dir.index()]
                        .stream
                        .push_framed(ts, payload, &found, limit);
                    return self.drain(dir, limit, ctx, out);
                }
                // Too long, cut, rejected: the stream's way (asked again).
                _ => {
                    let side = &mut self.sides[dir.index()];
                    side.framer.reset();
                    side.stream.push(ts, payload, limit);
                    return self.drain(dir, limit, ctx, out);
                }
            }
        }
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
        self.correlator.release();
    }

    /// When the connection next needs attention: its idle expiry, or
    /// earlier the transaction timeout of its oldest complete request
    /// (what [`expire`](Self::expire) and the idle check look at).
    #[inline]
    pub(crate) fn deadline(&self, config: &Config) -> Timestamp {
        let idle = self.last_seen + config.connection_idle_timeout;
        match self.correlator.expiry(config.transaction_timeout) {
            Some(at) => at.min(idle),
            None => idle,
        }
    }

    /// Stops analyzing the connection after a message that switched it to
    /// something not analyzed: what waits is published with a note, the
    /// rest of its bytes are counted.
    fn stop(&mut self, why: &'static str, ctx: &mut Ctx<'_>, out: &mut impl FnMut(Transaction<P>)) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        ctx.counters.connections_not_followed += 1;
        let outcome = self.correlator.flush(Unanswered::NotFollowed(why), out);
        count(ctx.counters, outcome);
        for side in &mut self.sides {
            if let Some(partial) = side.take_partial() {
                ctx.counters.bytes_not_analyzed += partial.wire_len;
            }
        }
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
            if !self.sides[dir.index()].ended {
                self.feed(dir, ts, Feed::Flush, ctx, out);
            }
        }
        for dir in [Direction::FromClient, Direction::FromServer] {
            // A direction whose FIN was seen (past a hole) ended by it.
            let side = &self.sides[dir.index()];
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

pub(crate) fn count(counters: &mut Counters, outcome: Outcome) {
    counters.transactions += outcome.paired
        + outcome.unanswered
        + outcome.over_limit
        + outcome.unmatched
        + outcome.no_response
        + outcome.greetings;
    counters.requests_no_response_expected += outcome.no_response;
    counters.transactions_answered += outcome.paired;
    counters.requests_unanswered += outcome.unanswered + outcome.over_limit;
    counters.requests_over_pending_limit += outcome.over_limit;
    counters.responses_unmatched += outcome.unmatched;
    counters.greetings += outcome.greetings;
    counters.pairings_uncertain += outcome.uncertain;
    counters.resynchronizations += outcome.resynchronized;
}
