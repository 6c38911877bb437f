//! Reading the client's packets: its login, its commands, and the data it
//! sends inside an exchange.

use analyzer_core::{NetString, ParseError};
use bytes::Bytes;

use crate::command;
use crate::message::{Body, ClientData, Command, Login};
use crate::session::{
    Phase, Session, CLIENT_CONNECT_WITH_DB, CLIENT_PLUGIN_AUTH, CLIENT_PLUGIN_AUTH_LENENC,
    CLIENT_PROTOCOL_41, CLIENT_QUERY_ATTRIBUTES, CLIENT_SECURE_CONNECTION, CLIENT_SSL,
};
use crate::wire::Reader;

/// A client packet with sequence id `seq`, by the connection's phase: the
/// login after the server's handshake, authentication data while
/// authenticating, an upload's contents during `LOAD DATA LOCAL INFILE`,
/// else a command (sequence id 0; other packets are data). A capture that
/// starts mid-connection: a packet with sequence id 1 that reads as a login
/// is one.
pub(crate) fn parse(seq: u8, payload: Bytes, session: &Session) -> Result<Body, ParseError> {
    match session.phase {
        Phase::Login => login(&payload),
        Phase::Unknown if seq == 1 => login(&payload).or(Ok(data(false, &payload))),
        Phase::Auth => Ok(data(false, &payload)),
        _ if session.infile => Ok(data(true, &payload)),
        _ if seq != 0 => Ok(data(false, &payload)),
        _ => command(payload, session),
    }
}

fn data(infile: bool, payload: &[u8]) -> Body {
    Body::ClientData(ClientData {
        infile,
        last: payload.is_empty(),
    })
}

/// `HandshakeResponse41` (or the 4.0 one, or the short `SSLRequest`).
fn login(payload: &Bytes) -> Result<Body, ParseError> {
    let invalid = || ParseError::invalid("not a login (handshake response)");
    let text = |range: std::ops::Range<usize>| {
        (!range.is_empty()).then(|| NetString::from(payload.slice(range)))
    };
    let mut r = Reader::new(payload);
    let low = u32::from(r.u16().ok_or_else(invalid)?);
    if low & CLIENT_PROTOCOL_41 == 0 {
        // HandshakeResponse320: 2-byte capabilities, 3-byte max packet, user.
        r.skip(3).ok_or_else(invalid)?;
        let user = r.nul_str().ok_or_else(invalid)?;
        return Ok(Body::Login(Box::new(Login {
            capabilities: low,
            user: text(user),
            database: None,
            auth_plugin: None,
            ssl: false,
        })));
    }
    let capabilities = low | u32::from(r.u16().ok_or_else(invalid)?) << 16;
    // Max packet size, character set, 23 reserved bytes (MariaDB's extended
    // capabilities in the last 4).
    r.skip(4 + 1 + 23).ok_or_else(invalid)?;
    if r.remaining() == 0 {
        if capabilities & CLIENT_SSL == 0 {
            return Err(invalid());
        }
        return Ok(Body::Login(Box::new(Login {
            capabilities,
            user: None,
            database: None,
            auth_plugin: None,
            ssl: true,
        })));
    }
    let user = r.nul_str().ok_or_else(invalid)?;
    let mut login = Login {
        capabilities,
        user: text(user),
        database: None,
        auth_plugin: None,
        ssl: false,
    };
    let auth = if capabilities & CLIENT_PLUGIN_AUTH_LENENC != 0 {
        r.lenenc_str().map(|_| ())
    } else if capabilities & CLIENT_SECURE_CONNECTION != 0 {
        r.u8().and_then(|len| r.skip(usize::from(len)))
    } else {
        r.nul_str().map(|_| ())
    };
    // What follows the auth response is optional in practice (old
    // clients stop early): read what is there.
    if auth.is_some() {
        if capabilities & CLIENT_CONNECT_WITH_DB != 0 {
            login.database = r.nul_str().and_then(text);
        }
        if capabilities & CLIENT_PLUGIN_AUTH != 0 {
            login.auth_plugin = r.nul_str().and_then(text);
        }
    }
    Ok(Body::Login(Box::new(login)))
}

