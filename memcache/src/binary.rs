//! The binary protocol: a 24-byte header (magic, opcode, key length, extras
//! length, vbucket or status, total body length, opaque, cas), then extras,
//! key and value. A stats answer (one message per statistic, the last with
//! no key) is merged into one frame.

use analyzer_core::{Direction, Kind, NetString, ParseError};
use bytes::Bytes;

use crate::codes::{self, CommandType};
use crate::{have, Fields, FrameLen, MemcacheMessage, ProtocolType, Stat, MAX_PARTS};

pub(crate) const REQUEST_MAGIC: u8 = 0x80;
pub(crate) const RESPONSE_MAGIC: u8 = 0x81;
const HEADER: usize = 24;
const STAT: u8 = 0x10;
/// The status of a miss.
const KEY_NOT_FOUND: u16 = 1;

struct Header {
    magic: u8,
    opcode: u8,
    key_len: usize,
    extras_len: usize,
    /// vbucket in requests, status in responses.
    vbucket_or_status: u16,
    opaque: u32,
    cas: u64,
    /// Header and body.
    len: usize,
}

fn be<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at + N)?.try_into().ok()
}

impl Header {
    /// The header at the start of `buf`: `Ok(None)` when not all there, an
    /// error when its lengths do not add up.
    fn read(buf: &[u8]) -> Result<Option<Header>, String> {
        let (Some(h), Some(body), Some(opaque), Some(cas)) = (
            be::<8>(buf, 0),
            be::<4>(buf, 8),
            be::<4>(buf, 12),
            be::<8>(buf, 16),
        ) else {
            return Ok(None);
        };
        let (key_len, extras_len) = (usize::from(u16::from_be_bytes([h[2], h[3]])), h[4].into());
        let body = u32::from_be_bytes(body) as usize;
        if key_len + extras_len > body {
            return Err(format!(
                "binary header: key ({key_len}) and extras ({extras_len}) exceed the body ({body})"
            ));
        }
        let len = HEADER
            .checked_add(body)
            .ok_or("binary body length overflows")?;
        Ok(Some(Header {
            magic: h[0],
            opcode: h[1],
            key_len,
            extras_len,
            vbucket_or_status: u16::from_be_bytes([h[6], h[7]]),
            opaque: u32::from_be_bytes(opaque),
            cas: u64::from_be_bytes(cas),
            len,
        }))
    }

    fn is_stat_entry(&self) -> bool {
        self.magic == RESPONSE_MAGIC && self.opcode == STAT && self.key_len > 0
    }
}

/// Frames one binary message, or a whole stats answer, resuming a stats
/// answer where the previous call stopped (`progress`: the next entry's
/// start and the entries before it). A stats answer of more than
/// [`MAX_PARTS`] entries, or longer than the stream's limit, is cut at an
/// entry boundary (`FrameLen::Cut`): the rest is a message of its own; a
/// first entry longer than the limit is given its exact end (skipped
/// exactly).
pub(crate) fn frame(buf: &[u8], progress: &mut StatsProgress, limit: usize) -> FrameLen {
    let first = match Header::read(buf) {
        Ok(Some(h)) => h,
        Ok(None) => return FrameLen::AtLeast(HEADER),
        Err(why) => return FrameLen::Invalid(why),
    };
    if !first.is_stat_entry() {
        return have(buf, first.len);
    }
    let StatsProgress { mut pos, mut count } = std::mem::take(progress);
    // Where to resume: the next entry's start and the entries before it.
    let mut save = |pos: usize, count: usize| *progress = StatsProgress { pos, count };
    while count < MAX_PARTS {
        let Some(rest) = buf.get(pos..) else {
            save(pos, count);
            return FrameLen::AtLeast(pos);
        };
        let h = match Header::read(rest) {
            Ok(Some(h)) => h,
            Ok(None) if pos > 0 && buf.len() >= limit => return FrameLen::Cut(pos),
            // The next header is not all there: it may or may not belong to
            // this answer, so no lower bound can be claimed.
            Ok(None) => {
                save(pos, count);
                return FrameLen::Incomplete(None);
            }
            Err(why) => return FrameLen::Invalid(why),
        };
        if h.magic != RESPONSE_MAGIC || h.opcode != STAT || h.opaque != first.opaque {
            return FrameLen::Complete(pos); // the answer was cut short
        }
        let Some(end) = pos.checked_add(h.len) else {
            return FrameLen::Invalid("binary body length overflows".into());
        };
        if end > limit {
            return match pos {
                0 => have(buf, end),
                _ => FrameLen::Cut(pos),
            };
        }
        if h.key_len == 0 {
            return have(buf, end); // the last entry has no key
        }
        count += 1;
        if end > buf.len() {
            // At least this entry; whether another follows is not known
            // yet (the answer may end after it).
            save(end, count);
            return FrameLen::AtLeast(end);
        }
        pos = end;
    }
    FrameLen::Cut(pos)
}

