//! A request's method: the command in upper case, shared (`&'static str`)
//! for the commands Redis knows, so that publishing a `GET` allocates
//! nothing for its method.

use std::borrow::Cow;

/// Commands whose first argument is a subcommand: Packetbeat's method is both
/// words (`CONFIG GET`) and the resource the argument after them.
pub(crate) const CONTAINERS: &[&str] = &[
    "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEBUG", "FUNCTION", "LATENCY", "MEMORY",
    "MODULE", "SCRIPT", "XGROUP", "XINFO",
];

/// The commands of Redis 7 (and a few older names), in upper case: their
/// methods are static strings. Any other command's method is its own
/// upper-cased text.
#[rustfmt::skip]
const COMMANDS: &[&str] = &[
    "ACL", "APPEND", "ASKING", "AUTH", "BGREWRITEAOF", "BGSAVE", "BITCOUNT", "BITFIELD",
    "BITFIELD_RO", "BITOP", "BITPOS", "BLMOVE", "BLMPOP", "BLPOP", "BRPOP", "BRPOPLPUSH", "BZMPOP",
    "BZPOPMAX", "BZPOPMIN", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "COPY", "DBSIZE", "DEBUG",
    "DECR", "DECRBY", "DEL", "DISCARD", "DUMP", "ECHO", "EVAL", "EVAL_RO", "EVALSHA", "EVALSHA_RO",
    "EXEC", "EXISTS", "EXPIRE", "EXPIREAT", "EXPIRETIME", "FAILOVER", "FCALL", "FCALL_RO",
    "FLUSHALL", "FLUSHDB", "FUNCTION", "GEOADD", "GEODIST", "GEOHASH", "GEOPOS", "GEORADIUS",
    "GEORADIUS_RO", "GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO", "GEOSEARCH", "GEOSEARCHSTORE",
    "GET", "GETBIT", "GETDEL", "GETEX", "GETRANGE", "GETSET", "HDEL", "HELLO", "HEXISTS", "HGET",
    "HGETALL", "HINCRBY", "HINCRBYFLOAT", "HKEYS", "HLEN", "HMGET", "HMSET", "HRANDFIELD", "HSCAN",
    "HSET", "HSETNX", "HSTRLEN", "HVALS", "INCR", "INCRBY", "INCRBYFLOAT", "INFO", "KEYS",
    "LASTSAVE", "LATENCY", "LCS", "LINDEX", "LINSERT", "LLEN", "LMOVE", "LMPOP", "LOLWUT", "LPOP",
    "LPOS", "LPUSH", "LPUSHX", "LRANGE", "LREM", "LSET", "LTRIM", "MEMORY", "MGET", "MIGRATE",
    "MODULE", "MONITOR", "MOVE", "MSET", "MSETNX", "MULTI", "OBJECT", "PERSIST", "PEXPIRE",
    "PEXPIREAT", "PEXPIRETIME", "PFADD", "PFCOUNT", "PFDEBUG", "PFMERGE", "PFSELFTEST", "PING",
    "PSETEX", "PSUBSCRIBE", "PSYNC", "PTTL", "PUBLISH", "PUBSUB", "PUNSUBSCRIBE", "QUIT",
    "RANDOMKEY", "READONLY", "READWRITE", "RENAME", "RENAMENX", "REPLCONF", "REPLICAOF", "RESET",
    "RESTORE", "RESTORE-ASKING", "ROLE", "RPOP", "RPOPLPUSH", "RPUSH", "RPUSHX", "SADD", "SAVE",
    "SCAN", "SCARD", "SCRIPT", "SDIFF", "SDIFFSTORE", "SELECT", "SET", "SETBIT", "SETEX", "SETNX",
    "SETRANGE", "SHUTDOWN", "SINTER", "SINTERCARD", "SINTERSTORE", "SISMEMBER", "SLAVEOF",
    "SLOWLOG", "SMEMBERS", "SMISMEMBER", "SMOVE", "SORT", "SORT_RO", "SPOP", "SPUBLISH",
    "SRANDMEMBER", "SREM", "SSCAN", "SSUBSCRIBE", "STRLEN", "SUBSCRIBE", "SUBSTR", "SUNION",
    "SUNIONSTORE", "SUNSUBSCRIBE", "SWAPDB", "SYNC", "TIME", "TOUCH", "TTL", "TYPE", "UNLINK",
    "UNSUBSCRIBE", "UNWATCH", "WAIT", "WAITAOF", "WATCH", "XACK", "XADD", "XAUTOCLAIM", "XCLAIM",
    "XDEL", "XGROUP", "XINFO", "XLEN", "XPENDING", "XRANGE", "XREAD", "XREADGROUP", "XREVRANGE",
    "XSETID", "XTRIM", "ZADD", "ZCARD", "ZCOUNT", "ZDIFF", "ZDIFFSTORE", "ZINCRBY", "ZINTER",
    "ZINTERCARD", "ZINTERSTORE", "ZLEXCOUNT", "ZMPOP", "ZMSCORE", "ZPOPMAX", "ZPOPMIN",
    "ZRANDMEMBER", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE", "ZRANGESTORE", "ZRANK", "ZREM",
    "ZREMRANGEBYLEX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYLEX",
    "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNION", "ZUNIONSTORE",
];