/// A command: its code, then its argument.
fn command(payload: Bytes, session: &Session) -> Result<Body, ParseError> {
    let Some(&code) = payload.first() else {
        return Err(ParseError::invalid("empty command packet"));
    };
    let mut command = Command {
        code,
        query: None,
        statement: None,
    };
    match code {
        command::QUERY => {
            let start = query_start(&payload, session);
            command.query = Some(NetString::from(payload.slice(start..)));
        }
        command::STMT_PREPARE | command::INIT_DB => {
            command.query = Some(NetString::from(payload.slice(1..)));
        }
        code if command::names_statement(code) => {
            let id = Reader::new(&payload[1..])
                .u32()
                .ok_or_else(|| ParseError::invalid("statement command without its statement id"))?;
            command.statement = Some(id);
            if code == command::STMT_EXECUTE || code == command::STMT_BULK_EXECUTE {
                command.query = session.statement(id).cloned();
            }
        }
        code if command::name(code).is_none() => {
            return Err(ParseError::invalid(format!("unknown command 0x{code:02x}")));
        }
        _ => {}
    }
    Ok(Body::Command(command))
}

/// Where a `COM_QUERY`'s text starts: after its code, and, with MySQL 8's
/// `CLIENT_QUERY_ATTRIBUTES`, after its attribute count and set count when
/// it has no attributes (with attributes, the whole rest is published).
fn query_start(payload: &[u8], session: &Session) -> usize {
    if session.capability(CLIENT_QUERY_ATTRIBUTES) == Some(true) {
        let mut r = Reader::new(&payload[1..]);
        if let (Some(0), Some(_)) = (r.lenenc(), r.lenenc()) {
            return 1 + r.pos();
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login_packet(caps: u32, rest: &[u8]) -> Bytes {
        let mut p = caps.to_le_bytes().to_vec();
        p.extend_from_slice(&[0, 0, 0, 1, 45]);
        p.extend_from_slice(&[0; 23]);
        p.extend_from_slice(rest);
        Bytes::from(p)
    }

    #[test]
    fn logins() {
        let session = Session {
            phase: Phase::Login,
            ..Session::default()
        };
        let caps = CLIENT_PROTOCOL_41
            | CLIENT_SECURE_CONNECTION
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_PLUGIN_AUTH;
        let p = login_packet(caps, b"bob\0\x02xyshop\0mysql_native_password\0");
        let Body::Login(l) = parse(1, p, &session).unwrap() else {
            panic!("a login")
        };
        assert_eq!(l.user.unwrap().as_bytes(), b"bob");
        assert_eq!(l.database.unwrap().as_bytes(), b"shop");
        assert_eq!(l.auth_plugin.unwrap().as_bytes(), b"mysql_native_password");
        let ssl = login_packet(caps | CLIENT_SSL, b"");
        assert!(matches!(parse(1, ssl, &session), Ok(Body::Login(l)) if l.ssl));
        assert!(parse(1, login_packet(caps, b""), &session).is_err());
        assert!(parse(1, Bytes::from_static(b"\x05"), &session).is_err());
        // Mid-connection: sequence id 1 and a login's shape.
        let unknown = Session::default();
        let p = login_packet(caps, b"bob\0\0");
        assert!(matches!(parse(1, p, &unknown), Ok(Body::Login(_))));
    }

    #[test]
    fn commands() {
        let mut session = Session {
            phase: Phase::Command,
            ..Session::default()
        };
        let q = parse(0, Bytes::from_static(b"\x03SELECT 1"), &session).unwrap();
        let Body::Command(q) = q else { panic!() };
        assert_eq!(q.query.unwrap().as_bytes(), b"SELECT 1");
        session.prepared(7, b"SELECT ?");
        let e = parse(
            0,
            Bytes::from_static(b"\x17\x07\0\0\0\0\x01\0\0\0"),
            &session,
        )
        .unwrap();
        let Body::Command(e) = e else { panic!() };
        assert_eq!(
            (e.statement, e.query.unwrap().as_bytes()),
            (Some(7), &b"SELECT ?"[..])
        );
        assert!(parse(0, Bytes::from_static(b"\x17\x07"), &session).is_err());
        assert!(parse(0, Bytes::from_static(b"\x77"), &session).is_err());
        assert!(parse(0, Bytes::new(), &session).is_err());
        assert!(matches!(
            parse(2, Bytes::from_static(b"x"), &session),
            Ok(Body::ClientData(_))
        ));
        session.client_capabilities = Some(CLIENT_QUERY_ATTRIBUTES);
        let a = parse(0, Bytes::from_static(b"\x03\x00\x01SELECT 2"), &session).unwrap();
        let Body::Command(a) = a else { panic!() };
        assert_eq!(a.query.unwrap().as_bytes(), b"SELECT 2");
    }
}
