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
/// Whether each of [`COMMANDS`] is one of [`CONTAINERS`].
static CONTAINER: [bool; COMMANDS.len()] = containers();

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// FNV-1a of the bytes.
const fn hash(bytes: &[u8]) -> u32 {
    let mut h = FNV_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        h = (h ^ bytes[i] as u32).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

const fn table() -> [u16; SLOTS] {
    // Empty slots remain: a lookup always ends.
    assert!(COMMANDS.len() < SLOTS / 2);
    let mut table = [0u16; SLOTS];
    let mut i = 0;
    while i < COMMANDS.len() {
        assert!(COMMANDS[i].len() <= LONGEST);
        let mut slot = hash(COMMANDS[i].as_bytes()) as usize & (SLOTS - 1);
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
    if word.len() > LONGEST {
        return None;
    }
    let mut h = FNV_OFFSET;
    for &b in word {
        h = (h ^ u32::from(b.to_ascii_uppercase())).wrapping_mul(FNV_PRIME);
    }
    let mut slot = h as usize & (SLOTS - 1);
    loop {
        let index = usize::from(TABLE[slot]).checked_sub(1)?;
        let name = COMMANDS[index].as_bytes();
        if name.len() == word.len()
            && name
                .iter()
                .zip(word)
                .all(|(&n, &w)| n == w.to_ascii_uppercase())
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
