//! Parsing the text protocol: Packetbeat's fields for each command and
//! reply (`text.go` in Packetbeat's memcache analyzer).

use analyzer_core::{Direction, Kind, NetString, ParseError};
use bytes::Bytes;

use crate::codes::CommandType::{self, *};
use crate::{Fields, MemcacheMessage, ProtocolType, Stat};

fn invalid(why: impl Into<String>) -> ParseError {
    ParseError::Invalid(why.into())
}

/// Parses one text frame.
pub(crate) fn parse(frame: Bytes, direction: Direction) -> Result<MemcacheMessage, ParseError> {
    let fields = match direction {
        Direction::FromClient => request(&frame)?,
        Direction::FromServer => response(&frame)?,
    };
    let kind = match direction {
        Direction::FromClient => Kind::Request,
        Direction::FromServer if fields.command_type == Fail => Kind::Error,
        Direction::FromServer => Kind::Response,
    };
    Ok(MemcacheMessage {
        kind,
        protocol_type: ProtocolType::Text,
        fields,
    })
}

/// The line at `pos` of a frame: its words (zero-copy) and where it ends.
struct Line {
    line: Bytes,
    words: Vec<Bytes>,
    end: usize,
}

impl Line {
    fn at(frame: &Bytes, pos: usize) -> Self {
        let end = memchr::memchr(b'\n', &frame[pos..]).map_or(frame.len(), |i| pos + i + 1);
        let line = frame.slice_ref(trim(&frame[pos..end]));
        let words = words(&line).map(|w| line.slice_ref(w)).collect();
        Line { line, words, end }
    }

    fn word(&self, i: usize) -> &[u8] {
        self.words.get(i).map_or(&[], |w| &w[..])
    }

    fn text(&self, i: usize) -> Option<NetString> {
        self.words.get(i).map(|w| w.clone().into())
    }

    /// Word `i` as a number: `Ok(None)` when absent, an error when not one.
    fn opt<T: std::str::FromStr>(&self, i: usize, name: &str) -> Result<Option<T>, ParseError> {
        let Some(word) = self.words.get(i) else {
            return Ok(None);
        };
        let shown = || NetString::from(word.clone());
        number(word)
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} is not a number: {:?}", shown())))
    }

    fn num<T: std::str::FromStr>(&self, i: usize, name: &str) -> Result<T, ParseError> {
        self.opt(i, name)?
            .ok_or_else(|| invalid(format!("missing {name}")))
    }

    fn key(&self) -> Result<Vec<NetString>, ParseError> {
        Ok(vec![self.text(1).ok_or_else(|| invalid("missing key"))?])
    }

    /// `noreply` as the last of more than `required` words.
    fn noreply(&self, required: usize) -> Option<bool> {
        Some(self.words.len() > required && self.word(self.words.len() - 1) == b"noreply")
    }

    /// The line from word `i` on (empty when there is none).
    fn rest(&self, i: usize) -> NetString {
        let Some(word) = self.words.get(i) else {
            return NetString::default();
        };
        let start = word.as_ptr() as usize - self.line.as_ptr() as usize;
        self.line.slice(start..).into()
    }
}

