//! What a connection remembers between messages: where it is in the
//! startup phase, and the text of its prepared statements.

use std::collections::HashMap;

use analyzer_core::NetString;
use bytes::Bytes;

/// Most prepared statements remembered per connection; past it, one is
/// forgotten for each new one (a `Bind` of a forgotten statement is
/// published without its query).
pub const MAX_STATEMENTS: usize = 128;
/// Longest statement text remembered (longer ones are kept truncated to
/// this many bytes).
pub const MAX_STATEMENT_TEXT: usize = 4096;

/// The state of one PostgreSQL connection, shared by both directions.
///
/// ```
/// use pgsql::Session;
///
/// let session = Session::default();
/// assert!(!session.encryption_asked() && !session.authenticating());
/// assert!(session.statement(b"_pg3_0").is_none());
/// ```
#[derive(Debug, Default)]
pub struct Session {
    /// An SSLRequest or GSSENCRequest waits for its one-byte answer.
    encryption_asked: bool,
    /// Between the StartupMessage and the first ReadyForQuery.
    authenticating: bool,
    /// Prepared statements by name (the unnamed one under `""`).
    statements: HashMap<Bytes, NetString>,
}

impl Session {
    /// Whether the server's next byte answers an SSLRequest or a
    /// GSSENCRequest (`N`, `S` or `G`, without type or length).
    pub fn encryption_asked(&self) -> bool {
        self.encryption_asked
    }

    /// Whether the connection is between its StartupMessage and its first
    /// ReadyForQuery (authentication and parameters: no transactions).
    pub fn authenticating(&self) -> bool {
        self.authenticating
    }

    /// The text of the prepared statement `name`, if a `Parse` on this
    /// connection prepared it.
    pub fn statement(&self, name: &[u8]) -> Option<&NetString> {
        self.statements.get(name)
    }

    pub(crate) fn set_encryption_asked(&mut self, asked: bool) {
        self.encryption_asked = asked;
    }

    pub(crate) fn set_authenticating(&mut self, authenticating: bool) {
        self.authenticating = authenticating;
    }

    /// Remembers `query` as statement `name` (copied: the frame it came in
    /// is not kept alive), forgetting another one if there are too many.
    pub(crate) fn prepare(&mut self, name: &[u8], query: &[u8]) {
        let statements = &mut self.statements;
        if statements.len() >= MAX_STATEMENTS && !statements.contains_key(name) {
            if let Some(victim) = statements.keys().next().cloned() {
                statements.remove(&victim);
            }
        }
        let text = Bytes::copy_from_slice(&query[..query.len().min(MAX_STATEMENT_TEXT)]);
        statements.insert(Bytes::copy_from_slice(name), text.into());
    }

    /// Forgets statement `name` (a `Close` of it).
    pub(crate) fn close(&mut self, name: &[u8]) {
        self.statements.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_bounded_in_number_and_size() {
        let mut session = Session::default();
        for i in 0..MAX_STATEMENTS + 10 {
            session.prepare(format!("s{i}").as_bytes(), b"SELECT 1");
        }
        assert_eq!(session.statements.len(), MAX_STATEMENTS);
        let long = vec![b'x'; MAX_STATEMENT_TEXT * 2];
        session.prepare(b"long", &long);
        assert_eq!(
            session.statement(b"long").unwrap().len(),
            MAX_STATEMENT_TEXT
        );
        session.close(b"long");
        assert!(session.statement(b"long").is_none());
    }
}
