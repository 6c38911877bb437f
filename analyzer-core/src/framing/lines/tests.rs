use super::*;
use crate::role::Direction::{FromClient as C, FromServer as S};

const KV: Lines = Lines::new(b"\r\n")
    .max_line(64)
    .blocks(&[Block::new(&[b"set", b"cas"], 4), Block::new(&[b"VALUE"], 3)])
    .parts(&[Parts::new(b"VALUE"), Parts::new(b"STAT").max_parts(3)]);

/// Memcache's rules: exact case, blocks and multi-part answers each one way.
const MEMCACHE: Lines = Lines::new(b"\r\n")
    .exact_case()
    .bare_end()
    .blocks(&[
        Block::new(&[b"set"], 4).max_len(1000).from(C),
        Block::new(&[b"VALUE"], 3).from(S),
    ])
    .parts(&[Parts::new(b"VALUE").from(S)]);

/// A terminated multi-part message: anything up to `END`.
const DUMP: Lines = Lines::new(b"\n").parts(&[Parts::new(b"BEGIN").until(b"END").max_parts(4)]);

use FrameLen::*;

#[test]
fn plain_lines() {
    assert_eq!(KV.frame_len(b"", C), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k", C), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k\r", C), Incomplete(None));
    assert_eq!(KV.frame_len(b"get k\r\nget j\r\n", C), Complete(7));
    // A bare \n does not end a line unless `bare_end` says so.
    assert_eq!(KV.frame_len(b"get k\nget j\r\n", C), Complete(13));
    assert_eq!(KV.bare_end().frame_len(b"get k\nget j\r\n", C), Complete(6));
    assert_eq!(KV.frame_len(b"END\r\n", S), Complete(5));
}

#[test]
fn line_limit() {
    assert_eq!(KV.frame_len(&[b'x'; 63], C), Incomplete(None));
    assert_eq!(
        KV.frame_len(&[b'x'; 64], C),
        Invalid("line longer than 64 bytes".into())
    );
    let mut line = vec![b'x'; 62];
    line.extend_from_slice(b"\r\n");
    assert_eq!(KV.frame_len(&line, C), Complete(64));
    // Without a limit, a long line is only waited for.
    assert_eq!(
        Lines::new(b"\n").frame_len(&[b'x'; 1 << 20], C),
        Incomplete(None)
    );
}

/// A long line arriving in many pieces is searched once: the search
/// resumes where it stopped, a delimiter split between pieces included.
#[test]
fn a_long_line_is_searched_once() {
    let lines = Lines::new(b"\r\n");
    let mut line = vec![b'x'; 100_000];
    line.extend_from_slice(b"\r\n");
    let mut framer = lines;
    for len in (1000..line.len()).step_by(1000).chain([100_001]) {
        assert_eq!(
            framer.frame_from(&line[..len], C, usize::MAX),
            Incomplete(None)
        );
        assert_eq!(framer.progress, Progress::Line { searched: len }, "{len}");
    }
    assert_eq!(framer.frame_from(&line, C, usize::MAX), Complete(100_002));
    assert_eq!(framer.progress, Progress::Start);
}

#[test]
fn data_blocks_are_taken_by_length() {
    let set = b"set k 0 0 12\r\nEND\r\nVALUE\r\n\r\nget a\r\n";
    assert_eq!(KV.frame_len(&set[..5], C), Incomplete(None));
    assert_eq!(KV.frame_len(&set[..14], C), Incomplete(Some(28)));
    assert_eq!(KV.frame_len(&set[..27], C), Incomplete(Some(28)));
    assert_eq!(KV.frame_len(set, C), Complete(28));
    // Case ignored; spaces before and between words.
    assert_eq!(KV.frame_len(b" SET  k 0 0  2\r\nab\r\n", C), Complete(20));
    // The count is missing or not a number: no block.
    assert_eq!(KV.frame_len(b"set k 0 0\r\nab\r\n", C), Complete(11));
    assert_eq!(KV.frame_len(b"set k 0 0 -2\r\nab\r\n", C), Complete(14));
    assert_eq!(KV.frame_len(b"set k 0 0 +2\r\nab\r\n", C), Complete(14));
    assert_eq!(KV.frame_len(b"set k 0 0 0x2\r\nab\r\n", C), Complete(15));
    // A huge count is announced (the stream skips it exactly), never
    // allocated; more than 19 digits is not a count.
    let line = b"set k 0 0 9999999999999999999\r\n";
    assert_eq!(
        KV.frame_len(line, C),
        Incomplete(Some(9_999_999_999_999_999_999 + line.len() + 2))
    );
    assert_eq!(
        KV.frame_len(b"set k 0 0 99999999999999999999\r\n", C),
        Complete(32)
    );
    // A block after another first word is not one.
    assert_eq!(KV.frame_len(b"get k 0 0 5\r\nabc", C), Complete(13));
}

