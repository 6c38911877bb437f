//! The client's commands: their codes, names, and the SQL verb Packetbeat
//! publishes as `method`.

use std::borrow::Cow;

/// `COM_QUIT`: no answer; the server closes the connection.
pub const QUIT: u8 = 0x01;
/// `COM_INIT_DB`: select a database (`USE db`).
pub const INIT_DB: u8 = 0x02;
/// `COM_QUERY`: a text query.
pub const QUERY: u8 = 0x03;
/// `COM_FIELD_LIST`: column definitions up to an EOF.
pub const FIELD_LIST: u8 = 0x04;
/// `COM_STATISTICS`: answered by a string, no header byte.
pub const STATISTICS: u8 = 0x09;
/// `COM_PROCESS_INFO`: answered by a result set.
pub const PROCESS_INFO: u8 = 0x0A;
/// `COM_PING`.
pub const PING: u8 = 0x0E;
/// `COM_CHANGE_USER`: a new authentication exchange.
pub const CHANGE_USER: u8 = 0x11;
/// `COM_BINLOG_DUMP`: a stream of replication events up to an EOF.
pub const BINLOG_DUMP: u8 = 0x12;
/// `COM_STMT_PREPARE`.
pub const STMT_PREPARE: u8 = 0x16;
/// `COM_STMT_EXECUTE`.
pub const STMT_EXECUTE: u8 = 0x17;
/// `COM_STMT_SEND_LONG_DATA`: no answer.
pub const STMT_SEND_LONG_DATA: u8 = 0x18;
/// `COM_STMT_CLOSE`: no answer.
pub const STMT_CLOSE: u8 = 0x19;
/// `COM_STMT_RESET`.
pub const STMT_RESET: u8 = 0x1A;
/// `COM_SET_OPTION`: answered by an EOF (or ERR).
pub const SET_OPTION: u8 = 0x1B;
/// `COM_STMT_FETCH`: binary rows up to an EOF.
pub const STMT_FETCH: u8 = 0x1C;
/// `COM_BINLOG_DUMP_GTID`: like `COM_BINLOG_DUMP`.
pub const BINLOG_DUMP_GTID: u8 = 0x1E;
/// `COM_RESET_CONNECTION`.
pub const RESET_CONNECTION: u8 = 0x1F;
/// MariaDB's `COM_STMT_BULK_EXECUTE`.
pub const STMT_BULK_EXECUTE: u8 = 0xFA;

/// The name of command `code` (`COM_QUERY`); `None` for a code no server
/// knows.
pub fn name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "COM_SLEEP",
        QUIT => "COM_QUIT",
        INIT_DB => "COM_INIT_DB",
        QUERY => "COM_QUERY",
        FIELD_LIST => "COM_FIELD_LIST",
        0x05 => "COM_CREATE_DB",
        0x06 => "COM_DROP_DB",
        0x07 => "COM_REFRESH",
        0x08 => "COM_SHUTDOWN",
        STATISTICS => "COM_STATISTICS",
        PROCESS_INFO => "COM_PROCESS_INFO",
        0x0B => "COM_CONNECT",
        0x0C => "COM_PROCESS_KILL",
        0x0D => "COM_DEBUG",
        PING => "COM_PING",
        0x0F => "COM_TIME",
        0x10 => "COM_DELAYED_INSERT",
        CHANGE_USER => "COM_CHANGE_USER",
        BINLOG_DUMP => "COM_BINLOG_DUMP",
        0x13 => "COM_TABLE_DUMP",
        0x14 => "COM_CONNECT_OUT",
        0x15 => "COM_REGISTER_SLAVE",
        STMT_PREPARE => "COM_STMT_PREPARE",
        STMT_EXECUTE => "COM_STMT_EXECUTE",
        STMT_SEND_LONG_DATA => "COM_STMT_SEND_LONG_DATA",
        STMT_CLOSE => "COM_STMT_CLOSE",
        STMT_RESET => "COM_STMT_RESET",
        SET_OPTION => "COM_SET_OPTION",
        STMT_FETCH => "COM_STMT_FETCH",
        0x1D => "COM_DAEMON",
        BINLOG_DUMP_GTID => "COM_BINLOG_DUMP_GTID",
        RESET_CONNECTION => "COM_RESET_CONNECTION",
        STMT_BULK_EXECUTE => "COM_STMT_BULK_EXECUTE",
        _ => return None,
    })
}

