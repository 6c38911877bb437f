//! The usual request, read in one pass: an array of at most [`MOST`] bulk
//! strings (or short `+`, `-`, `:` lines) that is the whole frame. It gives
//! what the general path in `parse` gives; anything else is left to it.

use analyzer_core::{Kind, NetString};
use bytes::{Buf, Bytes};

use crate::command::command;
use crate::resp::{quick, scalar};
use crate::RedisMessage;

/// Most arguments read here; a longer command takes the general path.
const MOST: usize = 8;

/// Where the arguments of a request are in its frame.
#[derive(Default)]
pub(super) struct Args {
    spans: [(usize, usize); MOST],
    count: usize,
    /// The query's length: the arguments and a space between each two.
    len: usize,
}

/// Reads into `args` the arguments of the request whose array header is at
/// `pos`; `None` when it is not of the usual shape (or is not valid: the
/// general path then says why).
#[inline]
pub(super) fn scan(frame: &[u8], pos: usize, args: &mut Args) -> Option<()> {
    let (mut pos, count) = quick(frame, pos)?;
    let count = count as usize;
    if count == 0 || count > MOST {
        return None;
    }
    args.count = count;
    args.len = count - 1;
    for span in &mut args.spans[..count] {
        let (start, end, next) = scalar(frame, pos)?;
        *span = (start, end);
        args.len += end - start;
        pos = next;
    }
    (pos == frame.len()).then_some(())
}

/// The request of these arguments, as the general path gives it.
pub(super) fn request(frame: Bytes, args: &Args) -> RedisMessage {
    let spans = &args.spans[..args.count];
    let word = |i: usize| {
        spans
            .get(i)
            .map_or(&[][..], |&(start, end)| &frame[start..end])
    };
    let words = [word(0), word(1), word(2)];
    let (method, at) = command(&words[..args.count.min(words.len())]);
    let (text, resource): (NetString, _) = match spans {
        [(start, end)] => (cut(frame, *start, *end).into(), None),
        _ => {
            // Exact size: `Bytes` then owns it without a separate header.
            let mut query = Vec::with_capacity(args.len);
            for (i, &(start, end)) in spans.iter().enumerate() {
                if i > 0 {
                    query.push(b' ');
                }
                query.extend_from_slice(&frame[start..end]);
            }
            let resource = spans
                .get(at)
                .map(|&(start, end)| cut(frame, start, end).into());
            (Bytes::from(query).into(), resource)
        }
    };
    RedisMessage {
        kind: Kind::Request,
        method: Some(method),
        resource,
        text,
        reply: 0,
    }
}

/// `frame.slice(start..end)`, made of the frame itself: no reference
/// counting (for the shared buffers the engine hands out).
pub(super) fn cut(mut frame: Bytes, start: usize, end: usize) -> Bytes {
    frame.truncate(end);
    frame.advance(start);
    frame
}
