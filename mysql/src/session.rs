//! What a connection remembers: its phase, the capabilities both sides
//! announced, whether a `LOAD DATA LOCAL INFILE` upload is under way, and
//! the prepared statements' text (an execution names its statement only by
//! id).

use analyzer_core::NetString;
use bytes::Bytes;

/// `CLIENT_COMPRESS`: after the login, every packet is compressed.
pub(crate) const CLIENT_COMPRESS: u32 = 0x20;
/// `CLIENT_PROTOCOL_41`.
pub(crate) const CLIENT_PROTOCOL_41: u32 = 0x200;
/// `CLIENT_SSL`: the client's short login asks for TLS.
pub(crate) const CLIENT_SSL: u32 = 0x800;
/// `CLIENT_SECURE_CONNECTION`: the auth response has a 1-byte length.
pub(crate) const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
/// `CLIENT_CONNECT_WITH_DB`: the login names a database.
pub(crate) const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
/// `CLIENT_PLUGIN_AUTH`: the login names its auth plugin.
pub(crate) const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
/// `CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA`: the auth response is
/// length-encoded.
pub(crate) const CLIENT_PLUGIN_AUTH_LENENC: u32 = 0x20_0000;
/// `CLIENT_DEPRECATE_EOF`: OK packets replace EOF packets.
pub(crate) const CLIENT_DEPRECATE_EOF: u32 = 0x100_0000;
/// `CLIENT_QUERY_ATTRIBUTES` (MySQL 8): `COM_QUERY` carries parameters
/// before its text.
pub(crate) const CLIENT_QUERY_ATTRIBUTES: u32 = 0x800_0000;
/// `CLIENT_ZSTD_COMPRESSION_ALGORITHM` (MySQL 8).
pub(crate) const CLIENT_ZSTD: u32 = 0x400_0000;

/// Prepared statements remembered per connection, at most.
pub const MAX_STATEMENTS: usize = 256;
/// Bytes of statement text remembered per connection, at most; a longer
/// statement is not remembered (its executions are published without
/// `query`).
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Nothing seen yet, or the capture started mid-connection.
    #[default]
    Unknown,
    /// The server's handshake was seen: the client's login comes next.
    Login,
    /// The login (or `COM_CHANGE_USER`) was sent: authentication packets
    /// until the server's OK or ERR.
    Auth,
    /// Commands and their answers.
    Command,
}

/// The state of one MySQL connection
/// ([`Conversation::Session`](analyzer_core::Conversation::Session)).
#[derive(Debug, Default)]
pub struct Session {
    /// The connection's phase.
    pub phase: Phase,
    /// The capabilities the server's handshake offers.
    pub server_capabilities: Option<u32>,
    /// The capabilities the client's login asks for.
    pub client_capabilities: Option<u32>,
    /// The server asked for a `LOAD DATA LOCAL INFILE` file: the client's
    /// next packets are its contents, up to an empty one.
    pub infile: bool,
    pub(crate) statements: Vec<(u32, NetString)>,
    pub(crate) statement_bytes: usize,
    pub(crate) last_prepared: Option<u32>,
}

impl Session {
    /// Whether both sides have capability `flag`; `None` before the login
    /// was seen.
    pub fn capability(&self, flag: u32) -> Option<bool> {
        let client = self.client_capabilities?;
        let server = self.server_capabilities.unwrap_or(u32::MAX);
        Some(client & server & flag != 0)
    }

    /// Whether OK packets replace EOF packets (`CLIENT_DEPRECATE_EOF`);
    /// `None` when the login was not seen.
    pub fn deprecate_eof(&self) -> Option<bool> {
        self.capability(CLIENT_DEPRECATE_EOF)
    }

    /// The text of prepared statement `id` (`u32::MAX`: the one prepared
    /// last, as MariaDB's direct execution names it).
    pub fn statement(&self, id: u32) -> Option<&NetString> {
        let id = match id {
            u32::MAX => self.last_prepared?,
            id => id,
        };
        self.statements
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, text)| text)
    }

    /// Remembers statement `id`'s text (a copy: the session outlives the
    /// packet), forgetting the oldest past the bounds.
    pub(crate) fn prepared(&mut self, id: u32, text: &[u8]) {
        self.closed(id);
        self.last_prepared = Some(id);
        if text.len() > MAX_STATEMENT_BYTES {
            return;
        }
        while self.statements.len() >= MAX_STATEMENTS
            || self.statement_bytes + text.len() > MAX_STATEMENT_BYTES
        {
            let (_, old) = self.statements.remove(0);
            self.statement_bytes -= old.len();
        }
        self.statement_bytes += text.len();
        self.statements
            .push((id, NetString::from(Bytes::copy_from_slice(text))));
    }

    /// Forgets statement `id` (`COM_STMT_CLOSE`).
    pub(crate) fn closed(&mut self, id: u32) {
        if let Some(at) = self.statements.iter().position(|(known, _)| *known == id) {
            let (_, old) = self.statements.remove(at);
            self.statement_bytes -= old.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_bounded() {
        let mut s = Session::default();
        s.prepared(1, b"SELECT 1");
        assert_eq!(s.statement(1).map(|t| t.as_bytes()), Some(&b"SELECT 1"[..]));
        assert_eq!(
            s.statement(u32::MAX).map(|t| t.as_bytes()),
            Some(&b"SELECT 1"[..])
        );
        s.closed(1);
        assert!(s.statement(1).is_none());
        for id in 0..1000 {
            s.prepared(id, b"SELECT 2");
        }
        assert_eq!(s.statements.len(), MAX_STATEMENTS);
        assert!(s.statement(999).is_some() && s.statement(0).is_none());
        let big = vec![b'x'; MAX_STATEMENT_BYTES / 2 + 1];
        s.prepared(5000, &big);
        s.prepared(5001, &big);
        assert!(s.statement(5000).is_none() && s.statement(5001).is_some());
        assert!(s.statement_bytes <= MAX_STATEMENT_BYTES);
        s.prepared(6000, &vec![b'x'; MAX_STATEMENT_BYTES + 1]);
        assert!(s.statement(6000).is_none() && s.statement(u32::MAX).is_none());
    }

    #[test]
    fn capabilities_need_both_sides() {
        let mut s = Session::default();
        assert_eq!(s.deprecate_eof(), None);
        s.client_capabilities = Some(CLIENT_DEPRECATE_EOF);
        assert_eq!(s.deprecate_eof(), Some(true));
        s.server_capabilities = Some(0);
        assert_eq!(s.deprecate_eof(), Some(false));
    }
}
