//! Property tests: the framer and the parser never panic and stay within
//! their bounds on arbitrary bytes, and agree with a model on valid RESP.

use analyzer_core::Direction::{self, FromClient, FromServer};
use analyzer_core::FrameLen;
use analyzer_core::{Kind, ParseError};
use proptest::prelude::*;
use redis::resp::{frame, frame_from, Progress, MAX_DEPTH};

/// A RESP value, the model.
#[derive(Clone, Debug)]
enum Value {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Null,
    Bool(bool),
    Double(String),
    Array(Vec<Value>),
    Set(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

impl Value {
    fn encode(&self, out: &mut Vec<u8>) {
        let list = |out: &mut Vec<u8>, ty: char, items: &[Value]| {
            out.extend(format!("{ty}{}\r\n", items.len()).bytes());
            items.iter().for_each(|v| v.encode(out));
        };
        match self {
            Value::Simple(s) => out.extend(format!("+{s}\r\n").bytes()),
            Value::Error(s) => out.extend(format!("-{s}\r\n").bytes()),
            Value::Int(i) => out.extend(format!(":{i}\r\n").bytes()),
            Value::Bulk(b) => {
                out.extend(format!("${}\r\n", b.len()).bytes());
                out.extend(b);
                out.extend(b"\r\n");
            }
            Value::Nil => out.extend(b"$-1\r\n"),
            Value::Null => out.extend(b"_\r\n"),
            Value::Bool(b) => out.extend(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Value::Double(d) => out.extend(format!(",{d}\r\n").bytes()),
            Value::Array(items) => list(out, '*', items),
            Value::Set(items) => list(out, '~', items),
            Value::Map(pairs) => {
                out.extend(format!("%{}\r\n", pairs.len()).bytes());
                for (k, v) in pairs {
                    k.encode(out);
                    v.encode(out);
                }
            }
        }
    }

    /// Packetbeat's rendering.
    fn render(&self, out: &mut Vec<u8>) {
        let list = |out: &mut Vec<u8>, items: &[Value]| {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.extend(b", ");
                }
                v.render(out);
            }
            out.push(b']');
        };
        match self {
            Value::Simple(s) | Value::Error(s) | Value::Double(s) => out.extend(s.bytes()),
            Value::Int(i) => out.extend(i.to_string().bytes()),
            Value::Bulk(b) => out.extend(b),
            Value::Nil | Value::Null => out.extend(b"nil"),
            Value::Bool(b) => out.extend(if *b { &b"true"[..] } else { b"false" }),
            Value::Array(items) | Value::Set(items) => list(out, items),
            Value::Map(pairs) => {
                out.push(b'{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.extend(b", ");
                    }
                    k.render(out);
                    out.extend(b": ");
                    v.render(out);
                }
                out.push(b'}');
            }
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    let text = "[a-zA-Z0-9 ]{0,12}";
    let leaf = prop_oneof![
        text.prop_map(Value::Simple),
        text.prop_map(Value::Error),
        any::<i64>().prop_map(Value::Int),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Value::Bulk),
        Just(Value::Nil),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        "-?[0-9]{1,3}\\.[0-9]{1,2}".prop_map(Value::Double),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Set),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
        ]
    })
}

/// Frames every prefix of `wire`: incomplete before the end (the total, when
/// given, exact), complete at the end.
fn frames_only_at_the_end(wire: &[u8], dir: Direction) -> Result<(), TestCaseError> {
    for cut in 0..wire.len() {
        match frame(&wire[..cut], dir) {
            FrameLen::Incomplete(None) => {}
            FrameLen::Incomplete(Some(total)) => prop_assert_eq!(total, wire.len()),
            other => prop_assert!(false, "prefix of {} bytes: {:?}", cut, other),
        }
    }
    prop_assert_eq!(frame(wire, dir), FrameLen::Complete(wire.len()));
    // Resuming after each prefix gives what framing it from scratch gives.
    let mut progress = Progress::default();
    for cut in 1..=wire.len() {
        prop_assert_eq!(
            frame_from(&wire[..cut], dir, &mut progress),
            frame(&wire[..cut], dir)
        );
    }
    let mut more = wire.to_vec();
    more.extend(b"+next\r\n");
    prop_assert_eq!(frame(&more, dir), FrameLen::Complete(wire.len()));
    Ok(())
}

