//! `${NAME}` in the config file's values: the environment variable's
//! value, substituted as the file is read (so a secret need not be written
//! in the file).
//!
//! `${NAME:default}` gives `default` when `NAME` is not set; `$${` is a
//! literal `${`. Only values are expanded, not keys. An unset variable is an
//! error naming it. A value that came from the environment is never shown
//! in an error message: a wrong one is reported by the variables' names and
//! what was expected. A variable standing for a number or a boolean is read
//! as one where the key wants one (`snaplen: ${SNAPLEN}`).
//!
//! Expansion happens while serde reads the file, through a wrapper around
//! the YAML deserializer ([`Expand`]), so errors keep their line and column.

use std::cell::RefCell;
use std::env::VarError;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

mod access;

use access::Access;

/// Where variables come from: `std::env::var`, or a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<String, VarError>;

/// The expansion's state for one file: the lookup, and every value taken
/// from the environment (so the final error message can be checked for
/// them).
pub struct State<'a> {
    lookup: Lookup<'a>,
    /// Values substituted so far.
    pub expanded: RefCell<Vec<String>>,
}

impl<'a> State<'a> {
    /// Expansion with `lookup`.
    pub fn new(lookup: Lookup<'a>) -> Self {
        State {
            lookup,
            expanded: RefCell::new(Vec::new()),
        }
    }
}

/// `text` with its variables substituted, and their names; `None` when it
/// holds none. The error never holds a variable's value.
fn expand(text: &str, lookup: Lookup<'_>) -> Result<Option<(String, Vec<String>)>, String> {
    if !text.contains("${") {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            continue;
        }
        let Some(inside) = rest.strip_prefix("${") else {
            out.push('$');
            rest = &rest[1..];
            continue;
        };
        let bad =
            || "`${` must be followed by a variable name and `}` (write `$${` for a literal `${`)";
        let end = inside.find('}').ok_or_else(bad)?;
        let (name, default) = match inside[..end].split_once(':') {
            Some((name, default)) => (name, Some(default)),
            None => (&inside[..end], None),
        };
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad().to_string());
        }
        match (lookup(name), default) {
            (Ok(value), _) => out.push_str(&value),
            (Err(VarError::NotPresent), Some(default)) => out.push_str(default),
            (Err(VarError::NotPresent), None) => {
                return Err(format!("environment variable `{name}` is not set"))
            }
            (Err(VarError::NotUnicode(_)), _) => {
                return Err(format!("environment variable `{name}` is not valid UTF-8"))
            }
        }
        names.push(name.to_string());
        rest = &inside[end + 1..];
    }
    out.push_str(rest);
    Ok(Some((out, names)))
}

/// A deserializer whose string values are expanded.
pub struct Expand<'s, D> {
    /// The wrapped deserializer.
    pub de: D,
    /// The file's expansion state.
    pub state: &'s State<'s>,
}

/// What the value's type asked the deserializer for: an expanded string is
/// read as that type when it reads as one.
#[derive(Clone, Copy)]
enum Want {
    Any,
    Bool,
    Signed,
    Unsigned,
    Float,
}

macro_rules! forward {
    ($($method:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method(Visit { inner: visitor, state: self.state, want: Want::Any })
        }
    )*};
}

