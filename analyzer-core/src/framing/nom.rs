//! [`Nom`]: a nom streaming parser as framer and parser at once.

use std::ops::Range;

use nom::{Err, IResult, Needed};

use crate::error::ParseError;
use crate::frame_len::FrameLen;
use crate::protocol::{Conversation, Cx, Framer};

/// A nom streaming parser reading one message from the start of its input:
/// it sees the connection ([`Cx`]), and returns the bytes after the message
/// with the message. `Err(Incomplete(Needed::Size(n)))` means at least `n`
/// more bytes are needed; `Err(Error(..))` or `Err(Failure(..))`, that the
/// bytes are not a message.
pub type NomFn<P> = for<'b> fn(&'b [u8], &Cx<'_, P>) -> IResult<&'b [u8], P>;

/// Frames and parses with one nom streaming parser ([`NomFn`]): the
/// parser runs on the bytes held; when it succeeds, the bytes it consumed
/// are the frame and its result the message (the engine does not parse
/// again); when it needs more, the stream waits for them (never running it
/// again before the bytes it asked for are there). So a binary protocol is
/// one nom parser plus the derive: `#[protocol(nom = path)]`.
///
/// ```
/// use analyzer_core::framing::Nom;
/// use analyzer_core::{Cx, Direction, FrameLen, Framer, Kind, Protocol};
/// use nom::number::streaming::{be_u16, u8 as byte};
/// use nom::bytes::streaming::take;
///
/// /// A type byte, a 2-byte length, then that many bytes.
/// #[derive(Protocol, Debug, PartialEq)]
/// #[protocol(name = "tlv", nom = tlv)]
/// struct Tlv {
///     #[protocol(kind)]
///     kind: Kind,
///     value: Vec<u8>,
/// }
///
/// fn tlv<'b>(input: &'b [u8], _: &Cx<'_, Tlv>) -> nom::IResult<&'b [u8], Tlv> {
///     let (input, tag) = byte(input)?;
///     let (input, len) = be_u16(input)?;
///     let (input, value) = take(len)(input)?;
///     let kind = if tag == b'?' { Kind::Request } else { Kind::Response };
///     Ok((input, Tlv { kind, value: value.to_vec() }))
/// }
///
/// let mut framer = Tlv::framer(Direction::FromClient);
/// let cx = Cx::new(Direction::FromClient, &());
/// assert_eq!(framer.frame(b"?\0\x03ab", &cx), FrameLen::AtLeast(6));
/// assert_eq!(framer.frame(b"?\0\x03abc!", &cx), FrameLen::Complete(6));
/// let parsed = framer.take_parsed().unwrap()?;
/// assert_eq!(parsed, Tlv { kind: Kind::Request, value: b"abc".to_vec() });
/// # Ok::<(), analyzer_core::ParseError>(())
/// ```
pub struct Nom<P: Conversation> {
    parse: NomFn<P>,
    parsed: Option<P>,
    sync: Option<&'static [u8]>,
    plausible: Option<fn(&[u8]) -> bool>,
}

impl<P: Conversation> Nom<P> {
    /// Frames and parses with `parse`.
    pub const fn new(parse: NomFn<P>) -> Self {
        Nom {
            parse,
            parsed: None,
            sync: None,
            plausible: None,
        }
    }

    /// After bytes that are not a message, the stream picks up after the
    /// next `sync` sequence.
    pub const fn sync(mut self, sync: &'static [u8]) -> Self {
        self.sync = Some(sync);
        self
    }

    /// After lost bytes, framing resumes where `plausible` says a message
    /// starts (default: at the first offset where the parser succeeds or
    /// asks for more).
    pub const fn plausible(mut self, plausible: fn(&[u8]) -> bool) -> Self {
        self.plausible = Some(plausible);
        self
    }
}

/// What a nom error says, in words.
fn describe(err: &nom::error::Error<&[u8]>) -> String {
    format!("not a message ({:?})", err.code)
}

/// Parses a whole frame with `parse`, as a complete input: what
/// `Protocol::parse` does for `#[protocol(nom = path)]` (the engine uses
/// the framer's result instead; this serves tests and recovery after
/// lost bytes).
pub fn parse_complete<P: Conversation>(
    parse: NomFn<P>,
    frame: &[u8],
    cx: &Cx<'_, P>,
) -> Result<P, ParseError> {
    match parse(frame, cx) {
        Ok(([], message)) => Ok(message),
        Ok((rest, _)) => Err(ParseError::Invalid(format!(
            "{} bytes after the message",
            rest.len()
        ))),
        Err(Err::Incomplete(_)) => Err(ParseError::invalid("message cut short")),
        Err(Err::Error(err) | Err::Failure(err)) => Err(ParseError::Invalid(describe(&err))),
    }
}

impl<P: Conversation> Framer<P> for Nom<P> {
    fn frame(&mut self, buf: &[u8], cx: &Cx<'_, P>) -> FrameLen {
        self.parsed = None;
        match (self.parse)(buf, cx) {
            Ok((rest, message)) => {
                let len = buf.len() - rest.len();
                if len == 0 {
                    return FrameLen::Invalid("the parser consumed nothing".into());
                }
                self.parsed = Some(message);
                FrameLen::Complete(len)
            }
            Err(Err::Incomplete(Needed::Size(more))) => {
                FrameLen::AtLeast(buf.len().saturating_add(more.get()))
            }
            Err(Err::Incomplete(Needed::Unknown)) => FrameLen::Incomplete(None),
            Err(Err::Error(err) | Err::Failure(err)) => FrameLen::Invalid(describe(&err)),
        }
    }

    // The message of a frame just cut stays for `take_parsed` (the stream
    // resets a framer as it cuts a frame); `frame` forgets any other.

    fn payload(&self, frame: &[u8]) -> Range<usize> {
        0..frame.len()
    }

    fn sync(&self) -> Option<&'static [u8]> {
        self.sync
    }

    fn plausible(&self, buf: &[u8], cx: &Cx<'_, P>) -> Option<bool> {
        match self.plausible {
            Some(plausible) => Some(plausible(buf)),
            None => match (self.parse)(buf, cx) {
                Ok(_) => Some(true),
                Err(Err::Incomplete(_)) => None,
                Err(_) => Some(false),
            },
        }
    }

    fn take_parsed(&mut self) -> Option<Result<P, ParseError>> {
        self.parsed.take().map(Ok)
    }
}
