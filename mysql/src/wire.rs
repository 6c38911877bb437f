//! Reading the protocol's basic types from a packet's payload: fixed-width
//! little-endian integers, length-encoded integers and strings,
//! NUL-terminated strings, and the OK, ERR and EOF packets every answer
//! uses.

use analyzer_core::NetString;
use bytes::Bytes;

/// A cursor over a payload. Every read returns `None` past its end, never
/// panics.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Where the next read starts.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length-encoded integer: one byte below 0xFB, or 0xFC, 0xFD, 0xFE
    /// followed by 2, 3 or 8 bytes. (0xFB, NULL in a row, and 0xFF are not
    /// integers.)
    pub(crate) fn lenenc(&mut self) -> Option<u64> {
        let first = self.u8()?;
        let width = match first {
            0..=0xFA => return Some(u64::from(first)),
            0xFC => 2,
            0xFD => 3,
            0xFE => 8,
            _ => return None,
        };
        let bytes = self.take(width)?;
        let mut value = [0u8; 8];
        value[..width].copy_from_slice(bytes);
        Some(u64::from_le_bytes(value))
    }

    /// A length-encoded string's byte range in the payload.
    pub(crate) fn lenenc_str(&mut self) -> Option<std::ops::Range<usize>> {
        let len = usize::try_from(self.lenenc()?).ok()?;
        let start = self.pos;
        self.skip(len)?;
        Some(start..self.pos)
    }

    /// A NUL-terminated string's byte range (the NUL is consumed, not
    /// included); `None` without a NUL.
    pub(crate) fn nul_str(&mut self) -> Option<std::ops::Range<usize>> {
        let rest = &self.buf[self.pos..];
        let len = rest.iter().position(|&b| b == 0)?;
        let start = self.pos;
        self.pos += len + 1;
        Some(start..start + len)
    }

    /// The rest of the payload's range.
    pub(crate) fn rest(&mut self) -> std::ops::Range<usize> {
        let start = self.pos;
        self.pos = self.buf.len();
        start..self.pos
    }
}

/// The server status flag saying another result follows
/// (`SERVER_MORE_RESULTS_EXISTS`).
pub(crate) const MORE_RESULTS: u16 = 0x0008;
/// The server status flag saying a cursor was opened: the rows of a
/// `COM_STMT_EXECUTE` come with `COM_STMT_FETCH`, not now.
pub(crate) const CURSOR_EXISTS: u16 = 0x0040;

/// An OK packet's numbers (header 0x00, or 0xFE when it ends a result set
/// under `CLIENT_DEPRECATE_EOF`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ok {
    pub(crate) affected_rows: u64,
    pub(crate) insert_id: u64,
    pub(crate) status: u16,
}

/// Reads an OK packet (its first byte is the header). Protocol 4.0 OKs end
/// after the insert id; their status is 0.
pub(crate) fn ok(payload: &[u8]) -> Option<Ok> {
    let mut r = Reader::new(payload);
    r.u8()?;
    let affected_rows = r.lenenc()?;
    let insert_id = r.lenenc()?;
    let status = r.u16().unwrap_or(0);
    Some(Ok {
        affected_rows,
        insert_id,
        status,
    })
}

/// An ERR packet: its code, SQLSTATE (protocol 4.1) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// The error number (`1146`).
    pub code: u16,
    /// The SQLSTATE (`42S02`), when the server sent one.
    pub sql_state: Option<NetString>,
    /// The message.
    pub message: NetString,
}

/// Reads an ERR packet (header 0xFF): code, then `#` and a 5-character
/// SQLSTATE in protocol 4.1, then the message.
pub(crate) fn err(payload: &Bytes) -> Option<ServerError> {
    let mut r = Reader::new(payload);
    r.u8()?;
    let code = r.u16()?;
    let sql_state = if payload.get(3) == Some(&b'#') && payload.len() >= 9 {
        r.skip(6)?;
        Some(NetString::from(payload.slice(4..9)))
    } else {
        None
    };
    let message = NetString::from(payload.slice(r.rest()));
    Some(ServerError {
        code,
        sql_state,
        message,
    })
}

