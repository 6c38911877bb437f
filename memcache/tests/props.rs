//! Property tests: the framer and parser never panic and stay within their
//! input on arbitrary bytes, and every valid message, cut anywhere, is
//! incomplete until its last byte and complete at it.

use analyzer_core::{Direction, Kind, Protocol};
use bytes::Bytes;
use memcache::{frame, FrameLen, MemcacheMessage};
use proptest::prelude::*;

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::FromClient), Just(Direction::FromServer)]
}

/// Bytes built from memcache's own vocabulary, to reach deep paths.
fn tokens() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"VALUE ".to_vec()),
        Just(b"STAT ".to_vec()),
        Just(b"END".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"set k 0 0 ".to_vec()),
        Just(b"get ".to_vec()),
        Just(b"VA ".to_vec()),
        Just(b"ms k ".to_vec()),
        Just(b"noreply".to_vec()),
        Just(vec![0x80]),
        Just(vec![0x81, 0x10]),
        (0u32..40).prop_map(|n| n.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn check_frame(buf: &[u8], dir: Direction) {
    match frame(buf, dir) {
        FrameLen::Complete(n) | FrameLen::Cut(n) => {
            assert!(
                n > 0 && n <= buf.len(),
                "Complete or Cut({n}) of {} bytes",
                buf.len()
            );
            let _ = MemcacheMessage::parse_one(Bytes::copy_from_slice(&buf[..n]), dir);
        }
        FrameLen::Incomplete(Some(total)) | FrameLen::AtLeast(total) => {
            assert!(total > buf.len())
        }
        FrameLen::Incomplete(None) | FrameLen::Invalid(_) => {}
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(buf in prop::collection::vec(any::<u8>(), 0..600), dir in direction()) {
        check_frame(&buf, dir);
        let _ = MemcacheMessage::parse_one(Bytes::from(buf), dir);
    }

    #[test]
    fn vocabulary_bytes_never_panic(buf in tokens(), dir in direction()) {
        check_frame(&buf, dir);
        let _ = MemcacheMessage::parse_one(Bytes::from(buf), dir);
    }
}

/// A valid message, who sends it, and the value bytes it carries.
#[derive(Debug, Clone)]
struct Valid {
    wire: Vec<u8>,
    dir: Direction,
    value_bytes: Option<u64>,
}

fn key() -> impl Strategy<Value = String> {
    "[a-z0-9_:]{1,12}"
}

/// Values that look like framing: `\r\n`, `END`, `VALUE`, binary magic.
fn data() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"END\r\n".to_vec()),
        Just(b"VALUE k 0 3\r\n".to_vec()),
        Just(vec![0x80, 0x81]),
        prop::collection::vec(any::<u8>(), 0..20),
    ];
    prop::collection::vec(part, 0..8).prop_map(|p| p.concat())
}

fn text_storage() -> impl Strategy<Value = Valid> {
    let command = prop::sample::select(vec!["set", "add", "replace", "append", "prepend", "cas"]);
    (
        command,
        key(),
        any::<u32>(),
        -5i64..100_000,
        data(),
        any::<bool>(),
    )
        .prop_map(|(command, key, flags, exptime, data, noreply)| {
            let cas = if command == "cas" { " 12345" } else { "" };
            let noreply = if noreply { " noreply" } else { "" };
            let line = format!(
                "{command} {key} {flags} {exptime} {}{cas}{noreply}\r\n",
                data.len()
            );
            Valid {
                value_bytes: Some(data.len() as u64),
                wire: [line.as_bytes(), &data, b"\r\n"].concat(),
                dir: Direction::FromClient,
            }
        })
}

fn text_command() -> impl Strategy<Value = Valid> {
    let line = prop_oneof![
        prop::collection::vec(key(), 1..6).prop_map(|k| format!("get {}", k.join(" "))),
        (key(), any::<u64>()).prop_map(|(k, d)| format!("incr {k} {d}")),
        key().prop_map(|k| format!("delete {k} noreply")),
        Just("stats items".to_string()),
        Just("version".to_string()),
        Just("quit".to_string()),
    ];
    line.prop_map(|line| Valid {
        wire: format!("{line}\r\n").into_bytes(),
        dir: Direction::FromClient,
        value_bytes: None,
    })
}

