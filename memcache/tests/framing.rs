//! The framer and parser on hand-made messages: lengths, data blocks taken
//! by length, multi-part answers, bounds, and what each message publishes.

use analyzer_core::{Conversation, Direction, Kind, Protocol};
use bytes::Bytes;
use memcache::{frame, FrameLen, MemcacheMessage, MAX_KEYS_LINE, MAX_LINE, MAX_PARTS};
use serde_json::{json, Value};

const C: Direction = Direction::FromClient;
const S: Direction = Direction::FromServer;

fn parse(wire: &[u8], dir: Direction) -> MemcacheMessage {
    MemcacheMessage::parse_one(Bytes::copy_from_slice(wire), dir)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(wire)))
}

fn fields(wire: &[u8], dir: Direction) -> Value {
    serde_json::to_value(parse(wire, dir)).unwrap()
}

fn bin(
    magic: u8,
    opcode: u8,
    status: u16,
    opaque: u32,
    extras: &[u8],
    key: &[u8],
    value: &[u8],
) -> Vec<u8> {
    let mut out = vec![magic, opcode];
    out.extend((key.len() as u16).to_be_bytes());
    out.extend([extras.len() as u8, 0]);
    out.extend(status.to_be_bytes());
    out.extend(((extras.len() + key.len() + value.len()) as u32).to_be_bytes());
    out.extend(opaque.to_be_bytes());
    out.extend(0u64.to_be_bytes());
    [out, extras.to_vec(), key.to_vec(), value.to_vec()].concat()
}

#[test]
fn storage_data_is_taken_by_length() {
    let set = b"set k 0 0 12\r\nEND\r\nVALUE\r\n\r\nget a\r\n";
    assert_eq!(frame(&set[..14], C), FrameLen::Incomplete(Some(28)));
    assert_eq!(frame(set, C), FrameLen::Complete(28));
    let f = fields(&set[..28], C);
    assert_eq!(
        (f["bytes"].clone(), f["count_values"].clone()),
        (json!(12), json!(1))
    );
    // Meta commands carry data blocks too (published as UNKNOWN).
    let ms = b"ms k 7 T0\r\nEND\r\nxy\r\nmn\r\n";
    assert_eq!(frame(ms, C), FrameLen::Complete(20));
    assert_eq!(fields(&ms[..20], C)["line"], "ms k 7 T0");
    assert_eq!(
        frame(b"VA 3 f0\r\n\r\nx\r\nEN\r\n", S),
        FrameLen::Complete(14)
    );
    // A count that is not a number: memcached reads no data block.
    assert_eq!(frame(b"set k 0 0 x\r\nrest", C), FrameLen::Complete(13));
    // A data block not ended by \r\n is framed by length, then refused.
    let bad = MemcacheMessage::parse_one(Bytes::from_static(b"set k 0 0 2\r\nabcd"), C);
    assert_eq!(bad.unwrap_err().to_string(), "bad data chunk");
}

#[test]
fn value_blocks_merge_until_end() {
    let wire = b"VALUE a 1 5\r\nEND\r\n\r\nVALUE b 2 3 99\r\nEND\r\nEND\r\nSTORED\r\n";
    // Inside a line: no bound (the answer may still be cut before it);
    // inside a block: to its end.
    assert_eq!(frame(&wire[..20], S), FrameLen::Incomplete(None));
    assert_eq!(frame(&wire[..30], S), FrameLen::Incomplete(None));
    assert_eq!(frame(&wire[..37], S), FrameLen::AtLeast(41));
    assert_eq!(frame(wire, S), FrameLen::Complete(46));
    let m = parse(&wire[..46], S);
    assert_eq!(m.kind, Kind::Response);
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"command": "VALUE", "type": "Load", "keys": ["a", "b"], "flags": 1, "bytes": 8,
               "count_values": 2})
    );
    // An error line ends the answer and makes it a failure.
    let wire = b"VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory\r\n";
    assert_eq!(frame(wire, S), FrameLen::Complete(wire.len()));
    let m = parse(wire, S);
    assert_eq!(
        (m.kind, m.fields.error_msg.unwrap().to_string()),
        (Kind::Error, "out of memory".into())
    );
}

#[test]
fn stat_lines_merge_until_end() {
    let wire = b"STAT pid 1\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.1 0.2\r\nEND\r\n";
    assert_eq!(
        frame(&wire[..wire.len() - 1], S),
        FrameLen::Incomplete(None)
    );
    assert_eq!(frame(wire, S), FrameLen::Complete(wire.len()));
    assert_eq!(
        fields(wire, S)["stats"],
        json!([{"name": "pid", "value": "1"}, {"name": "version", "value": "1.6.18"},
               {"name": "rusage_user", "value": "0.1 0.2"}])
    );
}