/// Numbers and booleans: asked of the YAML deserializer as "anything", as
/// it refuses a string for a number before a visitor could expand it; the
/// visitor then gets a number from a number, an expanded string typed as
/// `Want`, and anything else as it comes (and refuses it).
macro_rules! typed {
    ($($method:ident => $want:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.deserialize_any(Visit { inner: visitor, state: self.state, want: Want::$want })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Expand<'_, D> {
    type Error = D::Error;

    typed! {
        deserialize_bool => Bool,
        deserialize_i8 => Signed, deserialize_i16 => Signed, deserialize_i32 => Signed,
        deserialize_i64 => Signed, deserialize_i128 => Signed,
        deserialize_u8 => Unsigned, deserialize_u16 => Unsigned, deserialize_u32 => Unsigned,
        deserialize_u64 => Unsigned, deserialize_u128 => Unsigned,
        deserialize_f32 => Float, deserialize_f64 => Float,
    }

    forward! {
        deserialize_any, deserialize_char, deserialize_str, deserialize_string,
        deserialize_bytes, deserialize_byte_buf, deserialize_option, deserialize_unit,
        deserialize_seq, deserialize_map, deserialize_identifier, deserialize_ignored_any,
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor);
        self.de.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

impl<'s, D> Expand<'s, D> {
    fn visit<V>(&self, inner: V) -> Visit<'s, V> {
        Visit {
            inner,
            state: self.state,
            want: Want::Any,
        }
    }
}

/// A visitor whose strings are expanded, and whose nested values are read
/// through [`Expand`].
struct Visit<'s, V> {
    inner: V,
    state: &'s State<'s>,
    want: Want,
}

/// A visitor's `expecting`, as a `Display`.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

impl<'de, V: Visitor<'de>> Visit<'_, V> {
    /// Hands `text` on, expanded when it holds variables; `plain` hands it
    /// on unchanged (keeping a borrowed string borrowed).
    fn text<E: de::Error>(
        self,
        text: &str,
        plain: impl FnOnce(V) -> Result<V::Value, E>,
    ) -> Result<V::Value, E> {
        let Some((value, names)) = expand(text, self.state.lookup).map_err(E::custom)? else {
            return plain(self.inner);
        };
        if names.is_empty() {
            // Only `$${` escapes: nothing from the environment.
            return self.inner.visit_string(value);
        }
        let expected = Expecting(&self.inner).to_string();
        self.state.expanded.borrow_mut().push(value.clone());
        let trimmed = value.trim();
        let typed = match self.want {
            Want::Bool => trimmed.parse().ok().map(Typed::Bool),
            Want::Signed => trimmed.parse().ok().map(Typed::Signed),
            Want::Unsigned => trimmed.parse().ok().map(Typed::Unsigned),
            Want::Float => trimmed.parse().ok().map(Typed::Float),
            Want::Any => None,
        };
        let result = match typed {
            Some(Typed::Bool(b)) => self.inner.visit_bool::<E>(b),
            Some(Typed::Signed(n)) => self.inner.visit_i64::<E>(n),
            Some(Typed::Unsigned(n)) => self.inner.visit_u64::<E>(n),
            Some(Typed::Float(x)) => self.inner.visit_f64::<E>(x),
            None => self.inner.visit_string::<E>(value),
        };
        result.map_err(|_| hidden(&names, &expected))
    }
}

/// An expanded value read as the type its key wants.
enum Typed {
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
}

/// The error for a bad value from the environment: its variables and what
/// was expected, not the value (the visitor's own message may quote it).
fn hidden<E: de::Error>(names: &[String], expected: &str) -> E {
    let names: Vec<String> = names.iter().map(|n| format!("`${{{n}}}`")).collect();
    E::custom(format!(
        "the value of {} is not valid here (not shown): expected {expected}",
        names.join(", ")
    ))
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.text(v, |inner| inner.visit_str(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.text(v, |inner| inner.visit_borrowed_str(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        if !v.contains("${") {
            return self.inner.visit_string(v);
        }
        self.text(&v, |inner| inner.visit_str(&v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.inner.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.inner.visit_i64(v)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<V::Value, E> {
        self.inner.visit_i128(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.inner.visit_u64(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<V::Value, E> {
        self.inner.visit_u128(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.inner.visit_f64(v)
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<V::Value, E> {
        self.inner.visit_char(v)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.inner.visit_bytes(v)
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(v)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        let state = self.state;
        self.inner.visit_some(Expand { de: d, state })
    }
    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        let state = self.state;
        self.inner.visit_newtype_struct(Expand { de: d, state })
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let state = self.state;
        self.inner.visit_seq(Access { inner: seq, state })
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let state = self.state;
        self.inner.visit_map(Access { inner: map, state })
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let state = self.state;
        self.inner.visit_enum(Access { inner: data, state })
    }
}

/// Hides every value of `expanded` that `message` quotes (`` `value` `` or
/// `"value"`, as serde and this crate quote values): the last line of
/// defence for a message made after a value was read.
pub fn redact(message: &str, expanded: &[String]) -> String {
    let mut message = message.to_string();
    for value in expanded {
        for quoted in [format!("`{value}`"), format!("{value:?}")] {
            if message.contains(&quoted) {
                message = message.replace(&quoted, "`[redacted]`");
            }
        }
    }
    message
}

#[cfg(test)]
mod tests;
