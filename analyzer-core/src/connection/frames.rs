//! From frames to messages: each frame (or unfinished message) cut from a
//! direction's stream becomes a message with its notes and counters, handed
//! to the correlator.

use super::{count, index, role, Close, Connection, Ctx};
use crate::config::Config;
use crate::correlate::Answer;
use crate::framing::{FrameLen, Framing};
use crate::message::{Message, Transaction};
use crate::protocol::{Direction, Kind, Protocol};
use crate::stream::{Complete, DropReason, Dropped, Frame, Partial};
use crate::time::Timestamp;

impl<P: Protocol> Connection<P> {
    /// Publishes the unfinished message of one direction, if any.
    pub(super) fn end_stream(
        &mut self,
        dir: Direction,
        why: Close,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        if let Some(rejected) = self.sides[index(dir)].stream.take_rejected() {
            self.handle_frame(dir, rejected, ctx, out);
        }
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
            ctx.counters.requests_cut_short += 1;
            ctx.counters.transactions += 1;
            out(Transaction::new(Some(message), None, notes));
        } else {
            self.route(message, notes, ctx, out);
        }
    }

    /// Turns a frame into a message and hands it on.
    #[inline(always)]
    pub(super) fn handle_frame(
        &mut self,
        dir: Direction,
        frame: Frame,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        match frame {
            Frame::Complete(frame) => self.complete(dir, frame, ctx, out),
            Frame::Dropped(dropped) => self.handle_dropped(dir, *dropped, ctx, out),
        }
    }

    /// A frame whose bytes were not kept (out of line: rare).
    #[inline(never)]
    fn handle_dropped(
        &mut self,
        dir: Direction,
        dropped: Dropped,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let Dropped {
            wire_len,
            reason,
            start,
            end,
            after_gap,
        } = dropped;
        // The gap may have ended on a message boundary: if what
        // follows it parses, it is a message of its own and only the
        // bytes before it are damaged.
        let body = match (&reason, &after_gap, P::FRAMING) {
            (DropReason::Lost(_), Some(tail), Framing::Delimiter(delim)) => {
                Some(tail.slice(..tail.len().saturating_sub(delim.len())))
            }
            // A line alone (no data block, no further parts).
            (DropReason::Lost(_), Some(tail), Framing::Lines(lines))
                if lines.frame_len(tail, dir) == FrameLen::Complete(tail.len()) =>
            {
                Some(tail.slice(..tail.len() - lines.end_len(tail)))
            }
            _ => None,
        };
        if let (Some(tail), Some(body)) = (&after_gap, body) {
            if tail.len() as u64 <= wire_len && P::parse(body.clone(), dir).is_ok() {
                let damaged = wire_len - tail.len() as u64;
                self.dropped(dir, damaged, reason, start, end, ctx, out);
                let payload = 0..body.len();
                let frame = Complete {
                    wire: tail.clone(),
                    payload,
                    start: end,
                    end,
                    cut: false,
                };
                self.complete(dir, frame, ctx, out);
                return;
            }
        }
        self.dropped(dir, wire_len, reason, start, end, ctx, out);
    }

    /// A complete frame: parsed, or published as unparseable.
    #[inline]
    fn complete(
        &mut self,
        dir: Direction,
        frame: Complete,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let (start, end, cut) = (frame.start, frame.end, frame.cut);
        let wire_len = frame.wire.len() as u64;
        // The raw bytes are kept (one clone) only when raw requests or
        // responses are sent; otherwise the frame's own handle becomes the
        // payload, with no reference count taken. (The kind is known only
        // after parsing; `message` drops the clone if it is not for it.)
        let wire =
            (ctx.config.send_request || ctx.config.send_response).then(|| frame.wire.clone());
        let payload = frame.into_payload();
        self.parse_and_route(dir, payload, wire, wire_len, (start, end), cut, ctx, out);
    }

    /// A complete message's `payload` (the part the protocol parses) and,
    /// when raw bytes are sent, its `wire` bytes: parsed, or published as
    /// unparseable.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse_and_route(
        &mut self,
        dir: Direction,
        payload: bytes::Bytes,
        wire: Option<bytes::Bytes>,
        wire_len: u64,
        (start, end): (Timestamp, Timestamp),
        cut: bool,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let mut notes = Vec::new();
        let (kind, fields) = match P::parse(payload, dir) {
            Ok(parsed) => (parsed.kind(), Some(parsed)),
            Err(err) => {
                let kind = dir.default_kind();
                ctx.counters.messages_unparsed += 1;
                notes.push(format!("unparseable {}: {err}", role(kind)));
                (kind, None)
            }
        };
        let mut message = self.message(kind, dir, start, end, wire_len, fields, wire, ctx.config);
        if cut {
            ctx.counters.messages_split += 1;
            message.cut = true;
            notes.push(format!(
                "{} cut after {wire_len} bytes, at a part boundary: longer than the maximum message size ({} bytes) or more parts than allowed; the rest follows as a message of its own",
                role(kind),
                ctx.config.max_message_size
            ));
        }
        self.route(message, notes, ctx, out);
    }

    /// A message whose bytes were not kept, with a note saying why.
    #[allow(clippy::too_many_arguments)]
    fn dropped(
        &mut self,
        dir: Direction,
        wire_len: u64,
        reason: DropReason,
        start: Timestamp,
        end: Timestamp,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let kind = dir.default_kind();
        let note = match reason {
            DropReason::TooLong => {
                ctx.counters.messages_too_long += 1;
                format!(
                    "{} of {wire_len} bytes exceeds the maximum message size ({} bytes): not analyzed",
                    role(kind),
                    ctx.config.max_message_size
                )
            }
            DropReason::Lost(lost) => {
                ctx.counters.messages_with_loss += 1;
                format!(
                    "packet loss while capturing the {} ({lost} bytes lost)",
                    role(kind)
                )
            }
            DropReason::Invalid(why) => {
                ctx.counters.messages_unparsed += 1;
                format!("unparseable {}: {why}", role(kind))
            }
        };
        let message = self.message(kind, dir, start, end, wire_len, None, None, ctx.config);
        self.route(message, vec![note], ctx, out);
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
            cut: false,
        }
    }

    /// Hands a message to the correlator, with what the protocol says about
    /// pairing it.
    #[inline]
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