#[test]
fn case_direction_and_count_limits() {
    // Exact case: `SET` is not `set` (memcached answers ERROR and reads the
    // next line as a command).
    assert_eq!(
        MEMCACHE.frame_len(b"SET k 0 0 5\r\nget x\r\n", C),
        Complete(13)
    );
    assert_eq!(
        MEMCACHE.frame_len(b"set k 0 0 5\r\nget x\r\n", C),
        Complete(20)
    );
    // A count over `max_len`: no block (memcached reads no data).
    assert_eq!(
        MEMCACHE.frame_len(b"set k 0 0 1001\r\nget secret\r\n", C),
        Complete(16)
    );
    // Blocks and parts only the way they are declared.
    assert_eq!(
        MEMCACHE.frame_len(b"set k 0 0 5\r\nhello\r\n", S),
        Complete(13)
    );
    assert_eq!(
        MEMCACHE.frame_len(b"VALUE k 0 1\r\nx\r\nEND\r\n", C),
        Complete(13)
    );
    assert_eq!(
        MEMCACHE.frame_len(b"VALUE k 0 1\r\nx\r\nEND\r\n", S),
        Complete(21)
    );
    // A bare \n ends a line, and a block's end.
    assert_eq!(
        MEMCACHE.frame_len(b"VALUE k 0 1\nx\r\nEND\n", S),
        Complete(19)
    );
}

#[test]
fn multi_part_messages_run_to_the_first_other_line() {
    let hit = b"VALUE a 0 1\r\nx\r\nVALUE b 0 5\r\nEND\r\n\r\nEND\r\nget";
    let total = hit.len() - 3;
    assert_eq!(KV.frame_len(hit, S), Complete(total));
    // Inside the second block: at least to its end.
    assert_eq!(KV.frame_len(&hit[..30], S), AtLeast(36));
    // Inside a line: no bound (the message may still be cut before it).
    assert_eq!(KV.frame_len(&hit[..20], S), Incomplete(None));
    assert_eq!(KV.frame_len(&hit[..total - 1], S), Incomplete(None));
    // A miss is the terminator alone.
    assert_eq!(KV.frame_len(b"END\r\nVALUE", S), Complete(5));
    // An answer cut short by an error line: the error ends it.
    let cut = b"VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory\r\nEND\r\n";
    assert_eq!(KV.frame_len(cut, S), Complete(cut.len() - 5));
    // Parts of another kind end it too (and belong to it).
    let mixed = b"STAT a 1\r\nVALUE a 0 1\r\nx\r\n";
    assert_eq!(KV.frame_len(mixed, S), Complete(23));
}

#[test]
fn terminated_messages_take_any_line_up_to_the_terminator() {
    let dump = b"BEGIN\nkey=a\nITEM b\nEND now\nnext\n";
    assert_eq!(DUMP.frame_len(dump, S), Complete(27));
    assert_eq!(DUMP.frame_len(&dump[..20], S), Incomplete(None));
    assert_eq!(DUMP.frame_len(b"BEGIN\nEND\n", S), Complete(10));
}

/// Past `max_parts` a message is cut at a part boundary, and the rest
/// starts a message of its own: linear work, nothing skipped blind.
#[test]
fn too_many_parts_are_cut_at_a_part_boundary() {
    let three = b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nEND\r\n";
    assert_eq!(KV.frame_len(three, S), Complete(three.len()));
    let five = b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nSTAT d 4\r\nSTAT e 5\r\nEND\r\n";
    assert_eq!(KV.frame_len(five, S), Cut(30));
    assert_eq!(KV.frame_len(&five[30..], S), Complete(25));
    let dump = b"BEGIN\n1\n2\n3\n4\n5\nEND\n";
    assert_eq!(DUMP.frame_len(dump, S), Cut(12));
    // A line too long inside the message: cut before it; alone, invalid.
    let long = [&b"STAT a 1\r\n"[..], &[b'x'; 64]].concat();
    assert_eq!(KV.frame_len(&long, S), Cut(10));
    assert_eq!(
        KV.frame_len(&long[10..], S),
        Invalid("line longer than 64 bytes".into())
    );
}

