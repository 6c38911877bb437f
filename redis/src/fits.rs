//! Which RESP reply types the usual commands get: after packet loss, a
//! reply of another type cannot answer the command
//! ([`Conversation::fits`](analyzer_core::Conversation::fits)).
//!
//! Only the types a command gets whatever its arguments are listed (RESP2
//! and RESP3); an error (`-`, `!`) can answer anything, and a command not
//! listed any reply.

use analyzer_core::Fit;

/// Simple string `OK` (or nil, with `NX`/`XX`, or the old value with `GET`).
const STATUS: &[u8] = b"+$_";
/// An integer.
const INTEGER: &[u8] = b":";
/// A bulk string or nil.
const BULK: &[u8] = b"$_";
/// An aggregate (or nil for the blocking pops that time out).
const LIST: &[u8] = b"*~%_>";

/// The reply types `method` gets, for the commands listed.
fn types(method: &str) -> Option<&'static [u8]> {
    Some(match method {
        "SET" | "MSET" | "FLUSHDB" | "FLUSHALL" | "SELECT" | "RENAME" | "LSET" | "LTRIM"
        | "AUTH" | "QUIT" | "SETEX" | "PSETEX" | "HMSET" => STATUS,
        "INCR" | "DECR" | "INCRBY" | "DECRBY" | "DEL" | "EXISTS" | "LPUSH" | "RPUSH" | "LLEN"
        | "SADD" | "SREM" | "SCARD" | "HSET" | "HDEL" | "HLEN" | "ZADD" | "ZCARD" | "EXPIRE"
        | "TTL" | "PTTL" | "STRLEN" | "APPEND" | "HINCRBY" | "UNLINK" | "DBSIZE" | "PUBLISH"
        | "SETNX" | "HEXISTS" | "SISMEMBER" | "PERSIST" | "LREM" | "ZREM" => INTEGER,
        "GET" | "GETSET" | "GETDEL" | "LPOP" | "RPOP" | "LINDEX" | "HGET" | "RPOPLPUSH"
        | "LMOVE" | "SPOP" | "SRANDMEMBER" | "ZSCORE" | "INCRBYFLOAT" | "ECHO" => BULK,
        "MGET" | "LRANGE" | "KEYS" | "SMEMBERS" | "HGETALL" | "HKEYS" | "HVALS" | "ZRANGE"
        | "HMGET" | "SCAN" | "BLPOP" | "BRPOP" | "SUBSCRIBE" | "EXEC" => LIST,
        "PING" => b"+$",
        "TYPE" => b"+",
        _ => return None,
    })
}

/// Whether a reply of RESP type `reply` can answer a command `method`.
pub(crate) fn fits(reply: u8, method: Option<&str>) -> Fit {
    if matches!(reply, b'-' | b'!') {
        return Fit::Possible;
    }
    match method.and_then(types) {
        Some(types) if !types.contains(&reply) => Fit::Impossible,
        _ => Fit::Possible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_types_rule_commands_out() {
        assert_eq!(fits(b'+', Some("GET")), Fit::Impossible);
        assert_eq!(fits(b'$', Some("GET")), Fit::Possible);
        assert_eq!(fits(b':', Some("INCR")), Fit::Possible);
        assert_eq!(fits(b'$', Some("INCR")), Fit::Impossible);
        assert_eq!(fits(b'-', Some("INCR")), Fit::Possible);
        assert_eq!(fits(b'*', Some("LRANGE")), Fit::Possible);
        assert_eq!(fits(b':', Some("FOO")), Fit::Possible);
        assert_eq!(fits(b':', None), Fit::Possible);
    }
}
