//! Reading the server's packets: its handshake, and each packet of an
//! answer, by the command it answers and what the answer so far says comes
//! next. A continuation packet reads as the change it makes to the answer
//! (a row more, the next state, the terminator's numbers), which
//! [`Conversation::fold`](analyzer_core::Conversation::fold) adds up: no
//! row is kept.

use analyzer_core::{Kind, NetString, ParseError};
use bytes::Bytes;

use crate::command;
use crate::message::{Answer, Body, Command, Greeting, OkCounts, Prepared, State};
use crate::session::{Phase, Session};
use crate::wire::{self, Reader, CURSOR_EXISTS, MORE_RESULTS};

/// A server packet: its role and body. `request` is the command waiting
/// (and the sequence id of its last packet: an answer's first packet
/// follows it, 1 after a command of one packet)
/// for an answer, `partial` the answer so far (and its last packet's
/// sequence id) when this packet continues it. `long`: `payload` is the
/// start of a payload of 16 MiB or more (in a result set, a row).
pub(crate) fn parse(
    seq: u8,
    payload: Bytes,
    session: &Session,
    request: Option<(&Body, u8)>,
    partial: Option<(&Answer, u8)>,
    long: bool,
) -> Result<(Kind, Body), ParseError> {
    let Some(&first) = payload.first() else {
        return Err(ParseError::invalid("empty server packet"));
    };
    if let Some((so_far, last)) = partial.filter(|(a, _)| a.state != State::Done) {
        // A packet numbered 1 that does not follow 0 starts an answer: the
        // end of this one was lost. It ends here, as an error (the packet
        // is taken by it: pairing after the loss is checked by the engine).
        if seq == 1 && last != 0 && !matches!(so_far.state, State::Auth | State::Infile) {
            return Ok((Kind::Error, Body::Answer(Answer::default())));
        }
        // A row (or a binlog event) of 16 MiB or more, whatever its first
        // byte (0xFE: its first column's length in 8 bytes).
        match so_far.state {
            State::Rows { binary } | State::ColumnsEnd { binary } if long => {
                return Ok(rows(State::Rows { binary }, 1))
            }
            State::Stream if long => return Ok(rows(State::Stream, 1)),
            _ => {}
        }
        return next(so_far, &payload);
    }
    let handshake_expected = matches!(session.phase, Phase::Unknown | Phase::Login);
    if handshake_expected && seq == 0 && first == 10 {
        if let Some(greeting) = greeting(&payload) {
            return Ok((Kind::Greeting, Body::Greeting(Box::new(greeting))));
        }
    }
    let (request, first) = match request {
        Some((body, last)) => (Some(body), last.wrapping_add(1)),
        None => (None, 1),
    };
    match request {
        // The login's answer goes on from its sequence id (1): a packet
        // numbered 1 answers a command (the login's answer was lost).
        Some(Body::Login(_)) if seq == 1 => result(&payload, false),
        Some(Body::Login(_)) => auth(&payload),
        // An answer's first packet is numbered 1 (after a command of 16
        // MiB or more, one more than its last packet).
        Some(Body::Command(command)) if seq == first => answer(command, &payload, session),
        Some(Body::Command(_)) => Ok(rest_of_answer(&payload, Kind::Error)),
        _ if session.phase == Phase::Auth => auth(&payload),
        // No request seen (lost, or before the capture): an answer's first
        // packet, or the rest of an answer whose start was not seen.
        _ if seq == 1 => result(&payload, false),
        _ => Ok(rest_of_answer(&payload, Kind::Response)),
    }
}

/// A packet of an answer whose start was not seen (lost in a gap, or
/// before the capture): what it alone says; rows go on up to a terminator.
/// With a command waiting, `Kind::Error`: the command cannot be told its
/// answer (it is not numbered 1, as an answer's first packet is).
fn rest_of_answer(payload: &Bytes, kind: Kind) -> (Kind, Body) {
    let (_, body) = match payload[0] {
        0xFF => err(payload),
        _ if wire::is_terminator(payload) => done(Answer::default()),
        0x00 => ok(payload, false),
        _ => rows(State::Rows { binary: false }, 1),
    };
    (kind, body)
}

