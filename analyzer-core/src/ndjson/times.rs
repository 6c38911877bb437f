//! [`TimeCache`]: the event's timestamps, the date and time of day made
//! once per second.

use super::digits::fixed_digits;
use crate::time::Timestamp;

/// The last seconds formatted, so events in the same seconds reuse them:
/// two slots, an odd second's and an even one's (an event's start and end
/// are often in successive seconds).
#[derive(Debug, Default)]
pub(crate) struct TimeCache {
    secs: [Option<i64>; 2],
    /// `"2026-11-29T10:57:56.`: the quote, the date and time of day, the
    /// dot, so that a timestamp is made in a fixed-size buffer and copied at
    /// once.
    head: [[u8; HEAD]; 2],
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
        let slot = (secs & 1) as usize;
        if self.secs[slot] != Some(secs) {
            // Made by arithmetic: events published together often start in
            // different seconds (a connection's request from long ago beside
            // a new one's), and formatting through `chrono` each time cost
            // more than the rest of the timestamp.
            self.head[slot] = head(secs);
            self.secs[slot] = Some(secs);
        }
        // Micro- or nanoseconds, then `Z"`: each a copy of known size.
        let mut text = [0u8; HEAD + 11];
        text[..HEAD].copy_from_slice(&self.head[slot]);
        if nanos % 1000 == 0 {
            fixed_digits(&mut text[HEAD..HEAD + 6], u64::from(nanos / 1000));
            text[HEAD + 6..HEAD + 8].copy_from_slice(b"Z\"");
            out.extend_from_slice(&text[..HEAD + 8]);
        } else {
            fixed_digits(&mut text[HEAD..HEAD + 9], u64::from(nanos));
            text[HEAD + 9..].copy_from_slice(b"Z\"");
            out.extend_from_slice(&text);
        }
    }
}

/// `"YYYY-MM-DDTHH:MM:SS.` of the second `secs` since the epoch (UTC). A
/// [`Timestamp`] holds the years 1677 to 2262, always four digits.
fn head(secs: i64) -> [u8; HEAD] {
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400) as u64;
    let (year, month, day) = civil_from_days(days);
    let mut head = *b"\"0000-00-00T00:00:00.";
    fixed_digits(&mut head[1..5], year.rem_euclid(10_000) as u64);
    fixed_digits(&mut head[6..8], u64::from(month));
    fixed_digits(&mut head[9..11], u64::from(day));
    fixed_digits(&mut head[12..14], of_day / 3600);
    fixed_digits(&mut head[15..17], of_day / 60 % 60);
    fixed_digits(&mut head[18..20], of_day % 60);
    head
}

/// The proleptic Gregorian date of day `days` since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, exact over the whole `i64` range of days a
/// `Timestamp` reaches).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // March is 0
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

    #[test]
    fn every_day_of_the_range_is_what_to_rfc3339_gives() {
        // Each day of the range but its two ends (the other test has them),
        // at a second that changes every field, seconds going back and forth.
        let mut times = TimeCache::default();
        let last_day: i64 = 9_223_372_035 / 86_400;
        for day in -last_day..last_day {
            let secs = day * 86_400 + (day.rem_euclid(86_400) * 7 % 86_400);
            let ts = Timestamp::from_secs_nanos(secs, 5_000);
            let mut out = Vec::new();
            times.write(&mut out, ts);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("\"{}\"", ts.to_rfc3339())
            );
        }
    }
}
