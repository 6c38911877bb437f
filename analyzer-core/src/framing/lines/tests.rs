use super::*;

const KV: Lines = Lines::new(b"\r\n")
    .max_line(64)
    .blocks(&[Block::new(&[b"set", b"cas"], 4), Block::new(&[b"VALUE"], 3)])
    .parts(&[
        Parts::new(b"VALUE", b"END"),
        Parts::new(b"STAT", b"END").max_parts(3),
    ]);

use FrameLen::*;

#[test]
fn plain_lines() {
    assert_eq!(KV.frame_len(b""), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k"), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k\r"), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k\r\nget j\r\n"), Complete(7));
    // A bare \n does not end a line unless `bare_end` says so.
    assert_eq!(KV.frame_len(b"get k\nget j\r\n"), Complete(13));
    assert_eq!(KV.bare_end().frame_len(b"get k\nget j\r\n"), Complete(6));
    assert_eq!(KV.frame_len(b"END\r\n"), Complete(5));
}

#[test]
fn line_limit() {
    assert_eq!(KV.frame_len(&[b'x'; 63]), Incomplete(None));
    assert_eq!(
        KV.frame_len(&[b'x'; 64]),
        Invalid("line longer than 64 bytes".into())
    );
    let mut line = vec![b'x'; 62];
    line.extend_from_slice(b"\r\n");
    assert_eq!(KV.frame_len(&line), Complete(64));
    // Without a limit, a long line is only waited for.
    assert_eq!(
        Lines::new(b"\n").frame_len(&[b'x'; 1 << 20]),
        Incomplete(None)
    );
}

#[test]
fn data_blocks_are_taken_by_length() {
    let set = b"set k 0 0 12\r\nEND\r\nVALUE\r\n\r\nget a\r\n";
    assert_eq!(KV.frame_len(&set[..5]), Incomplete(None));
    assert_eq!(KV.frame_len(&set[..14]), Incomplete(Some(28)));
    assert_eq!(KV.frame_len(&set[..27]), Incomplete(Some(28)));
    assert_eq!(KV.frame_len(set), Complete(28));
    // Case ignored; several spaces between words.
    assert_eq!(KV.frame_len(b"SET  k 0 0  2\r\nab\r\n"), Complete(19));
    // The count is missing or not a number: no block.
    assert_eq!(KV.frame_len(b"set k 0 0\r\nab\r\n"), Complete(11));
    assert_eq!(KV.frame_len(b"set k 0 0 -2\r\nab\r\n"), Complete(14));
    assert_eq!(KV.frame_len(b"set k 0 0 0x2\r\nab\r\n"), Complete(15));
    // A huge count is announced (the stream skips it exactly), never
    // allocated; more than 19 digits is not a count.
    assert_eq!(
        KV.frame_len(b"set k 0 0 4294967295\r\n"),
        Incomplete(Some(4_294_967_295 + 24))
    );
    let line = b"set k 0 0 9999999999999999999\r\n";
    assert_eq!(
        KV.frame_len(line),
        Incomplete(Some(9_999_999_999_999_999_999 + line.len() + 2))
    );
    assert_eq!(
        KV.frame_len(b"set k 0 0 99999999999999999999\r\n"),
        Complete(32)
    );
    // A block after another first word is not one.
    assert_eq!(KV.frame_len(b"get k 0 0 5\r\nabc"), Complete(13));
}

#[test]
fn multi_part_messages_run_to_their_terminator() {
    let hit = b"VALUE a 0 1\r\nx\r\nVALUE b 0 5\r\nEND\r\n\r\nEND\r\nget";
    let total = hit.len() - 3;
    assert_eq!(KV.frame_len(hit), Complete(total));
    // Inside the second block: at least to its end.
    assert_eq!(KV.frame_len(&hit[..30]), AtLeast(36));
    // Inside a line: at least one more byte.
    assert_eq!(KV.frame_len(&hit[..20]), AtLeast(21));
    assert_eq!(KV.frame_len(&hit[..total - 1]), AtLeast(total));
    // A miss is the terminator alone.
    assert_eq!(KV.frame_len(b"END\r\nVALUE"), Complete(5));
    // An answer cut short by an error line: the error ends it.
    let cut = b"VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory\r\nEND\r\n";
    assert_eq!(KV.frame_len(cut), Complete(cut.len() - 5));
    // Parts of another kind end it too (and belong to it).
    let mixed = b"STAT a 1\r\nVALUE a 0 1\r\nx\r\n";
    assert_eq!(KV.frame_len(mixed), Complete(23));
}

#[test]
fn parts_are_bounded() {
    let three = b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nEND\r\n";
    assert_eq!(KV.frame_len(three), Complete(three.len()));
    let four = b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nSTAT d 4\r\nEND\r\n";
    assert_eq!(
        KV.frame_len(four),
        Invalid("more than 3 parts in one message".into())
    );
    // A line too long inside the message.
    let long = [&b"STAT a 1\r\n"[..], &[b'x'; 64]].concat();
    assert_eq!(
        KV.frame_len(&long),
        Invalid("line longer than 64 bytes".into())
    );
}

/// Fed byte by byte with its progress kept (called only once the bytes it
/// asked for are there, as the stream buffer does), the framer answers as it
/// does from scratch, and ends where it does on the whole message.
#[test]
fn resuming_gives_the_same_answers() {
    let messages: [&[u8]; 4] = [
        b"VALUE a 0 1\r\nx\r\nVALUE bb 0 10\r\nEND\r\nVALUE\r\nEND\r\n",
        b"STAT a 1\r\nSTAT b 2\r\nEND\r\n",
        b"set k 0 0 3\r\nabc\r\n",
        b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nSTAT d 4\r\nEND\r\n",
    ];
    for message in messages {
        let whole = KV.frame_len(message);
        let mut progress = FrameProgress::default();
        let mut needed = 1;
        let mut last = None;
        for len in 1..=message.len() {
            if len < needed {
                continue;
            }
            let found = KV.frame_resume(&message[..len], &mut progress);
            assert_eq!(found, KV.frame_len(&message[..len]), "{len} bytes");
            needed = match found {
                AtLeast(n) | Incomplete(Some(n)) => n,
                _ => len + 1,
            };
            last = Some(found);
            if matches!(last, Some(Complete(_) | Invalid(_))) {
                break;
            }
        }
        assert_eq!(last, Some(whole), "{:?}", String::from_utf8_lossy(message));
    }
}

/// Called again before the bytes it asked for are there (the stream buffer
/// does so once its size limit is reached), the framer repeats its bound
/// instead of reading past the buffer.
#[test]
fn resuming_short_of_the_bound_repeats_it() {
    let mut progress = FrameProgress::default();
    let head = b"VALUE k 0 1000000000\r\nabc";
    assert_eq!(KV.frame_resume(head, &mut progress), AtLeast(1_000_000_024));
    assert_eq!(KV.frame_resume(head, &mut progress), AtLeast(1_000_000_024));
    assert_eq!(
        KV.frame_resume(&head[..3], &mut progress),
        AtLeast(1_000_000_024)
    );
}