/// Whether command `code` gets no answer.
pub(crate) fn one_way(code: u8) -> bool {
    matches!(code, QUIT | STMT_SEND_LONG_DATA | STMT_CLOSE)
}

/// Whether the command names a prepared statement by its id, in the 4 bytes
/// after its code.
pub(crate) fn names_statement(code: u8) -> bool {
    matches!(
        code,
        STMT_EXECUTE
            | STMT_SEND_LONG_DATA
            | STMT_CLOSE
            | STMT_RESET
            | STMT_FETCH
            | STMT_BULK_EXECUTE
    )
}

/// The verbs written without allocating (at most 12 letters).
const VERBS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "SET",
    "SHOW",
    "REPLACE",
    "CREATE",
    "DROP",
    "ALTER",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "USE",
    "CALL",
    "DO",
    "START",
    "EXPLAIN",
    "DESCRIBE",
    "DESC",
    "GRANT",
    "REVOKE",
    "TRUNCATE",
    "LOCK",
    "UNLOCK",
    "ANALYZE",
    "OPTIMIZE",
    "KILL",
    "FLUSH",
    "SAVEPOINT",
    "RELEASE",
    "PREPARE",
    "EXECUTE",
    "DEALLOCATE",
    "LOAD",
    "HANDLER",
    "RENAME",
    "WITH",
    "VALUES",
    "TABLE",
    "XA",
    "CHECK",
    "REPAIR",
    "RESET",
    "PURGE",
    "CHANGE",
    "INSTALL",
    "UNINSTALL",
    "HELP",
    "SIGNAL",
    "RESIGNAL",
    "GET",
];

/// A statement's verb, as Packetbeat's `method`: its first word in upper
/// case (`SELECT`, `SET`; `SELEC` for `SELEC 1`), after leading white
/// space. `None` for a statement that does not start with a word.
///
/// ```
/// assert_eq!(mysql::verb(b"select 1").as_deref(), Some("SELECT"));
/// assert_eq!(mysql::verb(b"  Frobnicate(2)").as_deref(), Some("FROBNICATE"));
/// assert_eq!(mysql::verb(b"/* x */ SELECT 1"), None);
/// ```
pub fn verb(statement: &[u8]) -> Option<Cow<'static, str>> {
    let start = statement.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &statement[start..];
    let len = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .unwrap_or(rest.len());
    let word = &rest[..len];
    if word.is_empty() {
        return None;
    }
    // Upper-cased on the stack, then compared with the verbs of its length.
    let mut upper = [0u8; 12];
    if let Some(upper) = upper.get_mut(..word.len()) {
        for (u, b) in upper.iter_mut().zip(word) {
            *u = b.to_ascii_uppercase();
        }
        let upper = &*upper;
        if let Some(known) = VERBS
            .iter()
            .find(|v| v.len() == upper.len() && v.as_bytes() == upper)
        {
            return Some(Cow::Borrowed(known));
        }
    }
    // ASCII alphanumerics only: valid UTF-8.
    Some(Cow::Owned(
        String::from_utf8_lossy(word).to_ascii_uppercase(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        assert!(matches!(verb(b"SELECT 1"), Some(Cow::Borrowed("SELECT"))));
        assert!(matches!(verb(b"set names 'x'"), Some(Cow::Borrowed("SET"))));
        assert_eq!(verb(b"SELEC 1").as_deref(), Some("SELEC"));
        assert_eq!(
            verb(b"\n\tinsert into t values (1)").as_deref(),
            Some("INSERT")
        );
        assert_eq!(verb(b""), None);
        assert_eq!(verb(b"   "), None);
        assert_eq!(verb(b"(SELECT 1)"), None);
        assert_eq!(verb(b"\xff\xfe"), None);
        assert!(matches!(
            verb(b"Deallocate x"),
            Some(Cow::Borrowed("DEALLOCATE"))
        ));
        assert!(matches!(verb(b"selectx"), Some(Cow::Owned(_))));
        assert_eq!(
            verb(b"averyveryverylongword 1").as_deref(),
            Some("AVERYVERYVERYLONGWORD")
        );
    }

    #[test]
    fn names() {
        assert_eq!(name(QUERY), Some("COM_QUERY"));
        assert_eq!(name(STMT_CLOSE), Some("COM_STMT_CLOSE"));
        assert_eq!(name(0x40), None);
        assert!(one_way(QUIT) && one_way(STMT_CLOSE) && !one_way(PING));
        assert!(names_statement(STMT_RESET) && !names_statement(QUERY));
    }
}
