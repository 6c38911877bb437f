//! How a connection's packets relate: the session each packet changes,
//! answers folded packet by packet, one-way commands, Packetbeat's fields.

use std::borrow::Cow;

use analyzer_core::{Conversation, Description, Direction, Fit, Follow, JsonFields, JsonKey};

use crate::command;
use crate::message::{Answer, Body, Command, State};
use crate::session::{Phase, Session, CLIENT_COMPRESS, CLIENT_ZSTD};
use crate::MysqlMessage;

impl Conversation for MysqlMessage {
    type Session = Session;

    /// Moves the connection through its phases (handshake, login,
    /// authentication, commands), keeps the capabilities, the prepared
    /// statements and whether an upload is under way; stops at TLS or
    /// compression.
    fn update(&self, session: &mut Session, _direction: Direction) -> Follow {
        match &self.body {
            Body::Greeting(greeting) => {
                session.server_capabilities = Some(greeting.capabilities);
                session.phase = Phase::Login;
            }
            Body::Login(login) => {
                session.client_capabilities = Some(login.capabilities);
                session.phase = Phase::Auth;
                if login.ssl {
                    return Follow::Stop("TLS");
                }
            }
            Body::Command(c) => match c.code {
                command::CHANGE_USER => session.phase = Phase::Auth,
                command::STMT_CLOSE => {
                    session.phase = Phase::Command;
                    if let Some(id) = c.statement {
                        session.closed(id);
                    }
                }
                _ => session.phase = Phase::Command,
            },
            Body::ClientData(data) => {
                if data.infile && data.last {
                    session.infile = false;
                }
            }
            Body::Continuation => {}
            Body::Answer(answer) => {
                if answer.state == State::Infile {
                    session.infile = true;
                } else if answer.ok.is_some() || answer.error.is_some() {
                    // The upload is over when the server answers (its empty
                    // last packet may have been lost).
                    session.infile = false;
                }
                if let Some(prepared) = &answer.prepared {
                    let text = prepared.query.as_ref().map_or(&[][..], |q| q.as_bytes());
                    session.prepared(prepared.id, text);
                }
                if session.phase == Phase::Auth && answer.state == State::Done {
                    session.phase = Phase::Command;
                    if answer.ok.is_some()
                        && session.capability(CLIENT_COMPRESS | CLIENT_ZSTD) == Some(true)
                    {
                        return Follow::Stop("compressed protocol");
                    }
                }
            }
        }
        Follow::Continue
    }

    /// A statement of 16 MiB or more: its `query` is its start.
    fn note(&self) -> Option<Cow<'static, str>> {
        (self.continued && matches!(self.body, Body::Command(_))).then_some(Cow::Borrowed(
            "a statement of 16 MiB or more: `query` holds its first 64 KiB",
        ))
    }

    /// An answer goes on until its state is done; an upload up to its
    /// empty packet; a payload of 16 MiB or more up to its last piece.
    fn continues(&self) -> bool {
        self.continued || self.body.continues()
    }

    /// Adds a further packet's change to the answer: its state, its rows,
    /// the OK's numbers, the first error.
    fn fold(&mut self, next: Self) {
        self.seq = next.seq;
        match (&mut self.body, next.body) {
            (Body::Answer(whole), Body::Answer(more)) => fold_answer(whole, more),
            (Body::ClientData(whole), Body::ClientData(more)) => whole.last = more.last,
            _ => {}
        }
    }

    /// `COM_QUIT`, `COM_STMT_CLOSE`, `COM_STMT_SEND_LONG_DATA`, client data
    /// and the `SSLRequest` get no answer.
    fn expects_response(&self) -> bool {
        match &self.body {
            Body::Command(c) => !command::one_way(c.code),
            Body::Login(login) => !login.ssl,
            Body::ClientData(_) | Body::Continuation => false,
            _ => true,
        }
    }

    /// After packet loss: a `COM_STMT_PREPARE` answer answers only a
    /// preparation; a result set only commands that get one (not a login);
    /// authentication packets only a login or `COM_CHANGE_USER`.
    fn fits(&self, request: &Self) -> Fit {
        let Body::Answer(answer) = &self.body else {
            return Fit::Possible;
        };
        let c = match &request.body {
            Body::Command(c) => c,
            // A login is answered by OK, ERR or authentication packets.
            Body::Login(_) if answer.num_fields > 0 || answer.prepared.is_some() => {
                return Fit::Impossible
            }
            _ => return Fit::Possible,
        };
        if answer.state == State::Auth && c.code != command::CHANGE_USER {
            return Fit::Impossible;
        }
        if answer.prepared.is_some() {
            return if c.code == command::STMT_PREPARE {
                Fit::Possible
            } else {
                Fit::Impossible
            };
        }
        let result_set = answer.num_fields > 0;
        let gets_result_set = matches!(
            c.code,
            command::QUERY
                | command::STMT_EXECUTE
                | command::STMT_FETCH
                | command::FIELD_LIST
                | command::PROCESS_INFO
                | command::STMT_BULK_EXECUTE
        );
        if result_set && !gets_result_set {
            Fit::Impossible
        } else {
            Fit::Possible
        }
    }

    /// `method` and `query`, as Packetbeat publishes them.
    fn describe(&self) -> Description<'_> {
        let Body::Command(c) = &self.body else {
            return Description::default();
        };
        let mut description = Description::default();
        match c.code {
            command::QUERY
            | command::STMT_PREPARE
            | command::STMT_EXECUTE
            | command::STMT_BULK_EXECUTE => {
                if let Some(query) = &c.query {
                    description.method = command::verb(query);
                    description.query = Some(query.to_string_lossy());
                }
            }
            command::INIT_DB => {
                description.method = Some(Cow::Borrowed("USE"));
                description.query = c.query.as_ref().map(|q| q.to_string_lossy());
            }
            command::PING => description.method = Some(Cow::Borrowed("PING")),
            command::QUIT => description.method = Some(Cow::Borrowed("QUIT")),
            _ => {}
        }
        description
    }

    /// `mysql.*`: the answer's counts and error, the greeting's server, the
    /// login's user, a command's name when it has no method.
    fn fields(request: Option<&Self>, response: Option<&Self>, out: &mut JsonFields<'_>) {
        const MYSQL: JsonKey = JsonKey::new("mysql");
        if response.is_none() && !request.is_some_and(has_fields) {
            return;
        }
        out.object(MYSQL);
        if let Some(request) = request {
            request_fields(request, out);
        }
        match response.map(|m| &m.body) {
            Some(Body::Answer(answer)) => answer_fields(answer, out),
            Some(Body::Greeting(greeting)) => {
                out.text(JsonKey::new("server_version"), &greeting.server_version);
                out.u64(
                    JsonKey::new("connection_id"),
                    u64::from(greeting.connection_id),
                );
            }
            _ => {}
        }
        out.end();
    }
}

