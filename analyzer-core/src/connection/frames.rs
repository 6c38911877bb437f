//! From frames to messages: each frame (or unfinished frame) cut from a
//! direction's stream is read, changes the session, and goes to the
//! correlator with its notes and counters.

use bytes::Bytes;

use super::{count, Close, Connection, Ctx};
use crate::config::Config;
use crate::correlate::{Answer, Shape};
use crate::frame_len::FrameLen;
use crate::message::{Message, Transaction};
use crate::protocol::{Cx, Follow, Framer, Protocol};
use crate::role::{Direction, Kind};
use crate::stream::{AfterGap, Complete, DropReason, Dropped, Frame, Partial};
use crate::time::Timestamp;

impl<P: Protocol> Connection<P> {
    /// Publishes the unfinished frame of one direction, if any, and ends
    /// the message it was folding.
    pub(super) fn end_stream(
        &mut self,
        dir: Direction,
        why: Close,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        if self.stopped {
            return;
        }
        if let Some(rejected) = self.sides[dir.index()].stream.take_rejected() {
            self.handle_frame(dir, rejected, ctx, out);
        }
        if let Some(partial) = self.sides[dir.index()].take_partial() {
            self.partial(dir, partial, why, ctx, out);
        }
        let note = || format!("message cut short by {}", why.cut_by());
        let outcome = self.correlator.end_folding(dir, note, out);
        count(ctx.counters, outcome);
    }

