//! The quick paths (`resp::quick`, `resp::scalar`, `parse::quick`) change
//! nothing: on any input, framing and parsing with them give exactly what
//! the general paths give without them.

use analyzer_core::Direction::{self, FromClient, FromServer};
use analyzer_core::FrameLen;
use bytes::Bytes;
use proptest::prelude::*;

use crate::parse::parse_with;
use crate::resp::{head, is_nil, quick, scalar, walk, Head, Progress, Step, Text};

/// Frames `wire` whole and in every split (resuming), with and without the
/// quick paths; parses what was framed (and the whole input) both ways.
fn same_both_ways(wire: &[u8], dir: Direction) -> Result<(), TestCaseError> {
    let mut fast = Progress::default();
    let mut slow = Progress::default();
    for cut in 0..=wire.len() {
        let a = walk(&wire[..cut], dir, &mut fast, true);
        let b = walk(&wire[..cut], dir, &mut slow, false);
        prop_assert_eq!(&a, &b, "prefix of {} bytes", cut);
        prop_assert_eq!(fast, slow);
        if let FrameLen::Complete(len) = a {
            let frame = Bytes::copy_from_slice(&wire[..len]);
            prop_assert_eq!(
                parse_with(frame.clone(), dir, true),
                parse_with(frame, dir, false)
            );
        }
    }
    let all = Bytes::copy_from_slice(wire);
    prop_assert_eq!(
        parse_with(all.clone(), dir, true),
        parse_with(all, dir, false)
    );
    for pos in 0..wire.len() {
        if let Some((next, count)) = quick(wire, pos) {
            let expected = match count {
                0 if is_nil(wire, pos) => Some(Step::Ok(Head::Scalar(Text::Lit("nil")), next)),
                0 => None,
                n => Some(Step::Ok(
                    Head::Aggregate(crate::resp::Agg::List, n as usize),
                    next,
                )),
            };
            if let Some(expected) = expected {
                prop_assert_eq!(head(wire, pos), expected);
            }
        }
        if let Some((start, end, next)) = scalar(wire, pos) {
            let expected = Step::Ok(Head::Scalar(Text::Span(start, end)), next);
            prop_assert_eq!(head(wire, pos), expected);
            prop_assert_eq!(quick(wire, pos), Some((next, 0)));
        }
    }
    Ok(())
}

/// Pieces of RESP that the quick paths read, and some that they leave.
#[rustfmt::skip]
const PIECES: &[&[u8]] = &[
    b"*", b"$", b"+", b"-", b":", b"%", b"=", b"_", b"0", b"1", b"2", b"3", b"9", b"-1", b"\r\n",
    b"\r\n", b"\r", b"\n", b"GET", b"set", b"config", b"key", b" ", b"\xff", b"*2\r\n", b"*1\r\n",
    b"$3\r\nget\r\n", b"$1\r\nk\r\n", b"+OK\r\n", b":12\r\n", b"$-1\r\n", b"*-1\r\n", b"-1\r\n",
];

fn dir(client: bool) -> Direction {
    if client {
        FromClient
    } else {
        FromServer
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn resp_like_bytes_frame_and_parse_the_same(
        parts in prop::collection::vec(prop::sample::select(PIECES), 0..24),
        client in any::<bool>(),
    ) {
        same_both_ways(&parts.concat(), dir(client))?;
    }

    #[test]
    fn commands_frame_and_parse_the_same(
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..20),
        words in prop::collection::vec(prop::sample::select(
            &["get", "SET", "config", "Client", "xinfo", "restore-asking", "frob", "éCHO"][..]), 0..3),
        cut in 0usize..200,
        garble in any::<u8>(),
    ) {
        let args: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).chain(args).collect();
        let mut wire = format!("*{}\r\n", args.len()).into_bytes();
        for arg in &args {
            wire.extend(format!("${}\r\n", arg.len()).bytes());
            wire.extend(arg);
            wire.extend(b"\r\n");
        }
        same_both_ways(&wire, FromClient)?;
        // The same with one byte changed: most changes break the framing.
        let at = cut % wire.len();
        wire[at] = garble;
        same_both_ways(&wire, FromClient)?;
    }

    #[test]
    fn arbitrary_bytes_frame_and_parse_the_same(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        client in any::<bool>(),
    ) {
        same_both_ways(&bytes, dir(client))?;
    }
}

#[test]
fn usual_shapes_frame_and_parse_the_same() {
    let args = |n: usize| format!("*{n}\r\n$4\r\nmset{}", "\r\n$1\r\na".repeat(n - 1)) + "\r\n";
    let (most, more, long) = (args(8), args(9), args(17));
    let wide = format!("+{}\r\n", "x".repeat(20));
    for (wire, client) in [
        ("*2\r\n$3\r\nGET\r\n$9\r\nkey:14385\r\n", true),
        ("*3\r\n$3\r\nset\r\n$4\r\nkey3\r\n$2\r\nme\r\n", true),
        ("*3\r\n$6\r\nconfig\r\n$3\r\nget\r\n$4\r\nsave\r\n", true),
        ("*1\r\n$4\r\nPING\r\n", true),
        ("\r\n*1\r\n$4\r\nPING\r\n", true),
        ("*2\r\n$3\r\nGET\r\n:1\r\n", true),
        ("*2\r\n$3\r\nGET\r\n$-1\r\n", true),
        ("*2\r\n$3\r\nGET\r\n*1\r\n$1\r\nk\r\n", true),
        ("*0\r\n", true),
        (most.as_str(), true),
        (more.as_str(), true),
        (long.as_str(), true),
        (":65438\r\n", false),
        ("$-1\r\n", false),
        ("*-1\r\n", false),
        ("$-1\r\n+OK\r\n", false),
        ("$-1\r", false),
        ("*2\r\n$-1\r\n*-1\r\n", false),
        ("*2\r\n$3\r\nGET\r\n*-1\r\n", true),
        ("+OK\r\n", false),
        ("-ERR wrong\r\n", false),
        (wide.as_str(), false),
        ("$5\r\nhello\r\n", false),
        ("$5\r\nhello\r\n+OK\r\n", false),
        ("$5\r\nhelloXY", false),
        ("+OK\n", false),
        ("*2\r\n:1\r\n$2\r\nab\r\n", false),
    ] {
        same_both_ways(wire.as_bytes(), dir(client)).unwrap();
    }
}
