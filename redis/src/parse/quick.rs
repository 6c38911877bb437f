//! The usual request, read in one pass: an array of at most [`MOST`] bulk
//! strings (or short `+`, `-`, `:` lines) that is the whole frame. It gives
//! what the general path in `parse` gives; anything else is left to it.

use analyzer_core::{Kind, NetString};
use bytes::Bytes;

use crate::command::command;
use crate::resp::{quick, scalar};
use crate::RedisMessage;

/// Most arguments read here; a longer command takes the general path.
const MOST: usize = 16;

/// The request whose array header is at `pos`, or `None` when it is not of
/// the usual shape (or is not valid: the general path then says why).
pub(super) fn request(frame: &Bytes, pos: usize) -> Option<RedisMessage> {
    let (mut pos, count) = quick(frame, pos)?;
    let count = count as usize;
    if count == 0 || count > MOST {
        return None;
    }
    let mut spans = [(0, 0); MOST];
    // The query's length: the arguments and a space between each two.
    let mut len = count - 1;
    for span in &mut spans[..count] {
        let (start, end, next) = scalar(frame, pos)?;
        *span = (start, end);
        len += end - start;
        pos = next;
    }
    if pos != frame.len() {
        return None;
    }
    let spans = &spans[..count];
    let word = |i: usize| spans.get(i).map(|&(start, end)| &frame[start..end]);
    let mut words: [&[u8]; 3] = [&[]; 3];
    let kept = count.min(words.len());
    for (i, word_i) in words[..kept].iter_mut().enumerate() {
        *word_i = word(i).unwrap_or_default();
    }
    let (method, at) = command(&words[..kept]);
    let resource = spans
        .get(at)
        .map(|&(start, end)| frame.slice(start..end).into());
    let text: NetString = match spans {
        [(start, end)] => frame.slice(*start..*end).into(),
        _ => {
            // Exact size: `Bytes` then owns it without a separate header.
            let mut query = Vec::with_capacity(len);
            for (i, &(start, end)) in spans.iter().enumerate() {
                if i > 0 {
                    query.push(b' ');
                }
                query.extend_from_slice(&frame[start..end]);
            }
            Bytes::from(query).into()
        }
    };
    Some(RedisMessage {
        kind: Kind::Request,
        method: Some(method),
        resource,
        text,
    })
}