#[test]
fn text_replies_and_their_roles() {
    for (wire, command, typ, kind) in [
        (&b"STORED\r\n"[..], "STORED", "Success", Kind::Response),
        (b"END\r\n", "END", "Load", Kind::Response),
        (b"42\r\n", "<counter_op_res>", "Counter", Kind::Response),
        (b"NOT_FOUND\r\n", "NOT_FOUND", "Fail", Kind::Error),
        (b"ERROR\r\n", "ERROR", "Fail", Kind::Error),
        (
            b"CLIENT_ERROR bad data chunk\r\n",
            "CLIENT_ERROR",
            "Fail",
            Kind::Error,
        ),
        (b"VERSION 1.6.18\r\n", "VERSION", "Info", Kind::Response),
        (b"HD\r\n", "UNKNOWN", "UNKNOWN", Kind::Response),
    ] {
        let m = parse(wire, S);
        let f = serde_json::to_value(&m).unwrap();
        assert_eq!(
            (f["command"].as_str(), f["type"].as_str(), m.kind),
            (Some(command), Some(typ), kind)
        );
    }
    assert_eq!(fields(b"SERVER_ERROR busy\r\n", S)["error_msg"], "busy");
    assert_eq!(fields(b"42\r\n", S)["value"], 42);
}

#[test]
fn text_requests_publish_packetbeat_fields() {
    for (wire, expected) in [
        (
            &b"cas k 3 -1 2 77 noreply\r\nhi\r\n"[..],
            json!({"command": "cas", "type": "Store", "keys": ["k"], "flags": 3,
            "exptime": -1, "bytes": 2, "count_values": 1, "cas_unique": 77, "noreply": true}),
        ),
        (
            b"gets a b\r\n",
            json!({"command": "gets", "type": "Load", "keys": ["a", "b"]}),
        ),
        (
            b"incr n 7 noreply\r\n",
            json!({"command": "incr", "type": "Counter", "keys": ["n"], "delta": 7, "noreply": true}),
        ),
        (
            b"touch k 10\r\n",
            json!({"command": "touch", "type": "Store", "keys": ["k"], "exptime": 10, "noreply": false}),
        ),
        (
            b"flush_all 5 noreply\r\n",
            json!({"command": "flush_all", "type": "Delete", "exptime": 5, "noreply": true}),
        ),
        (
            b"stats slabs\r\n",
            json!({"command": "stats", "type": "Stats", "raw_args": "slabs"}),
        ),
        (
            b"verbosity 1\r\n",
            json!({"command": "verbosity", "type": "Info", "verbosity": 1}),
        ),
        (
            b"slabs reassign 1 -1\r\n",
            json!({"command": "slabs reassign", "type": "SlabCtrl", "source_class": 1, "dest_class": -1}),
        ),
        (
            b"slabs automove 2\r\n",
            json!({"command": "slabs automove", "type": "SlabCtrl", "automove": "aggressive"}),
        ),
        (
            b"lru_crawler sleep 100\r\n",
            json!({"command": "lru_crawler sleep", "type": "LRUCrawler", "sleep_us": 100}),
        ),
        (
            b"lru_crawler crawl 1,2\r\n",
            json!({"command": "lru_crawler crawl", "type": "LRUCrawler", "raw_args": "1,2"}),
        ),
        (
            b"mg foo v\r\n",
            json!({"command": "UNKNOWN", "type": "UNKNOWN", "line": "mg foo v"}),
        ),
    ] {
        assert_eq!(
            fields(wire, C),
            expected,
            "{}",
            String::from_utf8_lossy(wire)
        );
    }
    for wire in [
        &b"get\r\n"[..],
        b"incr n\r\n",
        b"set k x 0 1\r\nx\r\n",
        b"delete\r\n",
    ] {
        assert!(MemcacheMessage::parse_one(Bytes::copy_from_slice(wire), C).is_err());
    }
}

#[test]
fn requests_without_responses() {
    let no_response = |wire: &[u8]| !parse(wire, C).expects_response();
    assert!(no_response(b"set k 0 0 1 noreply\r\nx\r\n"));
    assert!(no_response(b"quit\r\n"));
    assert!(!no_response(b"set k 0 0 7\r\nnoreply\r\n"));
    assert!(!no_response(b"get noreply\r\n"));
    let quitq = bin(0x80, 0x17, 0, 1, &[], &[], &[]);
    assert!(no_response(&quitq));
    let getkq = parse(&bin(0x80, 0x0d, 0, 9, &[], b"k", &[]), C);
    assert!(getkq.response_optional() && getkq.expects_response());
    assert_eq!(getkq.correlation_key(), Some(9 << 8 | 0x0d));
    assert_eq!(parse(b"get k\r\n", C).correlation_key(), None);
}