/// The server's handshake (protocol 10): its version, the connection id,
/// the capabilities and the auth plugin.
fn greeting(payload: &Bytes) -> Option<Greeting> {
    let mut r = Reader::new(payload);
    let protocol = r.u8()?;
    let version = r.nul_str()?;
    let connection_id = r.u32()?;
    r.skip(8 + 1)?; // the scramble's first part, a filler
    let low = u32::from(r.u16()?);
    let mut greeting = Greeting {
        protocol,
        server_version: NetString::from(payload.slice(version)),
        connection_id,
        capabilities: low,
        auth_plugin: None,
    };
    // Then: character set, status, upper capabilities, scramble length,
    // 10 reserved bytes, the scramble's second part, the plugin name.
    if let (Some(_), Some(_), Some(high), Some(scramble)) = (r.u8(), r.u16(), r.u16(), r.u8()) {
        greeting.capabilities |= u32::from(high) << 16;
        let second = usize::from(scramble).saturating_sub(8).max(13);
        if r.skip(10).and_then(|_| r.skip(second)).is_some() {
            let plugin = r.nul_str().unwrap_or_else(|| r.rest());
            greeting.auth_plugin =
                (!plugin.is_empty()).then(|| NetString::from(payload.slice(plugin)));
        }
    }
    Some(greeting)
}

fn done(answer: Answer) -> (Kind, Body) {
    (Kind::Response, Body::Answer(answer))
}

fn rows(state: State, rows: u64) -> (Kind, Body) {
    done(Answer {
        state,
        num_rows: rows,
        ..Answer::default()
    })
}

/// An OK packet; `binary`: another result of an execution may follow.
fn ok(payload: &[u8], binary: bool) -> (Kind, Body) {
    let Some(ok) = wire::ok(payload) else {
        return done(Answer::default());
    };
    done(Answer {
        state: after_result(ok.status, binary),
        ok: Some(OkCounts {
            affected_rows: ok.affected_rows,
            insert_id: ok.insert_id,
        }),
        ..Answer::default()
    })
}

fn after_result(status: u16, binary: bool) -> State {
    if status & MORE_RESULTS != 0 {
        State::NextResult { binary }
    } else {
        State::Done
    }
}

fn err(payload: &Bytes) -> (Kind, Body) {
    let error = wire::err(payload).map(Box::new);
    (
        Kind::Error,
        Body::Answer(Answer {
            error,
            ..Answer::default()
        }),
    )
}

/// An authentication packet: OK or ERR end the exchange; an auth switch
/// (`0xFE`) or more data (`0x01`) announce more of it.
fn auth(payload: &Bytes) -> Result<(Kind, Body), ParseError> {
    match payload[0] {
        0x00 => Ok(ok(payload, false)),
        0xFF => Ok(err(payload)),
        0xFE | 0x01 => Ok(done(Answer {
            state: State::Auth,
            ..Answer::default()
        })),
        other => Err(ParseError::invalid(format!(
            "unexpected authentication packet 0x{other:02x}"
        ))),
    }
}

/// The first packet of the answer to `command`.
fn answer(
    command: &Command,
    payload: &Bytes,
    session: &Session,
) -> Result<(Kind, Body), ParseError> {
    let first = payload[0];
    if first == 0xFF {
        return Ok(err(payload));
    }
    let binary = command.code == command::STMT_EXECUTE;
    Ok(match command.code {
        command::STMT_PREPARE if first == 0x00 => prepare_ok(command, payload, session)?,
        command::STATISTICS => done(Answer::default()),
        command::CHANGE_USER => auth(payload)?,
        command::FIELD_LIST
        | command::STMT_FETCH
        | command::BINLOG_DUMP
        | command::BINLOG_DUMP_GTID
            if wire::is_terminator(payload) =>
        {
            done(Answer::default())
        }
        command::FIELD_LIST => done(Answer {
            state: State::FieldList,
            num_fields: 1,
            ..Answer::default()
        }),
        command::STMT_FETCH => rows(State::Rows { binary: true }, 1),
        command::BINLOG_DUMP | command::BINLOG_DUMP_GTID => rows(State::Stream, 1),
        _ => result(payload, binary)?,
    })
}

/// The first packet of a result: an OK, an EOF (`COM_SET_OPTION`,
/// `COM_DEBUG`), a `LOAD DATA LOCAL INFILE` request, or a result set's
/// column count.
fn result(payload: &Bytes, binary: bool) -> Result<(Kind, Body), ParseError> {
    match payload[0] {
        0x00 => return Ok(ok(payload, binary)),
        0xFF => return Ok(err(payload)),
        0xFB => {
            return Ok(done(Answer {
                state: State::Infile,
                ..Answer::default()
            }))
        }
        _ if wire::is_terminator(payload) => {
            return Ok(done(Answer {
                state: after_result(wire::terminator_status(payload), binary),
                ..Answer::default()
            }))
        }
        _ => {}
    }
    let mut r = Reader::new(payload);
    let columns = r
        .lenenc()
        .filter(|&n| n > 0)
        .ok_or_else(|| ParseError::invalid("not an OK, ERR or result set"))?;
    // MariaDB with MARIADB_CLIENT_CACHE_METADATA: a byte saying whether
    // the column definitions follow (0: the prepared statement's apply).
    let state = match (r.u8(), r.remaining()) {
        (Some(0), 0) => State::ColumnsEnd { binary },
        (None, _) | (Some(1), 0) => State::Columns {
            left: columns,
            binary,
        },
        _ => return Err(ParseError::invalid("column count followed by extra bytes")),
    };
    Ok(done(Answer {
        state,
        num_fields: columns,
        ..Answer::default()
    }))
}