fn text_reply() -> impl Strategy<Value = Valid> {
    let values = prop::collection::vec((key(), any::<u32>(), data(), any::<bool>()), 1..5)
        .prop_map(|vs| {
            let mut wire = Vec::new();
            for (key, flags, data, cas) in &vs {
                let cas = if *cas { " 99" } else { "" };
                wire.extend(format!("VALUE {key} {flags} {}{cas}\r\n", data.len()).as_bytes());
                wire.extend(data);
                wire.extend(b"\r\n");
            }
            wire.extend(b"END\r\n");
            (wire, Some(vs.iter().map(|v| v.2.len() as u64).sum()))
        });
    let stats = prop::collection::vec((key(), "[ -~]{0,20}"), 0..20).prop_map(|lines| {
        let mut wire: Vec<u8> = lines
            .iter()
            .flat_map(|(n, v)| format!("STAT {n} {v}\r\n").into_bytes())
            .collect();
        wire.extend(b"END\r\n");
        (wire, None)
    });
    let line = prop::sample::select(vec![
        "STORED",
        "NOT_FOUND",
        "ERROR",
        "SERVER_ERROR oops",
        "12",
        "VERSION 1.6",
    ])
    .prop_map(|l| (format!("{l}\r\n").into_bytes(), None));
    prop_oneof![values, stats, line].prop_map(|(wire, value_bytes)| Valid {
        wire,
        dir: Direction::FromServer,
        value_bytes,
    })
}

fn binary_header(
    magic: u8,
    opcode: u8,
    key: &[u8],
    extras: &[u8],
    value: &[u8],
    opaque: u32,
) -> Vec<u8> {
    let body = (extras.len() + key.len() + value.len()) as u32;
    let mut h = vec![magic, opcode];
    h.extend((key.len() as u16).to_be_bytes());
    h.extend([extras.len() as u8, 0, 0, 0]);
    h.extend(body.to_be_bytes());
    h.extend(opaque.to_be_bytes());
    h.extend(7u64.to_be_bytes());
    [h, extras.to_vec(), key.to_vec(), value.to_vec()].concat()
}

fn binary() -> impl Strategy<Value = Valid> {
    let single = (
        any::<bool>(),
        any::<u8>(),
        key(),
        prop::collection::vec(any::<u8>(), 0..24),
        data(),
        any::<u32>(),
    )
        .prop_filter(
            "a keyed stat response is a stats answer",
            |(req, op, ..)| *req || *op != 0x10,
        )
        .prop_map(|(request, opcode, key, extras, value, opaque)| {
            let magic = if request { 0x80 } else { 0x81 };
            Valid {
                wire: binary_header(magic, opcode, key.as_bytes(), &extras, &value, opaque),
                dir: if request {
                    Direction::FromClient
                } else {
                    Direction::FromServer
                },
                value_bytes: None,
            }
        });
    let stats = (
        prop::collection::vec((key(), "[ -~]{0,12}"), 0..20),
        any::<u32>(),
    )
        .prop_map(|(entries, opaque)| {
            let mut wire: Vec<u8> = entries
                .iter()
                .flat_map(|(k, v)| {
                    binary_header(0x81, 0x10, k.as_bytes(), &[], v.as_bytes(), opaque)
                })
                .collect();
            wire.extend(binary_header(0x81, 0x10, &[], &[], &[], opaque));
            Valid {
                wire,
                dir: Direction::FromServer,
                value_bytes: None,
            }
        });
    prop_oneof![single, stats]
}

fn valid() -> impl Strategy<Value = Valid> {
    prop_oneof![text_storage(), text_command(), text_reply(), binary()]
}

proptest! {
    #[test]
    fn valid_messages_split_anywhere(m in valid(), next in valid()) {
        let len = m.wire.len();
        for cut in 1..len {
            let got = frame(&m.wire[..cut], m.dir);
            // Never complete early; an exact total announced is the real one.
            let ok = match got {
                FrameLen::Incomplete(Some(total)) => total == len,
                FrameLen::Incomplete(None) => true,
                FrameLen::AtLeast(at_least) => at_least > cut && at_least <= len,
                _ => false,
            };
            prop_assert!(ok, "cut at {cut} of {len}: {got:?}");
        }
        prop_assert_eq!(frame(&m.wire, m.dir), FrameLen::Complete(len));
        // Followed by another message (of either side), it still ends there.
        let both = [m.wire.clone(), next.wire.clone()].concat();
        prop_assert_eq!(frame(&both, m.dir), FrameLen::Complete(len));
        let parsed = MemcacheMessage::parse_one(Bytes::from(m.wire.clone()), m.dir);
        let parsed = parsed.map_err(|e| TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&m.wire))))?;
        prop_assert_eq!(parsed.kind() == Some(Kind::Request), m.dir == Direction::FromClient);
        if let Some(bytes) = m.value_bytes {
            prop_assert_eq!(parsed.fields.bytes, Some(bytes));
        }
    }
}