/// Where the framer stopped in a binary stats answer: the next entry's
/// start and the entries before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StatsProgress {
    pos: usize,
    count: usize,
}

/// Parses one binary frame.
pub(crate) fn parse(frame: Bytes, direction: Direction) -> Result<MemcacheMessage, ParseError> {
    let invalid = |why: String| ParseError::Invalid(why);
    let h = Header::read(&frame)
        .map_err(invalid)?
        .ok_or_else(|| invalid("binary message shorter than its 24-byte header".into()))?;
    if frame.len() < h.len {
        return Err(invalid(format!(
            "binary message of {} bytes, its header says {}",
            frame.len(),
            h.len
        )));
    }
    let request = match (h.magic, direction) {
        (REQUEST_MAGIC, Direction::FromClient) => true,
        (RESPONSE_MAGIC, Direction::FromServer) => false,
        (magic, _) => {
            return Err(invalid(format!(
                "magic byte 0x{magic:02x} sent by the {}",
                match direction {
                    Direction::FromClient => "client",
                    Direction::FromServer => "server",
                }
            )))
        }
    };
    let extras = &frame[HEADER..HEADER + h.extras_len];
    let key_end = HEADER + h.extras_len + h.key_len;
    let key = frame.slice(HEADER + h.extras_len..key_end);
    let value = frame.slice(key_end..h.len);
    let (command, command_type) = codes::binary_command(h.opcode);
    let mut f = Fields {
        command,
        command_type,
        opcode: codes::opcode_name(h.opcode),
        opcode_value: Some(h.opcode),
        opaque: Some(h.opaque),
        keys: (!key.is_empty()).then(|| vec![key.into()]),
        cas_unique: (h.cas != 0).then_some(h.cas),
        ..Fields::default()
    };
    let u32_at = |at| be::<4>(extras, at).map_or(0, u32::from_be_bytes);
    let u64_at = |at| be::<8>(extras, at).map_or(0, u64::from_be_bytes);
    let mut value_is_data = true;
    if request {
        f.quiet = Some(codes::is_quiet(h.opcode));
        f.vbucket = Some(h.vbucket_or_status);
        match command {
            "set" | "add" | "replace" => {
                (f.flags, f.exptime) = (Some(u32_at(0)), Some(u32_at(4).into()))
            }
            "incr" | "decr" => {
                (f.delta, f.initial) = (Some(u64_at(0)), Some(u64_at(8)));
                f.exptime = Some(u32_at(16).into());
            }
            "flush_all" | "touch" => f.exptime = Some(u32_at(0).into()),
            "verbosity" => f.verbosity = Some(u32_at(0).into()),
            _ => {}
        }
    } else {
        let status = h.vbucket_or_status;
        (f.status, f.status_code) = (codes::status_name(status), Some(status));
        match command_type {
            CommandType::Load => f.flags = Some(u32_at(0)),
            CommandType::Counter if status == 0 && value.len() == 8 => {
                f.value = be::<8>(&value, 0).map(u64::from_be_bytes);
                value_is_data = false;
            }
            CommandType::Stats => {
                f.keys = None;
                f.stats = Some(stats(&frame));
                value_is_data = false;
            }
            _ if command == "version" => {
                f.version = Some(value.clone().into());
                value_is_data = false;
            }
            _ => {}
        }
    }
    if value_is_data && !value.is_empty() {
        (f.count_values, f.bytes) = (Some(1), Some(value.len() as u64));
    }
    // A get's "Key not found" is a miss, not a failure (as the text
    // protocol's `END` alone): Packetbeat publishes it `OK`.
    let kind = match (request, h.vbucket_or_status) {
        (true, _) => Kind::Request,
        (false, 0) => Kind::Response,
        (false, KEY_NOT_FOUND) if f.command_type == CommandType::Load => Kind::Response,
        (false, _) => Kind::Error,
    };
    Ok(MemcacheMessage {
        kind,
        protocol_type: ProtocolType::Binary,
        fields: f,
    })
}

/// The entries of a (merged) stats answer: key = name, value = value.
fn stats(frame: &Bytes) -> Vec<Stat> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Ok(Some(h)) = Header::read(&frame[pos..]) {
        let Some(end) = pos.checked_add(h.len).filter(|&end| end <= frame.len()) else {
            break;
        };
        if h.key_len > 0 {
            let key_start = pos + HEADER + h.extras_len;
            let name = frame.slice(key_start..key_start + h.key_len);
            let value = frame.slice(key_start + h.key_len..end);
            out.push(Stat {
                name: NetString::from(name),
                value: NetString::from(value),
            });
        }
        pos = end;
    }
    out
}