/// Longest command name looked up in the table.
const LONGEST: usize = 24;
/// Open addressing over [`COMMANDS`]: `index + 1` of each command, 0 empty.
const SLOTS: usize = 1024;
static TABLE: [u16; SLOTS] = table();
/// Each command's [`Key`].
static KEYS: [Key; COMMANDS.len()] = keys();
/// Whether each of [`COMMANDS`] is one of [`CONTAINERS`].
static CONTAINER: [bool; COMMANDS.len()] = containers();

/// A name in upper case as two little-endian words: its first eight bytes
/// and its last eight (zero-padded up to eight bytes, the second then 0),
/// with its length. For names of up to 16 bytes, equal keys are equal
/// names; longer ones also compare the bytes between.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    first: u64,
    last: u64,
    len: usize,
}

impl Key {
    /// The slot where looking for the key starts: the words mixed by a
    /// multiplication, its top bits.
    const fn slot(&self) -> usize {
        let mixed = self.first ^ self.last.rotate_left(29) ^ self.len as u64;
        (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOTS.trailing_zeros())) as usize
    }
}

/// Up to eight bytes (already in upper case) as a zero-padded word.
const fn word(bytes: &[u8], from: usize, to: usize) -> u64 {
    let mut w = 0u64;
    let mut i = from;
    while i < to {
        w |= (bytes[i] as u64) << (8 * (i - from));
        i += 1;
    }
    w
}

