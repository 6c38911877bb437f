//! The two sides of the framing micro-benchmark: the derived echo framing
//! (`StreamBuffer` + the echo framer + `EchoMessage::parse`) and a
//! hand-written memchr line splitter, on the same chunks. Used by the
//! criterion benchmark (`benches/framing.rs`) and by the interleaved
//! `framing_ratio` example.

use std::hint::black_box;

use analyzer_core::stream::{Frame, StreamBuffer};
use analyzer_core::{Cx, Direction, Protocol, Timestamp};
use bytes::{Bytes, BytesMut};
use echo::EchoMessage;

use crate::messages::echo_request;
use crate::rng::Rng;

/// ~1 MB of echo request lines, 10–200 bytes each.
pub fn lines() -> Vec<u8> {
    let mut rng = Rng::new(1);
    let mut out = Vec::with_capacity(1 << 20);
    while out.len() < 1 << 20 {
        echo_request(&mut rng, &mut out);
    }
    out
}

/// Derived: what a connection does with each segment's bytes.
pub fn derived(chunks: &[&[u8]]) -> usize {
    let mut stream = StreamBuffer::new(10 << 20);
    let ts = Timestamp::from_nanos(0);
    let mut framer = EchoMessage::framer(Direction::FromClient);
    let cx = Cx::new(Direction::FromClient, &());
    let mut messages = 0;
    for chunk in chunks {
        stream.push(ts, chunk);
        while let Some(frame) = stream.next_frame(&mut framer, &cx) {
            if let Frame::Complete(frame) = frame {
                let msg = EchoMessage::parse(frame.into_payload(), &cx);
                black_box(msg.expect("a request line"));
                messages += 1;
            }
        }
    }
    messages
}

/// Hand-written: a `BytesMut`, memchr for `\n` from where the last search
/// stopped, split_to + freeze, check the first byte, slice the content.
pub fn hand_written(chunks: &[&[u8]]) -> usize {
    let mut buf = BytesMut::new();
    let mut searched = 0;
    let mut messages = 0;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(i) = memchr::memchr(b'\n', &buf[searched..]) {
            let line: Bytes = buf.split_to(searched + i + 1).freeze();
            searched = 0;
            assert_eq!(line.first(), Some(&b'>'));
            black_box(line.slice(1..line.len() - 1));
            messages += 1;
        }
        searched = buf.len();
    }
    messages
}