/// Longer than the stream's limit: cut at the last part boundary within
/// it; a first part longer than the limit is given its exact end (the
/// stream skips it exactly).
#[test]
fn the_message_size_limit_cuts_at_a_part_boundary() {
    let answer = b"VALUE a 0 10\r\n0123456789\r\nVALUE b 0 10\r\n0123456789\r\nEND\r\n";
    let limited = |buf: &[u8], limit| KV.clone().frame_from(buf, S, limit);
    assert_eq!(limited(answer, 1000), Complete(answer.len()));
    // The second block would end past 40: cut after the first part.
    assert_eq!(limited(answer, 40), Cut(26));
    // The END would end past 52.
    assert_eq!(limited(answer, 52), Cut(52));
    // The first part alone is longer: its exact end.
    assert_eq!(limited(&answer[..20], 20), Incomplete(Some(26)));
    assert_eq!(limited(answer, 20), Complete(26));
    // Lines with no end within the limit: cut before them.
    let stats = b"STAT a 1\r\nSTAT b 2";
    assert_eq!(limited(stats, 18), Cut(10));
}

/// Fed byte by byte with its progress kept (called only once the bytes it
/// asked for are there, as the stream buffer does), the framer answers as it
/// does from scratch, and ends where it does on the whole message.
#[test]
fn resuming_gives_the_same_answers() {
    let messages: [&[u8]; 5] = [
        b"VALUE a 0 1\r\nx\r\nVALUE bb 0 10\r\nEND\r\nVALUE\r\nEND\r\n",
        b"STAT a 1\r\nSTAT b 2\r\nEND\r\n",
        b"set k 0 0 3\r\nabc\r\n",
        b"STAT a 1\r\nSTAT b 2\r\nSTAT c 3\r\nSTAT d 4\r\nEND\r\n",
        b"a long line without its end for a while\r\n",
    ];
    for message in messages {
        let whole = KV.frame_len(message, S);
        let mut framer = KV;
        let mut needed = 1;
        let mut last = None;
        for len in 1..=message.len() {
            if len < needed {
                continue;
            }
            let found = framer.frame_from(&message[..len], S, usize::MAX);
            assert_eq!(found, KV.frame_len(&message[..len], S), "{len} bytes");
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
    let mut framer = KV;
    let head = b"VALUE k 0 1000000000\r\nabc";
    assert_eq!(
        framer.frame_from(head, S, usize::MAX),
        AtLeast(1_000_000_024)
    );
    assert_eq!(
        framer.frame_from(head, S, usize::MAX),
        AtLeast(1_000_000_024)
    );
    assert_eq!(
        framer.frame_from(&head[..3], S, usize::MAX),
        AtLeast(1_000_000_024)
    );
}

#[test]
fn an_empty_delimiter_says_so() {
    assert_eq!(
        Lines::new(b"").frame_len(b"abc", C),
        Invalid("empty line delimiter".into())
    );
}

#[test]
fn reply_code_messages_end_on_their_code_and_a_space() {
    const FTP: Lines = Lines::new(b"\r\n").parts(&[Parts::reply_code().from(S)]);
    let reply =
        b"211-Features:\r\n 211-not the end\r\n211-still not\r\n212 other code\r\n211 End\r\n";
    assert_eq!(FTP.frame_len(reply, S), Complete(reply.len()));
    assert_eq!(FTP.frame_len(b"211-a\r\n211\r\n", S), Complete(12));
    assert_eq!(FTP.frame_len(b"211-a\r\n211", S), Incomplete(None));
    // One line: an ordinary reply; a client line is never a reply.
    assert_eq!(FTP.frame_len(b"230 ok\r\n", S), Complete(8));
    assert_eq!(FTP.frame_len(b"211-x\r\n", C), Complete(7));
    // Resumed byte by byte, the same end.
    let mut framer = FTP;
    let mut last = Incomplete(None);
    for len in 1..=reply.len() {
        last = framer.frame_from(&reply[..len], S, usize::MAX);
        if matches!(last, Complete(_)) {
            break;
        }
    }
    assert_eq!(last, Complete(reply.len()));
}
