//! [`TimeCache`]: the event's timestamps, the date and time of day made
//! once per second.

use super::digits::fixed_digits;
use crate::time::Timestamp;

/// The last second formatted, so events in the same second reuse it.
#[derive(Debug, Default)]
pub(crate) struct TimeCache {
    secs: Option<i64>,
    /// `2026-11-29T10:57:56`
    prefix: String,
    /// `"2026-11-29T10:57:56.`: the quote, the prefix and the dot, when the
    /// prefix has the usual 19 bytes (always, for the years a `Timestamp`
    /// holds), so that a timestamp is made in a fixed-size buffer and copied
    /// at once.
    head: Option<[u8; HEAD]>,
    /// The writer's other cache: the JSON shared by the flows of the last
    /// protocol and network type written (a flow does not keep a pointer
    /// to it: a word less per connection).
    pub(super) shared: Option<&'static crate::flow_json::SharedJson>,
}

/// The bytes of [`TimeCache::head`].
const HEAD: usize = 21;

impl TimeCache {
    /// Writes `"<RFC 3339>"` exactly as [`Timestamp::to_rfc3339`] does.
    #[inline]
    pub(super) fn write(&mut self, out: &mut Vec<u8>, ts: Timestamp) {
        let nanos_total = ts.as_nanos();
        let secs = nanos_total.div_euclid(1_000_000_000);
        let nanos = nanos_total.rem_euclid(1_000_000_000) as u32;
        if self.secs != Some(secs) {
            let full = Timestamp::from_secs_nanos(secs, 0).to_rfc3339();
            // "....T..:..:SS.000000Z": keep up to the seconds.
            self.prefix = full[..full.len() - 8].to_string();
            self.head = (self.prefix.len() == HEAD - 2).then(|| {
                let mut head = [0; HEAD];
                head[0] = b'"';
                head[1..HEAD - 1].copy_from_slice(self.prefix.as_bytes());
                head[HEAD - 1] = b'.';
                head
            });
            self.secs = Some(secs);
        }
        if let Some(head) = &self.head {
            // Micro- or nanoseconds, then `Z"`: each a copy of known size.
            let mut text = [0u8; HEAD + 11];
            text[..HEAD].copy_from_slice(head);
            if nanos % 1000 == 0 {
                fixed_digits(&mut text[HEAD..HEAD + 6], u64::from(nanos / 1000));
                text[HEAD + 6..HEAD + 8].copy_from_slice(b"Z\"");
                out.extend_from_slice(&text[..HEAD + 8]);
            } else {
                fixed_digits(&mut text[HEAD..HEAD + 9], u64::from(nanos));
                text[HEAD + 9..].copy_from_slice(b"Z\"");
                out.extend_from_slice(&text);
            }
            return;
        }
        out.push(b'"');
        out.extend_from_slice(self.prefix.as_bytes());
        out.push(b'.');
        let mut digits = itoa::Buffer::new();
        let (value, width) = if nanos % 1000 == 0 {
            (nanos / 1000, 6)
        } else {
            (nanos, 9)
        };
        let text = digits.format(value);
        out.extend(std::iter::repeat_n(b'0', width - text.len()));
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"Z\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_what_to_rfc3339_gives() {
        let mut times = TimeCache::default();
        let nanos = [
            0,
            1,
            999,
            1_000,
            10_000,
            123_456_000,
            123_456_789,
            999_999_000,
            999_999_999,
            100_000_000,
            7,
        ];
        // Seconds of the whole range a `Timestamp` holds, before and after
        // the epoch, and several events in the same second.
        for secs in [
            0,
            1,
            59,
            86_399,
            1_700_000_000,
            -1,
            -86_401,
            9_223_372_035,
            -9_223_372_035,
        ] {
            for nanos in nanos {
                let ts = Timestamp::from_secs_nanos(secs, nanos);
                let mut out = Vec::new();
                times.write(&mut out, ts);
                let expected = format!("\"{}\"", ts.to_rfc3339());
                assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
        }
    }
}
