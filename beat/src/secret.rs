//! [`Secret`]: a password or key from the configuration, which nothing
//! prints.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A secret from the config file (a password, an API key), usually given
/// through the environment (`password: ${ES_PASSWORD}`, see
/// [`config`](crate::config)).
///
/// `Debug` and `Display` print `[redacted]`, so a secret does not show in
/// logs, error messages or panics, even inside a derived `Debug`; it has no
/// `Serialize`. Reading it takes the explicit [`Secret::expose`]. A value
/// of the wrong type is refused without being echoed.
///
/// ```
/// use analyzer_beat::secret::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password} {password:?}"), "[redacted] [redacted]");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (an
    /// authentication header, say). Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a secret prints as.
pub const REDACTED: &str = "[redacted]";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(SecretVisitor)
    }
}

/// Takes a string; refuses anything else without echoing it (serde's own
/// messages quote the value: "invalid type: integer `1234`").
struct SecretVisitor;

const NOT_A_STRING: &str = "a secret must be a string; quote it (the value is not shown)";

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        Ok(Secret::new(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Secret, E> {
        Ok(Secret(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Secret, E> {
        Err(E::custom(NOT_A_STRING))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Output {
        user: String,
        password: Secret,
    }

    #[test]
    fn reads_a_string_and_never_prints_it() {
        let out: Output = serde_norway::from_str("user: me\npassword: hunter2").unwrap();
        assert_eq!(out.password.expose(), "hunter2");
        let shown = format!("{out:?} {:#?} {}", out, out.password);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password: [redacted]"), "{shown}");
    }

    #[test]
    fn a_value_of_another_type_is_not_echoed() {
        for value in ["1234567", "true", "12.5e3", "0x4d2"] {
            let yaml = format!("user: me\npassword: {value}");
            let err = match serde_norway::from_str::<Output>(&yaml) {
                // A plain scalar may read as a string: fine, it is kept.
                Ok(out) => {
                    assert_eq!(out.password.expose(), value);
                    continue;
                }
                Err(err) => err.to_string(),
            };
            assert!(!err.contains(value), "{err}");
        }
        let err = serde_norway::from_str::<Output>("user: me\npassword: [1234567]")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("1234567"), "{err}");
    }
}
