//! Config file values checked as they are read, so a bad one is reported
//! at its line: ports, durations (`10s`), sizes (`10MiB`) and counts.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A server port: 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let port = |n: i128| match u16::try_from(n) {
            Ok(p) if p > 0 => Ok(Port(p)),
            _ => Err(format!("`{n}` is not a port (1 to 65535)")),
        };
        d.deserialize_u64(Integer(port, "a port number"))
    }
}

/// A positive count (connections, requests, snaplen...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let count = |n: i128| match usize::try_from(n) {
            Ok(n) if n > 0 => Ok(Count(n)),
            _ => Err(format!("`{n}`: must be at least 1")),
        };
        d.deserialize_u64(Integer(count, "a positive integer"))
    }
}

/// A positive duration: `10s`, `500ms`, `1m30s`, `1.5s` or a number of
/// seconds. Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, as in
/// Packetbeat's config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secs(pub Duration);

/// A positive size in bytes: a number, or with a unit `B`, `KB`, `KiB`,
/// `MB`, `MiB`, `GB`, `GiB` (`10MiB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub usize);

/// Parses a duration such as `1m30s` or `250ms`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("`{text}` is not a duration (e.g. `10s`, `500ms`, `1m30s`, or a number of seconds)")
    };
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return positive_secs(secs).ok_or_else(bad);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    positive_secs(total).ok_or_else(bad)
}

fn positive_secs(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs > 0.0 && secs < 1e9).then(|| Duration::from_secs_f64(secs))
}

/// Parses a size such as `10MiB` or `65536`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let bad = || format!("`{text}` is not a size (e.g. `65536`, `64KiB`, `10MiB`)");
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..split].parse().map_err(|_| bad())?;
    let scale: u64 = match text[split..].trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    number
        .checked_mul(scale)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or_else(bad)
}

/// Accepts an integer and checks it while the deserializer is at it, so an
/// error points at the value itself.
struct Integer<F>(F, &'static str);

impl<'de, T, F: Fn(i128) -> Result<T, String>> Visitor<'de> for Integer<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.0)(i128::from(v)).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.0)(i128::from(v)).map_err(E::custom)
    }
}

/// Accepts a number or a string and hands either to `parse` as text.
struct NumberOrText<F>(F, &'static str);

impl<'de, T, F: Fn(&str) -> Result<T, String>> Visitor<'de> for NumberOrText<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberOrText(parse_duration, "a duration such as `10s`"))
            .map(Secs)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberOrText(parse_size, "a size such as `10MiB`"))
            .map(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_go_style_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        for bad in ["0", "-1", "0s", "10 parsecs", "s", "1x", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1 MB"), Ok(1_000_000));
        for bad in ["0", "-5", "10 parsecs", "MiB", ""] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