/// `COM_STMT_PREPARE`'s OK: the statement id, its column and parameter
/// counts, whose definitions follow.
fn prepare_ok(
    command: &Command,
    payload: &Bytes,
    session: &Session,
) -> Result<(Kind, Body), ParseError> {
    let mut r = Reader::new(payload);
    r.u8();
    let (Some(id), Some(columns), Some(params)) = (r.u32(), r.u16(), r.u16()) else {
        return Err(ParseError::invalid("short COM_STMT_PREPARE answer"));
    };
    // Unknown when the login was not seen: most clients want EOFs.
    let eof = !session.deprecate_eof().unwrap_or(false);
    let (params, columns) = (u64::from(params), u64::from(columns));
    Ok(done(Answer {
        state: definitions(params, columns, eof),
        num_fields: columns,
        prepared: Some(Box::new(Prepared {
            id,
            query: command.query.clone(),
        })),
        ..Answer::default()
    }))
}

/// What follows a `COM_STMT_PREPARE` OK.
fn definitions(params: u64, columns: u64, eof: bool) -> State {
    if params > 0 {
        State::Params {
            left: params,
            columns,
            eof,
        }
    } else if columns > 0 {
        State::PreparedColumns { left: columns, eof }
    } else {
        State::Done
    }
}

/// A further packet of an answer, read as its change to the answer.
fn next(so_far: &Answer, payload: &Bytes) -> Result<(Kind, Body), ParseError> {
    let first = payload[0];
    let state = |state| {
        Ok(done(Answer {
            state,
            ..Answer::default()
        }))
    };
    match so_far.state {
        State::Auth => auth(payload),
        State::NextResult { binary } => result(payload, binary),
        State::Columns { left, binary } => state(if left > 1 {
            State::Columns {
                left: left - 1,
                binary,
            }
        } else {
            State::ColumnsEnd { binary }
        }),
        State::ColumnsEnd { binary } => Ok(match first {
            0xFF => err(payload),
            // The EOF after the definitions (5 bytes; 1 in protocol 4.0);
            // a cursor's rows come with COM_STMT_FETCH.
            0xFE if payload.len() < 7 => {
                if wire::eof_status(payload) & CURSOR_EXISTS != 0 {
                    done(Answer::default())
                } else {
                    rows(State::Rows { binary }, 0)
                }
            }
            // CLIENT_DEPRECATE_EOF and no rows: the OK that ends them.
            _ if wire::is_terminator(payload) => end_of_rows(payload, binary),
            _ => rows(State::Rows { binary }, 1),
        }),
        State::Rows { binary } => Ok(match first {
            0xFF => err(payload),
            _ if wire::is_terminator(payload) => end_of_rows(payload, binary),
            _ => rows(State::Rows { binary }, 1),
        }),
        State::Params { left, columns, eof } => state(if left > 1 {
            State::Params {
                left: left - 1,
                columns,
                eof,
            }
        } else if eof {
            State::DefinitionsEof { columns }
        } else {
            definitions(0, columns, eof)
        }),
        State::PreparedColumns { left, eof } => state(if left > 1 {
            State::PreparedColumns {
                left: left - 1,
                eof,
            }
        } else if eof {
            State::DefinitionsEof { columns: 0 }
        } else {
            State::Done
        }),
        State::DefinitionsEof { columns } if first == 0xFE => state(definitions(0, columns, true)),
        State::DefinitionsEof { .. } => Err(ParseError::invalid(
            "expected an EOF after a prepared statement's definitions",
        )),
        State::FieldList => Ok(match first {
            0xFF => err(payload),
            _ if wire::is_terminator(payload) => done(Answer::default()),
            _ => done(Answer {
                state: State::FieldList,
                num_fields: so_far.num_fields + 1,
                ..Answer::default()
            }),
        }),
        State::Infile => Ok(match first {
            0xFF => err(payload),
            _ => ok(payload, false),
        }),
        State::Stream => Ok(match first {
            0xFF => err(payload),
            _ if wire::is_terminator(payload) => done(Answer::default()),
            _ => rows(State::Stream, 1),
        }),
        State::Done => Err(ParseError::invalid("answer already complete")),
    }
}

/// The EOF or OK that ends a result set's rows (another result may follow).
fn end_of_rows(payload: &[u8], binary: bool) -> (Kind, Body) {
    done(Answer {
        state: after_result(wire::terminator_status(payload), binary),
        ..Answer::default()
    })
}