/// The `&'static` name among `names` that `word` spells.
fn named(word: &[u8], names: &[&'static str]) -> Option<&'static str> {
    names.iter().copied().find(|name| name.as_bytes() == word)
}

fn fields(command: &'static str, command_type: CommandType) -> Fields {
    Fields {
        command,
        command_type,
        ..Fields::default()
    }
}

fn unknown(line: &Line) -> Fields {
    Fields {
        line: Some(line.line.clone().into()),
        ..fields("UNKNOWN", Unknown)
    }
}

const STORAGE: &[&str] = &["set", "add", "replace", "append", "prepend", "cas"];

fn request(frame: &Bytes) -> Result<Fields, ParseError> {
    let l = Line::at(frame, 0);
    let (word, sub) = (l.word(0), l.word(1));
    if let Some(command) = named(word, STORAGE) {
        let bytes: u32 = l.num(4, "bytes")?;
        if frame.len() - l.end != bytes as usize + 2 || !frame.ends_with(b"\r\n") {
            return Err(invalid("bad data chunk"));
        }
        let cas = command == "cas";
        return Ok(Fields {
            keys: Some(l.key()?),
            flags: Some(l.num(2, "flags")?),
            exptime: Some(l.num(3, "exptime")?),
            bytes: Some(bytes.into()),
            count_values: Some(1),
            cas_unique: if cas {
                Some(l.num(5, "cas unique")?)
            } else {
                None
            },
            noreply: l.noreply(5 + usize::from(cas)),
            ..fields(command, Store)
        });
    }
    Ok(match word {
        b"get" | b"gets" if l.words.len() < 2 => return Err(invalid("no keys")),
        b"get" | b"gets" => Fields {
            keys: Some((1..l.words.len()).filter_map(|i| l.text(i)).collect()),
            ..fields(if word == b"get" { "get" } else { "gets" }, Load)
        },
        b"incr" | b"decr" => Fields {
            keys: Some(l.key()?),
            delta: Some(l.num(2, "delta")?),
            noreply: l.noreply(3),
            ..fields(if word == b"incr" { "incr" } else { "decr" }, Counter)
        },
        b"touch" => Fields {
            keys: Some(l.key()?),
            exptime: Some(l.num(2, "exptime")?),
            noreply: l.noreply(3),
            ..fields("touch", Store)
        },
        b"delete" => Fields {
            keys: Some(l.key()?),
            noreply: l.noreply(2),
            ..fields("delete", Delete)
        },
        b"flush_all" => Fields {
            exptime: Some(match sub {
                b"noreply" => 0,
                _ => l.opt(1, "exptime")?.unwrap_or(0),
            }),
            noreply: l.noreply(1).filter(|&n| n),
            ..fields("flush_all", Delete)
        },
        b"stats" => Fields {
            raw_args: Some(l.rest(1)),
            ..fields("stats", Stats)
        },
        b"verbosity" => Fields {
            verbosity: Some(l.num(1, "verbosity")?),
            noreply: l.noreply(2).filter(|&n| n),
            ..fields("verbosity", Info)
        },
        b"version" => fields("version", Info),
        b"quit" => Fields {
            noreply: l.noreply(1),
            ..fields("quit", Info)
        },
        b"slabs" if sub == b"reassign" => Fields {
            source_class: Some(l.num(2, "source class")?),
            dest_class: Some(l.num(3, "destination class")?),
            ..fields("slabs reassign", SlabCtrl)
        },
        b"slabs" if sub == b"automove" => Fields {
            automove: Some(match l.num::<u64>(2, "automove")? {
                0 => "standby".into(),
                1 => "slow".into(),
                2 => "aggressive".into(),
                n => n.to_string(),
            }),
            ..fields("slabs automove", SlabCtrl)
        },
        b"lru_crawler" if matches!(sub, b"enable" | b"disable") => {
            let enable = sub == b"enable";
            fields(
                if enable {
                    "lru_crawler enable"
                } else {
                    "lru_crawler disable"
                },
                LruCrawler,
            )
        }
        b"lru_crawler" if sub == b"sleep" => Fields {
            sleep_us: Some(l.num(2, "sleep")?),
            ..fields("lru_crawler sleep", LruCrawler)
        },
        b"lru_crawler" if sub == b"tocrawl" => Fields {
            value: Some(l.num(2, "tocrawl")?),
            ..fields("lru_crawler tocrawl", LruCrawler)
        },
        b"lru_crawler" if sub == b"crawl" => Fields {
            raw_args: Some(l.rest(2)),
            ..fields("lru_crawler crawl", LruCrawler)
        },
        _ => unknown(&l),
    })
}

/// One-line replies: name and classification.
const REPLIES: &[(&str, CommandType)] = &[
    ("END", Load),
    ("STORED", Success),
    ("EXISTS", Success),
    ("TOUCHED", Success),
    ("DELETED", Success),
    ("OK", Success),
    ("VERSION", Info),
    ("NOT_STORED", Fail),
    ("NOT_FOUND", Fail),
    ("ERROR", Fail),
    ("CLIENT_ERROR", Fail),
    ("SERVER_ERROR", Fail),
    ("BUSY", Fail),
    ("BADCLASS", Fail),
    ("NOSPARE", Fail),
    ("NOTFULL", Fail),
    ("UNSAFE", Fail),
    ("SAME", Fail),
];

fn response(frame: &Bytes) -> Result<Fields, ParseError> {
    let l = Line::at(frame, 0);
    let word = l.word(0);
    if word == b"VALUE" || word == b"STAT" {
        return multi_part_response(frame);
    }
    if let Some(&(command, command_type)) = REPLIES.iter().find(|(n, _)| n.as_bytes() == word) {
        let rest = (l.words.len() > 1).then(|| l.rest(1));
        return Ok(Fields {
            version: rest.clone().filter(|_| command == "VERSION"),
            error_msg: rest.filter(|_| command_type == Fail),
            ..fields(command, command_type)
        });
    }
    if l.words.len() == 1 && word.iter().all(u8::is_ascii_digit) {
        return Ok(Fields {
            value: Some(l.num(0, "counter value")?),
            ..fields("<counter_op_res>", Counter)
        });
    }
    Ok(unknown(&l))
}

/// `VALUE` blocks or `STAT` lines up to `END`; another line ends the answer
/// too (an error reply makes it a failure, with its message).
fn multi_part_response(frame: &Bytes) -> Result<Fields, ParseError> {
    let mut out = Fields::default();
    let (mut keys, mut stats, mut bytes) = (Vec::new(), Vec::new(), 0u64);
    let mut pos = 0;
    while pos < frame.len() {
        let (start, l) = (pos, Line::at(frame, pos));
        pos = l.end;
        match l.word(0) {
            b"VALUE" => {
                let n: u32 = l.num(3, "bytes")?;
                keys.push(l.text(1).ok_or_else(|| invalid("missing key"))?);
                let (flags, cas) = (l.num(2, "flags")?, l.opt(4, "cas unique")?);
                if keys.len() == 1 {
                    (out.flags, out.cas_unique) = (Some(flags), cas);
                }
                bytes += u64::from(n);
                pos = pos.saturating_add(n as usize).saturating_add(2);
                if frame.get(pos - 2..pos) != Some(b"\r\n") {
                    return Err(invalid("bad data chunk"));
                }
            }
            b"STAT" => stats.push(Stat {
                name: l.text(1).unwrap_or_default(),
                value: l.rest(2),
            }),
            b"END" => {}
            _ => {
                // Not VALUE, STAT or END: a reply ending the answer.
                let last = response(&frame.slice(start..))?;
                out.error_msg = last.error_msg.or(last.line);
                out.command_type = last.command_type;
                break;
            }
        }
    }
    let failed = out.command_type == Fail;
    if keys.is_empty() {
        (out.command, out.command_type, out.stats) = ("STAT", Stats, Some(stats));
    } else {
        out.count_values = Some(keys.len() as u32);
        (out.command, out.command_type) = ("VALUE", Load);
        (out.keys, out.bytes) = (Some(keys), Some(bytes));
    }
    if failed {
        out.command_type = Fail;
    }
    Ok(out)
}

/// The line without its `\r\n` (or bare `\n`).
fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A line's words, separated by one or more spaces.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

fn number<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
    std::str::from_utf8(word).ok()?.parse().ok()
}
