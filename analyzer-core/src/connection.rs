//! One TCP connection: its two byte streams in sequence order, cut into
//! messages, and the requests waiting for responses.

use std::sync::Arc;

use crate::config::Config;
use crate::correlate::{Answer, Correlator, Outcome, Unanswered};
use crate::counters::Counters;
use crate::decode::TcpSegment;
use crate::flow::Flow;
use crate::framing::Framing;
use crate::message::{Message, Transaction};
use crate::protocol::{Direction, Kind, Protocol};
use crate::stream::{DropReason, Frame, Partial, StreamBuffer};
use crate::time::Timestamp;

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
    EndOfInput,
}

impl Close {
    fn cut_by(self) -> &'static str {
        match self {
            Close::Fin => "FIN",
            Close::Rst => "RST",
            Close::Idle => "idle expiry",
            Close::Evicted => "eviction from the full flow table",
            Close::EndOfInput => "the end of the capture",
        }
    }

    fn unanswered(self) -> Unanswered {
        match self {
            Close::Fin | Close::Rst => Unanswered::Closed,
            Close::Idle => Unanswered::Idle,
            Close::Evicted => Unanswered::Evicted,
            Close::EndOfInput => Unanswered::EndOfInput,
        }
    }
}

/// One direction's stream and where it is in sequence space.
struct Side {
    stream: StreamBuffer,
    /// Sequence number of the next byte expected.
    next_seq: Option<u32>,
    fin: bool,
}

pub(crate) struct Connection<P> {
    /// Creation order: events of different connections flushed together come
    /// out in this order.
    pub id: u64,
    pub flow: Arc<Flow>,
    pub last_seen: Timestamp,
    sides: [Side; 2],
    correlator: Correlator<P>,
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::FromClient => 0,
        Direction::FromServer => 1,
    }
}

fn role(kind: Kind) -> &'static str {
    match kind {
        Kind::Request => "request",
        Kind::Response | Kind::Error => "response",
    }
}

impl<P: Protocol> Connection<P> {
    pub(crate) fn new(id: u64, flow: Arc<Flow>, now: Timestamp, config: &Config) -> Self {
        let side = || Side {
            stream: StreamBuffer::new(config.max_message_size),
            next_seq: None,
            fin: false,
        };
        Connection {
            id,
            flow,
            last_seen: now,
            sides: [side(), side()],
            correlator: Correlator::new(config.max_pending_requests),
        }
    }

    /// Which way a segment from `src` travels.
    pub(crate) fn direction_from(&self, src: (std::net::IpAddr, u16)) -> Direction {
        if src == self.flow.server {
            Direction::FromServer
        } else {
            Direction::FromClient
        }
    }

    /// Handles one segment. Returns true when the connection is over (FIN
    /// both ways, or RST) and everything it held has been published.
    pub(crate) fn segment(
        &mut self,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) -> bool {
        let dir = self.direction_from(seg.src);
        self.last_seen = self.last_seen.max(ts);
        let side = &mut self.sides[index(dir)];
        let mut seq = seg.seq;
        if seg.flags.syn {
            seq = seq.wrapping_add(1);
            side.next_seq = Some(seq);
        }
        if !seg.payload.is_empty() {
            let data = accept(&P::FRAMING, side, seq, seg.payload, ts, ctx.counters);
            if !data.is_empty() {
                side.stream.push(ts, data);
            }
            self.drain(dir, ctx, out);
        }
        if seg.flags.rst {
            self.close(Close::Rst, ctx, out);
            return true;
        }
        if seg.flags.fin && !self.sides[index(dir)].fin {
            let side = &mut self.sides[index(dir)];
            side.fin = true;
            side.next_seq = Some(seq.wrapping_add(seg.payload.len() as u32).wrapping_add(1));
            self.end_stream(dir, Close::Fin, ctx, out);
            if dir == Direction::FromServer {
                // No response can come any more.
                let outcome = self.correlator.flush(Unanswered::Closed, out);
                count(ctx.counters, outcome);
            }
        }
        self.sides.iter().all(|s| s.fin)
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
        self.end_stream(Direction::FromClient, why, ctx, out);
        self.end_stream(Direction::FromServer, why, ctx, out);
        let outcome = self.correlator.flush(why.unanswered(), out);
        count(ctx.counters, outcome);
    }

    /// Publishes the unfinished message of one direction, if any.
    fn end_stream(
        &mut self,
        dir: Direction,
        why: Close,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let Some(partial) = self.sides[index(dir)].stream.take_partial() else {
            return;
        };
        let Partial {
            wire,
            wire_len,
            lost,
            start,
            end,
        } = partial;
        let kind = dir.default_kind();
        let mut notes = Vec::new();
        if lost > 0 {
            ctx.counters.messages_with_loss += 1;
            notes.push(format!(
                "packet loss while capturing the {} ({lost} bytes lost)",
                role(kind)
            ));
        }
        ctx.counters.messages_cut_short += 1;
        notes.push(format!(
            "{} cut short by {}: {wire_len} bytes without a delimiter",
            role(kind),
            why.cut_by()
        ));
        let wire = (!wire.is_empty()).then_some(wire);
        let message = self.message(kind, dir, start, end, wire_len, None, wire, ctx.config);
        if kind == Kind::Request {
            // The server never saw the end of it: no response will come.
            ctx.counters.requests += 1;
            ctx.counters.transactions += 1;
            out(Transaction::new(Some(message), None, notes));
        } else {
            self.route(message, notes, ctx, out);
        }
    }