/// Pieces of RESP, to build inputs that get past the first byte.
const PIECES: &[&[u8]] = &[
    b"*", b"$", b"%", b"|", b"~", b"=", b"-1", b"0", b"1", b"2", b"3", b"\r\n", b"\r", b"\n", b"+",
    b":", b"_", b"#", b"x",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), client in any::<bool>()) {
        let dir = if client { FromClient } else { FromServer };
        if let FrameLen::Complete(len) = frame(&bytes, dir) {
            prop_assert!(len > 0 && len <= bytes.len());
        }
        let _ = redis::parse(bytes.into(), dir);
    }

    #[test]
    fn resp_like_bytes_never_panic(parts in prop::collection::vec(prop::sample::select(PIECES), 0..40), client in any::<bool>()) {
        let bytes = parts.concat();
        let dir = if client { FromClient } else { FromServer };
        if let FrameLen::Complete(len) = frame(&bytes, dir) {
            prop_assert!(len > 0 && len <= bytes.len());
            // A frame the framer accepts parses (or fails) without panicking.
            let _ = redis::parse(bytes::Bytes::copy_from_slice(&bytes[..len]), dir);
        }
        let _ = redis::parse(bytes.into(), dir);
    }

    #[test]
    fn replies_frame_at_their_end_and_parse_as_the_model_renders(v in value()) {
        let mut wire = Vec::new();
        v.encode(&mut wire);
        frames_only_at_the_end(&wire, FromServer)?;
        let msg = redis::parse(wire.into(), FromServer).unwrap();
        let mut expected = Vec::new();
        v.render(&mut expected);
        prop_assert_eq!(msg.text.as_bytes(), &expected[..]);
        let kind = if matches!(v, Value::Error(_)) { Kind::Error } else { Kind::Response };
        prop_assert_eq!(msg.kind, kind);
    }

    #[test]
    fn commands_frame_at_their_end_and_parse(args in prop::collection::vec(
        prop::collection::vec(any::<u8>(), 0..16), 1..6)) {
        let mut wire = format!("*{}\r\n", args.len()).into_bytes();
        for arg in &args {
            wire.extend(format!("${}\r\n", arg.len()).bytes());
            wire.extend(arg);
            wire.extend(b"\r\n");
        }
        frames_only_at_the_end(&wire, FromClient)?;
        let msg = redis::parse(wire.into(), FromClient).unwrap();
        prop_assert_eq!(msg.kind, Kind::Request);
        prop_assert_eq!(msg.text.as_bytes(), &args.join(&b' ')[..]);
        let method = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        prop_assert!(msg.method.unwrap().starts_with(&method));
    }
}

#[test]
fn deep_nesting_is_one_frame_the_parser_refuses() {
    // The framer counts the values left to read: 100,000 levels are one
    // value, incomplete until its innermost element arrives.
    let mut deep = b"*1\r\n".repeat(100_000);
    for dir in [FromServer, FromClient] {
        assert_eq!(frame(&deep, dir), FrameLen::Incomplete(None));
    }
    deep.extend(b":1\r\n");
    assert_eq!(frame(&deep, FromServer), FrameLen::Complete(deep.len()));
    // The parser refuses it, past MAX_DEPTH levels, without recursion.
    assert_eq!(
        redis::parse(deep.into(), FromServer).unwrap_err(),
        ParseError::Invalid(format!("nested deeper than {MAX_DEPTH} levels"))
    );
    // At the bound itself, a value is fine.
    let mut ok = b"*1\r\n".repeat(MAX_DEPTH);
    ok.extend(b":1\r\n");
    assert_eq!(frame(&ok, FromServer), FrameLen::Complete(ok.len()));
    let msg = redis::parse(ok.into(), FromServer).unwrap();
    assert_eq!(
        msg.text.to_string(),
        format!("{}1{}", "[".repeat(32), "]".repeat(32))
    );
}

#[test]
fn element_counts_and_lengths_are_bounded() {
    for wire in [
        &b"*1048577\r\n"[..],
        b"%600000\r\n",
        b"$536870913\r\n",
        b"*-2\r\n",
        b"$1x\r\n",
    ] {
        assert!(
            matches!(frame(wire, FromServer), FrameLen::Invalid(_)),
            "{wire:?}"
        );
    }
    // Within the bounds, a long announced value is just incomplete, with its total.
    assert_eq!(
        frame(b"$536870912\r\n", FromServer),
        FrameLen::Incomplete(Some(536870926))
    );
    assert_eq!(
        frame(b"*1048576\r\n", FromServer),
        FrameLen::Incomplete(None)
    );
}

#[test]
fn resuming_scans_a_long_array_once() {
    // 100,000 elements arriving in 1448-byte segments: from scratch, every
    // call rescans what came before (quadratic); resumed, each byte once.
    let mut wire = b"*100000\r\n".to_vec();
    for i in 0..100_000 {
        wire.extend(format!("$5\r\n{i:05}\r\n").bytes());
    }
    let mut progress = Progress::default();
    let mut cut = 0;
    let result = loop {
        cut = (cut + 1448).min(wire.len());
        match frame_from(&wire[..cut], FromServer, &mut progress) {
            FrameLen::Incomplete(None) if cut < wire.len() => {}
            other => break other,
        }
    };
    assert_eq!(result, FrameLen::Complete(wire.len()));
    assert_eq!(progress, Progress::default());
}