    /// The bytes of a frame its direction's end cut short.
    fn partial(
        &mut self,
        dir: Direction,
        partial: Partial,
        why: Close,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
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
                kind.role()
            ));
        }
        ctx.counters.messages_cut_short += 1;
        notes.push(format!(
            "{} cut short by {}: {wire_len} bytes without a delimiter",
            kind.role(),
            why.cut_by()
        ));
        let wire = (!wire.is_empty()).then_some(wire);
        let mut message = message(kind, dir, (start, end), wire_len, None, wire, ctx.config);
        message.cut = true;
        if kind == Kind::Request && !self.correlator.is_folding(dir) {
            // The server never saw the end of it: no response will come.
            ctx.counters.requests += 1;
            ctx.counters.requests_cut_short += 1;
            ctx.counters.transactions += 1;
            out(Transaction::new(Some(message), None, notes));
        } else {
            self.route(dir, message, notes, false, ctx, out);
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
            blind,
            after_gap,
        } = dropped;
        if blind && matches!(reason, DropReason::Lost(_)) {
            // Whole messages may have gone with the lost bytes.
            self.correlator.lost(dir);
        }
        // The gap may have ended on a frame boundary: if what follows it,
        // up to the sync sequence, is a frame and reads as a message, it is
        // one and only the bytes before it are damaged.
        if let Some(AfterGap {
            wire: tail,
            start: tail_start,
        }) = after_gap.filter(|t| t.wire.len() as u64 <= wire_len)
        {
            let mut framer = P::framer(dir);
            let cx = Cx::new(dir, &self.session).with_limit(ctx.config.max_message_size);
            if framer.frame(&tail, &cx) == FrameLen::Complete(tail.len()) {
                let payload = framer.payload(&tail);
                let reads = match framer.take_parsed() {
                    Some(parsed) => parsed.is_ok(),
                    None => P::parse(tail.slice(payload.clone()), &cx).is_ok(),
                };
                if reads {
                    let damaged = wire_len - tail.len() as u64;
                    self.dropped(dir, damaged, reason, (start, end), blind, ctx, out);
                    let frame = Complete {
                        wire: tail,
                        payload,
                        start: tail_start,
                        end,
                        cut: false,
                    };
                    self.complete(dir, frame, ctx, out);
                    return;
                }
            }
        }
        self.dropped(dir, wire_len, reason, (start, end), blind, ctx, out);
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

    /// A complete frame's `payload` (the part the protocol parses) and,
    /// when raw bytes are sent, its `wire` bytes: read (by the framer
    /// already, or by `P::parse`), then the session updated, then routed.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse_and_route(
        &mut self,
        dir: Direction,
        payload: Bytes,
        wire: Option<Bytes>,
        wire_len: u64,
        times: (Timestamp, Timestamp),
        cut: bool,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let parsed = match self.sides[dir.index()].framer.take_parsed() {
            Some(parsed) => parsed,
            None => {
                let limit = ctx.config.max_message_size;
                P::parse(
                    payload,
                    &super::cx(&self.session, &self.correlator, dir, limit),
                )
            }
        };
        // A message that begins anew while its side folds one (the protocol
        // says so): the folded one ends, complete, first; then this one is
        // handled as any first frame (published or not).
        if let Ok(parsed) = &parsed {
            if parsed.ends_previous() && self.correlator.is_folding(dir) {
                let outcome = self.correlator.end_folding_complete(dir, out);
                count(ctx.counters, outcome);
            }
        }
        let parsed = match parsed {
            Ok(parsed) if !cut && !parsed.published() && !self.correlator.is_folding(dir) => {
                // Setting the connection up or taking it down: no transaction.
                ctx.counters.messages_not_published += 1;
                if let Follow::Stop(why) = parsed.update(&mut self.session, dir) {
                    self.stop(why, ctx, out);
                }
                return;
            }
            parsed => parsed,
        };
        let mut notes = Vec::new();
        let (kind, fields, follow) = match parsed {
            Ok(parsed) => {
                if let Some(note) = parsed.note() {
                    notes.push(note.into_owned());
                }
                let kind = parsed.kind().unwrap_or(dir.default_kind());
                let follow = parsed.update(&mut self.session, dir);
                (kind, Some(parsed), follow)
            }
            Err(err) => {
                let kind = dir.default_kind();
                ctx.counters.messages_unparsed += 1;
                notes.push(format!("unparseable {}: {err}", kind.role()));
                (kind, None, Follow::Continue)
            }
        };
        let mut message = message(kind, dir, times, wire_len, fields, wire, ctx.config);
        if cut {
            ctx.counters.messages_split += 1;
            message.cut = true;
            notes.push(format!(
                "{} cut after {wire_len} bytes, at a part boundary: longer than the maximum message size ({} bytes) or more parts than allowed; the rest follows as a message of its own",
                kind.role(),
                ctx.config.max_message_size
            ));
        }
        let continues = message.fields.as_ref().is_some_and(P::continues);
        self.route(dir, message, notes, continues, ctx, out);
        if let Follow::Stop(why) = follow {
            self.stop(why, ctx, out);
        }
    }

    /// A frame whose bytes were not kept, with a note saying why.
    #[allow(clippy::too_many_arguments)]
    fn dropped(
        &mut self,
        dir: Direction,
        wire_len: u64,
        reason: DropReason,
        times: (Timestamp, Timestamp),
        blind: bool,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let kind = dir.default_kind();
        let note = match reason {
            DropReason::TooLong => {
                ctx.counters.messages_too_long += 1;
                format!(
                    "{} of {wire_len} bytes exceeds the maximum message size ({} bytes): not analyzed",
                    kind.role(),
                    ctx.config.max_message_size
                )
            }
            DropReason::Lost(lost) => {
                ctx.counters.messages_with_loss += 1;
                format!(
                    "packet loss while capturing the {} ({lost} bytes lost)",
                    kind.role()
                )
            }
            DropReason::Invalid(why) => {
                ctx.counters.messages_unparsed += 1;
                format!("unparseable {}: {why}", kind.role())
            }
        };
        let mut message = message(kind, dir, times, wire_len, None, None, ctx.config);
        message.cut = true;
        // A frame skipped by its known length inside a folded message (a
        // lost row of a result set) leaves the message going on; one after
        // which the stream lost its place ends it.
        let continues = !blind && self.correlator.is_folding(dir);
        self.route(dir, message, vec![note], continues, ctx, out);
    }

    /// Hands a message to the correlator, with what the protocol says about
    /// pairing it.
    #[inline(always)]
    fn route(
        &mut self,
        dir: Direction,
        message: Message<P>,
        notes: Vec<String>,
        continues: bool,
        ctx: &mut Ctx<'_>,
        out: &mut impl FnMut(Transaction<P>),
    ) {
        let fields = message.fields.as_ref();
        let answer = match fields {
            Some(fields) if !fields.expects_response() => Answer::Never,
            Some(fields) if fields.response_optional() => Answer::Optional,
            _ => Answer::Required,
        };
        let shape = Shape {
            kind: message.kind,
            key: fields.and_then(P::correlation_key),
            answer,
            continues,
        };
        if !self.correlator.is_folding(dir) {
            match message.kind {
                Kind::Request => {
                    ctx.counters.requests += 1;
                    if std::mem::take(&mut self.quiet[dir.index()]) {
                        let outcome = self.correlator.quiet(dir, out);
                        count(ctx.counters, outcome);
                    }
                }
                Kind::Response | Kind::Error => ctx.counters.responses += 1,
                Kind::Greeting => {}
            }
        }
        let outcome = self.correlator.message(dir, message, notes, shape, out);
        count(ctx.counters, outcome);
    }
}

/// Builds a message, keeping its raw bytes only when they will be sent.
fn message<P>(
    kind: Kind,
    direction: Direction,
    (start, end): (Timestamp, Timestamp),
    wire_len: u64,
    fields: Option<P>,
    wire: Option<Bytes>,
    config: &Config,
) -> Message<P> {
    let keep = match kind {
        Kind::Request => config.send_request,
        Kind::Response | Kind::Error | Kind::Greeting => config.send_response,
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