    /// Turns every complete frame held in `dir`'s stream into a message.
    fn drain(&mut self, dir: Direction, ctx: &mut Ctx<'_>, out: &mut impl FnMut(Transaction<P>)) {
        while let Some(frame) = self.sides[index(dir)].stream.next_frame(&P::FRAMING, dir) {
            let mut notes = Vec::new();
            let message = match frame {
                Frame::Complete {
                    wire,
                    payload,
                    start,
                    end,
                } => {
                    let wire_len = wire.len() as u64;
                    match P::parse(payload, dir) {
                        Ok(parsed) => {
                            let kind = parsed.kind();
                            self.message(
                                kind,
                                dir,
                                start,
                                end,
                                wire_len,
                                Some(parsed),
                                Some(wire),
                                ctx.config,
                            )
                        }
                        Err(err) => {
                            let kind = dir.default_kind();
                            ctx.counters.messages_unparsed += 1;
                            notes.push(format!("unparseable {}: {err}", role(kind)));
                            self.message(
                                kind,
                                dir,
                                start,
                                end,
                                wire_len,
                                None,
                                Some(wire),
                                ctx.config,
                            )
                        }
                    }
                }
                Frame::Dropped {
                    wire_len,
                    reason,
                    start,
                    end,
                } => {
                    let kind = dir.default_kind();
                    match reason {
                        DropReason::TooLong => {
                            ctx.counters.messages_too_long += 1;
                            notes.push(format!(
                                "{} of {wire_len} bytes exceeds the maximum message size ({} bytes): not analyzed",
                                role(kind),
                                ctx.config.max_message_size
                            ));
                        }
                        DropReason::Lost(lost) => {
                            ctx.counters.messages_with_loss += 1;
                            notes.push(format!(
                                "packet loss while capturing the {} ({lost} bytes lost)",
                                role(kind)
                            ));
                        }
                        DropReason::Invalid(why) => {
                            ctx.counters.messages_unparsed += 1;
                            notes.push(format!("unparseable {}: {why}", role(kind)));
                        }
                    }
                    self.message(kind, dir, start, end, wire_len, None, None, ctx.config)
                }
            };
            self.route(message, notes, ctx, out);
        }
    }

    /// Builds a message, keeping its raw bytes only when they will be sent.
    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        kind: Kind,
        direction: Direction,
        start: Timestamp,
        end: Timestamp,
        wire_len: u64,
        fields: Option<P>,
        wire: Option<bytes::Bytes>,
        config: &Config,
    ) -> Message<P> {
        let keep = match kind {
            Kind::Request => config.send_request,
            Kind::Response | Kind::Error => config.send_response,
        };
        Message {
            kind,
            direction,
            start,
            end,
            wire_len,
            fields,
            wire: wire.filter(|_| keep),
        }
    }

    /// Hands a message to the correlator, with what the protocol says about
    /// pairing it.
    fn route(
        &mut self,
        message: Message<P>,
        notes: Vec<String>,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let key = message.fields.as_ref().and_then(P::correlation_key);
        let outcome = if message.kind == Kind::Request {
            ctx.counters.requests += 1;
            let answer = match &message.fields {
                Some(fields) if !fields.expects_response() => Answer::Never,
                Some(fields) if fields.response_optional() => Answer::Optional,
                _ => Answer::Required,
            };
            self.correlator.request(message, notes, key, answer, out)
        } else {
            ctx.counters.responses += 1;
            self.correlator.response(message, notes, key, out)
        };
        count(ctx.counters, outcome);
    }
}

/// Places a segment's payload in sequence space: returns the bytes not seen
/// before, counting retransmitted bytes and recording a gap as lost bytes.
fn accept<'a>(
    framing: &Framing,
    side: &mut Side,
    seq: u32,
    payload: &'a [u8],
    ts: Timestamp,
    counters: &mut Counters,
) -> &'a [u8] {
    let next = *side.next_seq.get_or_insert(seq);
    let offset = seq.wrapping_sub(next) as i32;
    let len = payload.len() as u32;
    if offset < 0 {
        let seen = offset.unsigned_abs();
        if seen >= len {
            counters.bytes_retransmitted += u64::from(len);
            return &[];
        }
        counters.bytes_retransmitted += u64::from(seen);
        side.next_seq = Some(seq.wrapping_add(len));
        return &payload[seen as usize..];
    }
    if offset > 0 {
        counters.gaps += 1;
        counters.bytes_lost += u64::from(offset as u32);
        side.stream.lose(ts, u64::from(offset as u32), framing);
    }
    side.next_seq = Some(seq.wrapping_add(len));
    payload
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
