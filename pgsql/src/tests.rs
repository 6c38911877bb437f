//! Unit tests of parsing and folding on hand-made messages.

use analyzer_core::{Conversation, Cx, Direction, Fit, Kind, Protocol};
use bytes::Bytes;

use crate::{PgsqlMessage, Session, Setup};

/// A typed message: type, length, body.
fn msg(tag: u8, body: &[u8]) -> Bytes {
    let mut out = vec![tag];
    out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(body);
    out.into()
}

fn server(frame: Bytes, session: &Session) -> PgsqlMessage {
    PgsqlMessage::parse(frame, &Cx::new(Direction::FromServer, session)).unwrap()
}

fn client(frame: Bytes, session: &Session) -> PgsqlMessage {
    PgsqlMessage::parse(frame, &Cx::new(Direction::FromClient, session)).unwrap()
}

#[test]
fn error_response_fields() {
    let e = server(
        msg(
            b'E',
            b"SERROR\0VERROR\0C42P01\0Mrelation \"x\" does not exist\0P15\0\0",
        ),
        &Session::default(),
    );
    assert_eq!(e.kind, Kind::Error);
    let error = e.error().unwrap();
    assert_eq!(
        (
            error.severity.as_bytes(),
            error.code.as_bytes(),
            error.message.as_bytes()
        ),
        (
            &b"ERROR"[..],
            &b"42P01"[..],
            &b"relation \"x\" does not exist"[..]
        )
    );
    // Sent unasked (no request waits): it stands alone.
    assert!(!e.continues);
}

#[test]
fn the_startup_phase_makes_no_transaction_and_tls_stops() {
    let mut session = Session::default();
    let ssl = client(Bytes::from_static(b"\0\0\0\x08\x04\xd2\x16\x2f"), &session);
    assert_eq!(ssl.setup, Some(Setup::SslRequest));
    assert!(!ssl.published());
    ssl.update(&mut session, Direction::FromClient);
    assert!(session.encryption_asked());
    let no = server(Bytes::from_static(b"N"), &session);
    assert_eq!(no.setup, Some(Setup::EncryptionAnswer(b'N')));
    assert_eq!(
        no.update(&mut session, Direction::FromServer),
        analyzer_core::Follow::Continue
    );
    let startup = client(Bytes::from_static(b"\0\0\0\x09\0\x03\0\0\0"), &session);
    assert_eq!(startup.setup, Some(Setup::Startup));
    startup.update(&mut session, Direction::FromClient);
    assert!(session.authenticating());
    let ready = server(msg(b'Z', b"I"), &session);
    assert_eq!(ready.setup, Some(Setup::Authentication));
    ready.update(&mut session, Direction::FromServer);
    assert!(!session.authenticating());
    assert_eq!(server(msg(b'Z', b"I"), &session).setup, None);

    let mut session = Session::default();
    session.set_encryption_asked(true);
    let yes = server(Bytes::from_static(b"S"), &session);
    assert_eq!(
        yes.update(&mut session, Direction::FromServer),
        analyzer_core::Follow::Stop("TLS")
    );
}

#[test]
fn a_bind_finds_its_statement_in_the_session() {
    let mut session = Session::default();
    let parse = client(
        msg(b'P', b"_pg3_0\0INSERT INTO t VALUES ($1)\0\0\0"),
        &session,
    );
    parse.update(&mut session, Direction::FromClient);
    let bind = client(msg(b'B', b"\0_pg3_0\0\0\0\0\0\0\0"), &session);
    assert_eq!(
        bind.query.as_ref().unwrap().as_bytes(),
        b"INSERT INTO t VALUES ($1)"
    );
    assert_eq!(bind.describe().method.as_deref(), Some("INSERT"));
    let close = client(msg(b'C', b"S_pg3_0\0"), &session);
    close.update(&mut session, Direction::FromClient);
    assert!(session.statement(b"_pg3_0").is_none());
}

#[test]
fn copy_from_stdin_is_recognized() {
    assert!(crate::copy_from_stdin(b"COPY items (id, name) FROM STDIN;"));
    assert!(crate::copy_from_stdin(
        b"copy t from stdin with (format csv)"
    ));
    assert!(!crate::copy_from_stdin(b"COPY items TO STDOUT;"));
    assert!(!crate::copy_from_stdin(b"SELECT 'copy from stdin'"));
}

#[test]
fn extended_answers_fit_no_simple_query() {
    let session = Session::default();
    let q = client(msg(b'Q', b"SELECT 1\0"), &session);
    let p = client(msg(b'P', b"\0SELECT 1\0\0\0"), &session);
    let parse_complete = server(msg(b'1', b""), &session);
    assert_eq!(parse_complete.fits(&q), Fit::Impossible);
    assert_eq!(parse_complete.fits(&p), Fit::Possible);
    let rows = server(msg(b'T', b"\0\x01"), &session);
    assert_eq!(rows.fits(&q), Fit::Possible);
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    let session = Session::default();
    let cx = Cx::new(Direction::FromServer, &session);
    for frame in [
        &b"T\0\0\0\x04"[..],
        b"E\0\0\0\x06S",
        b"C\0\0\0\x06ab",
        b"A\0\0\0\x04",
        b"Z",
    ] {
        assert!(
            PgsqlMessage::parse(Bytes::copy_from_slice(frame), &cx).is_err(),
            "{frame:?}"
        );
    }
    let cx = Cx::new(Direction::FromClient, &session);
    for frame in [
        &b"Q\0\0\0\x06ab"[..],
        b"P\0\0\0\x05\0",
        b"?\0\0\0\x04",
        b"\0\0\0\x08\0\0\0\0",
    ] {
        assert!(
            PgsqlMessage::parse(Bytes::copy_from_slice(frame), &cx).is_err(),
            "{frame:?}"
        );
    }
}