/// The key of a name in upper case (at most [`LONGEST`] bytes).
const fn key_of(name: &[u8]) -> Key {
    let len = name.len();
    match len <= 8 {
        true => Key {
            first: word(name, 0, len),
            last: 0,
            len,
        },
        false => Key {
            first: word(name, 0, 8),
            last: word(name, len - 8, len),
            len,
        },
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Up to eight bytes of a word off the wire, zero-padded and in ASCII upper
/// case (`to_ascii_uppercase`); `None` if one is not ASCII (no command
/// has such a byte). Read as at most two overlapping loads, no loop.
#[inline(always)]
fn upper_word(bytes: &[u8]) -> Option<u64> {
    let n = bytes.len();
    debug_assert!(n <= 8);
    let load4 = |at: usize| {
        let mut four = [0; 4];
        four.copy_from_slice(&bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(four))
    };
    // The overlapping parts hold the same bytes at the same places.
    let w = match n {
        0 => 0,
        1..=3 => {
            u64::from(bytes[0])
                | u64::from(bytes[n / 2]) << (8 * (n / 2))
                | u64::from(bytes[n - 1]) << (8 * (n - 1))
        }
        _ => load4(0) | load4(n - 4) << (8 * (n - 4)),
    };
    if w & HIGHS != 0 {
        return None;
    }
    // ASCII only: adding 0x1f (0x05) sets a byte's high bit exactly from
    // `a` (past `z`) on, with no carry into the next byte; zero padding
    // stays zero.
    let lower = w.wrapping_add(ONES * 0x1f) & !w.wrapping_add(ONES * 0x05) & HIGHS;
    Some(w ^ lower >> 2)
}

/// [`key_of`] a word off the wire in any case; `None` when it cannot be a
/// command (too long, not ASCII).
#[inline(always)]
fn key(word: &[u8]) -> Option<Key> {
    let len = word.len();
    match len {
        0..=8 => Some(Key {
            first: upper_word(word)?,
            last: 0,
            len,
        }),
        9..=LONGEST => Some(Key {
            first: upper_word(&word[..8])?,
            last: upper_word(&word[len - 8..])?,
            len,
        }),
        _ => None,
    }
}

const fn keys() -> [Key; COMMANDS.len()] {
    let mut keys = [Key {
        first: 0,
        last: 0,
        len: 0,
    }; COMMANDS.len()];
    let mut i = 0;
    while i < COMMANDS.len() {
        assert!(COMMANDS[i].len() <= LONGEST);
        keys[i] = key_of(COMMANDS[i].as_bytes());
        i += 1;
    }
    keys
}

const fn table() -> [u16; SLOTS] {
    // Empty slots remain: a lookup always ends.
    assert!(COMMANDS.len() < SLOTS / 2);
    let keys = keys();
    let mut table = [0u16; SLOTS];
    let mut i = 0;
    while i < COMMANDS.len() {
        let mut slot = keys[i].slot();
        while table[slot] != 0 {
            slot = (slot + 1) & (SLOTS - 1);
        }
        table[slot] = i as u16 + 1;
        i += 1;
    }
    table
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn containers() -> [bool; COMMANDS.len()] {
    let mut flags = [false; COMMANDS.len()];
    let mut i = 0;
    while i < COMMANDS.len() {
        let mut j = 0;
        while j < CONTAINERS.len() {
            flags[i] |= same(COMMANDS[i].as_bytes(), CONTAINERS[j].as_bytes());
            j += 1;
        }
        i += 1;
    }
    flags
}

/// The index in [`COMMANDS`] of a word in any case: of the command that
/// is the word in upper case.
fn known(word: &[u8]) -> Option<usize> {
    let key = key(word)?;
    let mut slot = key.slot();
    loop {
        let index = usize::from(TABLE[slot]).checked_sub(1)?;
        // The words cover up to 16 bytes; past that, the bytes between.
        if KEYS[index] == key
            && (key.len <= 16
                || word[8..key.len - 8]
                    .eq_ignore_ascii_case(&COMMANDS[index].as_bytes()[8..key.len - 8]))
        {
            return Some(index);
        }
        slot = (slot + 1) & (SLOTS - 1);
    }
}

/// A word in upper case, as `str::to_ascii_uppercase` gives it (invalid
/// UTF-8 replaced first).
fn upper(word: &[u8]) -> String {
    match std::str::from_utf8(word) {
        Ok(text) => text.to_ascii_uppercase(),
        Err(_) => String::from_utf8_lossy(word).to_ascii_uppercase(),
    }
}

/// The method (upper case) of a command given its first words, and the index
/// of the word that is its resource. The method is static for a known
/// command without subcommand.
pub(crate) fn command(words: &[&[u8]]) -> (Cow<'static, str>, usize) {
    let first = words.first().copied().unwrap_or_default();
    // Every container is a known command: no other word is one.
    let (method, container) = match known(first) {
        Some(index) => (Cow::Borrowed(COMMANDS[index]), CONTAINER[index]),
        None => (Cow::Owned(upper(first)), false),
    };
    match words.get(1) {
        Some(sub) if container => {
            let sub = match known(sub) {
                Some(index) => Cow::Borrowed(COMMANDS[index]),
                None => Cow::Owned(upper(sub)),
            };
            (Cow::Owned(format!("{method} {sub}")), 2)
        }
        _ => (method, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_found_and_only_those() {
        for (index, name) in COMMANDS.iter().enumerate() {
            assert_eq!(known(name.as_bytes()), Some(index));
            assert_eq!(known(name.to_lowercase().as_bytes()), Some(index));
            assert_eq!(CONTAINER[index], CONTAINERS.contains(name), "{name}");
        }
        for name in CONTAINERS {
            assert!(COMMANDS.contains(name), "{name}");
        }
        let mut sorted = COMMANDS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), COMMANDS.len(), "no duplicates");
        for other in [
            "", "G", "GE", "GETT", "XGET", "get ", "SET\0", "ÉCHO", "g\u{e9}t",
        ] {
            assert_eq!(known(other.as_bytes()), None, "{other:?}");
        }
    }

    #[test]
    fn a_word_is_found_exactly_when_its_upper_case_is_a_command() {
        // The table's answer against a plain search, for every command with
        // each byte changed (a middle byte of the long ones included), and
        // cut or extended by one byte.
        let plain = |word: &[u8]| {
            let upper = word.to_ascii_uppercase();
            COMMANDS.iter().position(|name| name.as_bytes() == upper)
        };
        for name in COMMANDS {
            let bytes = name.as_bytes();
            for at in 0..bytes.len() {
                for b in [b'Q', b'q', 0, b'_', 0xc3, bytes[at].to_ascii_lowercase()] {
                    let mut word = bytes.to_vec();
                    word[at] = b;
                    assert_eq!(known(&word), plain(&word), "{word:?}");
                }
            }
            for word in [
                &bytes[..bytes.len() - 1],
                &[bytes, b"S"].concat(),
                &[b"X", bytes].concat(),
            ] {
                assert_eq!(known(word), plain(word), "{word:?}");
            }
        }
    }

    /// What the method was before the table: the first word in upper case
    /// and, for a container, a space and the second in upper case.
    fn old(words: &[&[u8]]) -> (String, usize) {
        let method = upper(words.first().copied().unwrap_or_default());
        match words.get(1) {
            Some(sub) if CONTAINERS.contains(&method.as_str()) => {
                (format!("{method} {}", upper(sub)), 2)
            }
            _ => (method, 1),
        }
    }

    #[test]
    fn methods_are_what_to_ascii_uppercase_gives() {
        let long = "x".repeat(LONGEST + 1);
        let words: &[&[u8]] = &[
            b"get",
            b"GeT",
            b"foo",
            b"",
            b"\xffget",
            "échO".as_bytes(),
            long.as_bytes(),
            b"restore-asking",
            b"bitfield_ro",
            b"config",
            b"Client",
            b"xinfo",
            b"acl\xff",
            b"k",
        ];
        for &a in words {
            for &b in words {
                for command_words in [&[a][..], &[a, b], &[a, b, b"k"]] {
                    let (method, at) = command(command_words);
                    assert_eq!((method.into_owned(), at), old(command_words));
                }
            }
        }
        assert!(matches!(
            command(&[b"get", b"k"]),
            (Cow::Borrowed("GET"), 1)
        ));
        let words: [&[u8]; 3] = [b"config", b"get", b"save"];
        assert_eq!(command(&words), (Cow::from("CONFIG GET"), 2));
        assert_eq!(command(&words[..1]), (Cow::from("CONFIG"), 1));
        assert_eq!(command(&[]), (Cow::from(""), 1));
    }
}
