use super::*;
use analyzer_core::Direction::{FromClient as C, FromServer as S};
use FrameLen::{Complete, Incomplete, Invalid};

#[test]
fn digit_headers_read_in_one_pass_as_line_and_number_read_them() {
    let slow = |buf: &[u8]| match line(buf, 1, MAX_HEADER) {
        Ok(found) => counted(buf, buf[0], number(&buf[found.0..found.1]), found),
        Err(step) => step,
    };
    let digits = [
        "",
        "0",
        "3",
        "03",
        "-1",
        "+3",
        "1a",
        "12",
        "999999999999999999",
    ];
    let longer = [
        "1234567890123456789",
        "99999999999999999999",
        "1048576",
        "1048577",
    ];
    let wide = "1".repeat(21);
    let wider = "1".repeat(22);
    for ty in ["$", "=", "!", "*", "~", ">", "%", "|"] {
        for n in digits
            .iter()
            .chain(&longer)
            .chain([&wide.as_str(), &wider.as_str()])
        {
            for tail in [
                "",
                "\r",
                "\r\n",
                "\n",
                "\r\nabc",
                "\r\nabc\r\n",
                "\r\ntxt:x\r\n",
                " \r\n",
            ] {
                let buf = format!("{ty}{n}{tail}");
                assert_eq!(head(buf.as_bytes(), 0), slow(buf.as_bytes()), "{buf:?}");
            }
        }
    }
}

#[test]
fn numbers_are_read_as_str_parse_reads_them() {
    for text in [
        "0",
        "42",
        "-1",
        "+7",
        "-",
        "+",
        "",
        "1a",
        " 1",
        "1 ",
        "--1",
        "+-1",
        "007",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999",
        "é",
    ] {
        assert_eq!(
            number(text.as_bytes()),
            text.parse::<i64>().ok(),
            "{text:?}"
        );
    }
}

#[test]
fn scalars_and_nil() {
    assert_eq!(frame(b"+OK\r\n+x", S), Complete(5));
    assert_eq!(frame(b"-ERR no\r\n", S), Complete(9));
    assert_eq!(frame(b":42\r\n", S), Complete(5));
    assert_eq!(frame(b"$-1\r\n", S), Complete(5));
    assert_eq!(frame(b"*-1\r\n", S), Complete(5));
    assert_eq!(frame(b"$0\r\n\r\n", S), Complete(6));
    assert_eq!(frame(b"_\r\n#t\r\n,1.5\r\n", S), Complete(3));
    assert_eq!(frame(b"=8\r\ntxt:abcd\r\n", S), Complete(14));
    assert_eq!(frame(b"+OK\r", S), Incomplete(None));
}

#[test]
fn bulk_strings_are_skipped_by_length() {
    assert_eq!(frame(b"$5\r\na\r\nEN\r\n", S), Complete(11));
    assert_eq!(frame(b"$5\r\na\r", S), Incomplete(Some(11)));
    assert!(matches!(frame(b"$2\r\nabcd\r\n", S), Invalid(_)));
    assert!(matches!(frame(b"$-2\r\n", S), Invalid(_)));
    assert!(matches!(frame(b"$99999999999\r\n", S), Invalid(_)));
    assert!(matches!(frame(b"$123456789012345678901234", S), Invalid(_)));
}

#[test]
fn aggregates_and_the_known_total() {
    let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nabc\r\n";
    assert_eq!(frame(set, C), Complete(set.len()));
    assert_eq!(frame(&set[..set.len() - 3], C), Incomplete(Some(set.len())));
    // Not the last element: the total is unknown.
    assert_eq!(frame(&set[..10], C), Incomplete(None));
    let nested = b"*2\r\n*2\r\n:1\r\n$-1\r\n%1\r\n+k\r\n*0\r\n";
    assert_eq!(frame(nested, S), Complete(nested.len()));
    assert_eq!(frame(b"|1\r\n+a\r\n:1\r\n+v\r\n", S), Complete(16));
    assert!(matches!(frame(b"*2000000\r\n", S), Invalid(_)));
    assert!(matches!(frame(b"*?\r\n", S), Invalid(_)));
}

#[test]
fn nesting_is_counted_not_bounded() {
    let mut deep = b"*1\r\n".repeat(100_000);
    assert_eq!(frame(&deep, S), Incomplete(None));
    assert_eq!(frame(&deep, C), Incomplete(None));
    deep.extend_from_slice(b"$4\r\nPING\r\n*1\r\n");
    let len = deep.len() - 4;
    assert_eq!(frame(&deep, C), Complete(len));
    // The pending bulk string ends the value: its total is known.
    assert_eq!(frame(&deep[..len - 3], C), Incomplete(Some(len)));
    // Not when a sibling is still to come.
    let mut wide = b"*2\r\n".repeat(3);
    wide.extend_from_slice(b"$4\r\nPI");
    assert_eq!(frame(&wide, S), Incomplete(None));
    assert!(matches!(frame(b"*1\r\n*2147483647\r\n", S), Invalid(_)));
}

#[test]
fn frame_resume_walks_a_deep_value_once() {
    // 100,000 levels of `*2` (each second element `:1`), in 1448-byte
    // pieces: the count of values left grows then shrinks.
    let mut value = b"*2\r\n".repeat(100_000);
    value.extend_from_slice(&b":1\r\n".repeat(100_001));
    let mut saved = Progress::default();
    let mut last_pos = 0;
    for end in (1448..value.len()).step_by(1448) {
        let got = frame_from(&value[..end], S, &mut saved);
        assert_eq!(got, Incomplete(None));
        let Progress { pos, left } = saved;
        assert!(pos >= last_pos && end - pos < 4, "pos {pos} of {end}");
        let levels = (pos.min(400_000) / 4) as u64;
        let scalars = (pos.saturating_sub(400_000) / 4) as u64;
        assert_eq!(left, levels + 1 - scalars);
        last_pos = pos;
    }
    assert_eq!(frame_from(&value, S, &mut saved), Complete(value.len()));
    assert_eq!(saved, Progress::default());
}

#[test]
fn inline_commands_and_blank_lines_from_the_client() {
    assert_eq!(frame(b"PING\r\n", C), Complete(6));
    assert_eq!(frame(b"\r\n\nPING\n", C), Complete(8));
    assert_eq!(frame(b"PIN", C), Incomplete(None));
    assert_eq!(frame(b"\r\n", C), Incomplete(None));
    assert!(matches!(frame(b"PING\r\n", S), Invalid(_)));
    assert!(matches!(frame(&vec![b'a'; MAX_LINE + 1], C), Invalid(_)));
}

#[test]
fn frame_resume_picks_up_where_it_stopped() {
    // *100000 of :1, arriving in 1448-byte pieces.
    let mut value = b"*100000\r\n".to_vec();
    for _ in 0..100_000 {
        value.extend_from_slice(b":1\r\n");
    }
    let mut saved = Progress::default();
    let mut last_pos = 0;
    for end in (1448..value.len()).step_by(1448) {
        let got = frame_from(&value[..end], Direction::FromServer, &mut saved);
        assert_eq!(got, FrameLen::Incomplete(None));
        let pos = saved.pos;
        // Each call starts where the previous one stopped and reads on
        // to the end of what arrived (less than one element short).
        assert!(pos >= last_pos && end - pos < 4, "pos {pos} of {end}");
        last_pos = pos;
    }
    assert_eq!(
        frame_from(&value, Direction::FromServer, &mut saved),
        FrameLen::Complete(value.len())
    );
    assert_eq!(saved, Progress::default());
}