#[test]
fn binary_messages() {
    let set = bin(
        0x80,
        0x01,
        0,
        7,
        &[0, 0, 0, 2, 0, 0, 0, 60],
        b"key",
        b"value\r\nEND\r\n",
    );
    assert_eq!(frame(&set[..10], C), FrameLen::AtLeast(24));
    assert_eq!(frame(&set[..30], C), FrameLen::Incomplete(Some(set.len())));
    assert_eq!(
        frame(&[set.clone(), set.clone()].concat(), C),
        FrameLen::Complete(set.len())
    );
    assert_eq!(
        fields(&set, C),
        json!({"command": "set", "type": "Store", "keys": ["key"], "flags": 2, "exptime": 60,
               "bytes": 12, "count_values": 1, "opcode": "Set", "opcode_value": 1, "opaque": 7,
               "quiet": false, "vbucket": 0})
    );
    // A get's miss is an answer, not a failure; a delete's is an error.
    let miss = parse(&bin(0x81, 0x00, 1, 7, &[], &[], b"Not found"), S);
    assert_eq!(
        (miss.kind, miss.fields.status),
        (Kind::Response, Some("Key not found"))
    );
    let gone = parse(&bin(0x81, 0x04, 1, 7, &[], &[], b"Not found"), S);
    assert_eq!(
        (gone.kind, gone.fields.status),
        (Kind::Error, Some("Key not found"))
    );
    let incr = parse(&bin(0x81, 0x05, 0, 7, &[], &[], &5u64.to_be_bytes()), S);
    assert_eq!(
        (incr.kind, incr.fields.value, incr.fields.bytes),
        (Kind::Response, Some(5), None)
    );
    // Key and extras longer than the body: not a message.
    let mut bad = bin(0x80, 0x01, 0, 7, &[], b"key", &[]);
    bad[8..12].copy_from_slice(&1u32.to_be_bytes());
    assert!(matches!(frame(&bad, C), FrameLen::Invalid(_)));
    // A response magic from the client is refused.
    assert!(MemcacheMessage::parse_one(bin(0x81, 0, 0, 0, &[], &[], &[]), C).is_err());
}

#[test]
fn binary_stats_merge_until_the_keyless_entry() {
    let entry = |k: &[u8], v: &[u8]| bin(0x81, 0x10, 0, 3, &[], k, v);
    let wire = [
        entry(b"pid", b"1"),
        entry(b"uptime", b"42"),
        entry(b"", b""),
    ]
    .concat();
    let first = entry(b"pid", b"1").len();
    assert_eq!(frame(&wire[..first], S), FrameLen::Incomplete(None));
    assert_eq!(frame(&wire, S), FrameLen::Complete(wire.len()));
    let f = fields(&wire, S);
    assert_eq!(
        f["stats"],
        json!([{"name": "pid", "value": "1"}, {"name": "uptime", "value": "42"}])
    );
    assert!(f.get("keys").is_none());
    // Another message ends an answer cut short.
    let cut = [entry(b"pid", b"1"), bin(0x81, 0x0a, 0, 4, &[], &[], &[])].concat();
    assert_eq!(frame(&cut, S), FrameLen::Complete(first));
}

#[test]
fn bounds() {
    // A line longer than the limit, with no end in sight.
    assert!(matches!(
        frame(&vec![b'x'; MAX_LINE + 1], C),
        FrameLen::Invalid(_)
    ));
    assert_eq!(
        frame(&vec![b'x'; MAX_LINE - 1], C),
        FrameLen::Incomplete(None)
    );
    // Retrieval lines may be longer.
    let mut get = b"get ".to_vec();
    get.resize(MAX_LINE * 2, b'k');
    assert_eq!(frame(&get, C), FrameLen::Incomplete(None));
    get.resize(MAX_KEYS_LINE + 1, b'k');
    assert!(matches!(frame(&get, C), FrameLen::Invalid(_)));
    // A million STAT lines: cut after MAX_PARTS (and said so), not
    // buffered; the rest is a message of its own, cut again (linear work,
    // nothing dropped).
    let stats = b"STAT x y\r\n".repeat(1_000_000);
    assert_eq!(frame(&stats, S), FrameLen::Cut(10 * MAX_PARTS));
    let values = b"VALUE k 0 1\r\nx\r\n".repeat(MAX_PARTS + 1);
    assert_eq!(frame(&values, S), FrameLen::Cut(16 * MAX_PARTS));
    let entry = bin(0x81, 0x10, 0, 0, &[], b"k", b"v");
    let entries = entry.repeat(MAX_PARTS + 1);
    assert_eq!(frame(&entries, S), FrameLen::Cut(entry.len() * MAX_PARTS));
    // Huge announced lengths are reported, not allocated.
    assert_eq!(
        frame(b"set k 0 0 2147483645\r\n", C),
        FrameLen::Incomplete(Some(2147483645 + 24))
    );
    // Past INT_MAX - 2 memcached refuses the count and reads no data.
    assert_eq!(
        frame(b"set k 0 0 2147483646\r\nget k\r\n", C),
        FrameLen::Complete(22)
    );
    let mut huge = bin(0x80, 0x01, 0, 0, &[], &[], &[]);
    huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        frame(&huge, C),
        FrameLen::Incomplete(Some(u32::MAX as usize + 24))
    );
}