/// Folds a further packet's change into an answer.
fn fold_answer(whole: &mut Answer, more: Answer) {
    whole.state = more.state;
    whole.num_rows += more.num_rows;
    whole.num_fields = whole.num_fields.max(more.num_fields);
    match (&mut whole.ok, more.ok) {
        (Some(ok), Some(more)) => {
            ok.affected_rows += more.affected_rows;
            if ok.insert_id == 0 {
                ok.insert_id = more.insert_id;
            }
        }
        (ok @ None, more) => *ok = more,
        _ => {}
    }
    if whole.error.is_none() {
        whole.error = more.error;
    }
}

/// Whether [`describe`](Conversation::describe) gives the command a method
/// (without computing it).
fn has_method(c: &Command) -> bool {
    match c.code {
        command::QUERY
        | command::STMT_PREPARE
        | command::STMT_EXECUTE
        | command::STMT_BULK_EXECUTE => c.query.as_ref().is_some_and(|q| {
            q.iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }),
        command::INIT_DB | command::PING | command::QUIT => true,
        _ => false,
    }
}

/// Whether a request alone has fields of its own (a command with a method
/// and no statement has none).
fn has_fields(request: &MysqlMessage) -> bool {
    match &request.body {
        Body::Login(login) => login.user.is_some() || login.database.is_some(),
        Body::Command(c) => c.statement.is_some() || !has_method(c),
        Body::ClientData(_) => true,
        _ => false,
    }
}

fn request_fields(request: &MysqlMessage, out: &mut JsonFields<'_>) {
    match &request.body {
        Body::Login(login) => {
            if let Some(user) = &login.user {
                out.text(JsonKey::new("user"), user);
            }
            if let Some(database) = &login.database {
                out.text(JsonKey::new("database"), database);
            }
        }
        Body::Command(c) => {
            if !has_method(c) {
                if let Some(name) = command::name(c.code) {
                    out.str(JsonKey::new("command"), name);
                }
            }
            if let Some(id) = c.statement {
                out.u64(JsonKey::new("statement_id"), u64::from(id));
            }
        }
        Body::ClientData(data) => {
            let what = if data.infile { "infile" } else { "auth" };
            out.str(JsonKey::new("client_data"), what);
        }
        _ => {}
    }
}

fn answer_fields(answer: &Answer, out: &mut JsonFields<'_>) {
    if let Some(ok) = &answer.ok {
        out.u64(JsonKey::new("affected_rows"), ok.affected_rows);
        out.u64(JsonKey::new("insert_id"), ok.insert_id);
    }
    out.u64(JsonKey::new("num_fields"), answer.num_fields);
    out.u64(JsonKey::new("num_rows"), answer.num_rows);
    if let Some(error) = &answer.error {
        out.u64(JsonKey::new("error_code"), u64::from(error.code));
        out.text(JsonKey::new("error_message"), &error.message);
        if let Some(state) = &error.sql_state {
            out.text(JsonKey::new("sql_state"), state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer_core::{Direction, Protocol};

    #[test]
    fn has_method_agrees_with_describe() {
        for frame in [
            &b"\x00\x03SELECT 1"[..],
            b"\x00\x03  select 1",
            b"\x00\x03/* x */ SELECT 1",
            b"\x00\x03",
            b"\x00\x16(SELECT 1)",
            b"\x00\x02shop",
            b"\x00\x0e",
            b"\x00\x01",
            b"\x00\x1a\x01\x00\x00\x00",
            b"\x00\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00",
            b"\x00\x09",
        ] {
            let message = MysqlMessage::parse_one(frame, Direction::FromClient).unwrap();
            let Body::Command(c) = &message.body else {
                panic!("a command")
            };
            assert_eq!(
                has_method(c),
                message.describe().method.is_some(),
                "{frame:?}"
            );
        }
    }
}
