//! [`Timestamp`]: capture time, the only clock the engine knows.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat};

/// A capture timestamp: nanoseconds since the Unix epoch.
///
/// The engine never reads the system clock: every timeout is measured in
/// capture time, so replaying a capture gives the same events every time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From seconds and nanoseconds since the epoch.
    pub fn from_secs_nanos(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Nanoseconds from `earlier` to `self`; 0 if `earlier` is later
    /// (captures can carry timestamps that go backwards).
    pub fn nanos_since(self, earlier: Timestamp) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }

    /// RFC 3339 in UTC with sub-second precision: microseconds, or
    /// nanoseconds when the capture has them (`2026-11-29T10:57:56.123456Z`).
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000) as u32;
        let format = if nanos % 1000 == 0 {
            SecondsFormat::Micros
        } else {
            SecondsFormat::Nanos
        };
        match DateTime::from_timestamp(secs, nanos) {
            Some(t) => t.to_rfc3339_opts(format, true),
            None => format!("{secs}.{nanos:09}"),
        }
    }
}

/// The time `d` later (saturating).
impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        let d = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(d))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_sub_second_precision() {
        let t = Timestamp::from_secs_nanos(1_700_000_000, 123_456_000);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.123456Z");
        let t = Timestamp::from_secs_nanos(1_700_000_000, 0);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.000000Z");
        let t = Timestamp::from_secs_nanos(1_700_000_000, 1);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.000000001Z");
    }

    #[test]
    fn differences_never_go_negative() {
        let a = Timestamp::from_nanos(10);
        let b = Timestamp::from_nanos(25);
        assert_eq!(b.nanos_since(a), 15);
        assert_eq!(a.nanos_since(b), 0);
        assert_eq!(a + Duration::from_nanos(5), Timestamp::from_nanos(15));
    }
}