/// The status flags of an EOF packet (0xFE, then warnings and status in
/// protocol 4.1; 0 for the 1-byte EOF of protocol 4.0).
pub(crate) fn eof_status(payload: &[u8]) -> u16 {
    let mut r = Reader::new(payload);
    r.skip(3);
    r.u16().unwrap_or(0)
}

/// Whether a packet with this header byte and payload length ends a result
/// set: an EOF (`0xFE`, under 9 bytes) or, under `CLIENT_DEPRECATE_EOF`, an
/// OK with header `0xFE`. A text row starting with `0xFE` (a column of 16
/// MiB or more, its length in 8 bytes) is a packet of 0xFFFFFF bytes.
pub(crate) fn is_terminator(payload: &[u8]) -> bool {
    payload.first() == Some(&0xFE) && payload.len() < 0xFF_FFFF
}

/// The status flags of a result set's terminator: an EOF's (under 7
/// bytes), or the OK's that replaces it.
pub(crate) fn terminator_status(payload: &[u8]) -> u16 {
    if payload.len() < 7 {
        eof_status(payload)
    } else {
        ok(payload).map_or(0, |ok| ok.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_encoded_integers() {
        assert_eq!(Reader::new(&[0xFA]).lenenc(), Some(250));
        assert_eq!(Reader::new(&[0xFC, 0x10, 0x27]).lenenc(), Some(10_000));
        assert_eq!(Reader::new(&[0xFD, 1, 0, 1]).lenenc(), Some(65_537));
        assert_eq!(
            Reader::new(&[0xFE, 1, 0, 0, 0, 0, 0, 0, 1]).lenenc(),
            Some(1 | 1 << 56)
        );
        assert_eq!(Reader::new(&[0xFC, 1]).lenenc(), None);
        assert_eq!(Reader::new(&[0xFB]).lenenc(), None);
        assert_eq!(Reader::new(&[0xFF]).lenenc(), None);
        assert_eq!(Reader::new(&[]).lenenc(), None);
    }

    #[test]
    fn strings() {
        let mut r = Reader::new(b"\x03abcroot\0x");
        assert_eq!(r.lenenc_str(), Some(1..4));
        assert_eq!(r.nul_str(), Some(4..8));
        assert_eq!(r.nul_str(), None);
        assert_eq!(r.rest(), 9..10);
        assert_eq!(Reader::new(b"\x05ab").lenenc_str(), None);
    }

    #[test]
    fn ok_err_eof() {
        let ok = ok(&[0, 3, 1, 2, 0, 0, 0]).unwrap();
        assert_eq!((ok.affected_rows, ok.insert_id, ok.status), (3, 1, 2));
        let payload = Bytes::from_static(b"\xff\x7a\x04#42S02Table 'x' doesn't exist");
        let e = err(&payload).unwrap();
        assert_eq!(e.code, 1146);
        assert_eq!(e.sql_state.unwrap().as_bytes(), b"42S02");
        assert_eq!(e.message.as_bytes(), b"Table 'x' doesn't exist");
        let old = err(&Bytes::from_static(b"\xff\x15\x04Access denied")).unwrap();
        assert_eq!((old.code, old.sql_state), (1045, None));
        assert_eq!(err(&Bytes::from_static(b"\xff\x15")), None);
        assert!(is_terminator(&[0xFE, 0, 0, 0x22, 0]));
        assert_eq!(terminator_status(&[0xFE, 0, 0, 0x2a, 0]), 0x2a);
        assert_eq!(terminator_status(&[0xFE, 0, 0, 0x0a, 0, 0, 0]), 0x0a);
        assert!(!is_terminator(&[0xFB]));
    }
}
