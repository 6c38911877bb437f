//! Reading one `protocols:` entry: the engine's keys, typed, and the
//! protocol's own options (HTTP's `send_headers`), each checked by the
//! protocol named in `type` as it is read, so that an unknown key or a bad
//! value is reported at its line, like serde's own errors.

use std::fmt;

use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{known_protocol, KnownProtocol, ProtocolSection, ProtocolType};

/// The keys every entry takes, whatever its protocol.
const FIELDS: &[&str] = &[
    "type",
    "enabled",
    "ports",
    "send_request",
    "send_response",
    "transaction_timeout",
    "max_message_size",
    "max_pending_requests",
    "connection_idle_timeout",
    "max_connections",
    "max_out_of_order_bytes",
    "max_out_of_order_segments",
];

impl<'de> Deserialize<'de> for ProtocolSection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SectionVisitor)
    }
}

struct SectionVisitor;

/// The keys `protocol` takes, as serde lists expected fields.
fn unknown<E: Error>(key: &str, protocol: Option<&KnownProtocol>) -> E {
    let options = protocol.map_or(&[][..], |p| p.options);
    if options.is_empty() {
        return E::unknown_field(key, FIELDS);
    }
    let expected: Vec<String> = FIELDS
        .iter()
        .chain(options)
        .map(|k| format!("`{k}`"))
        .collect();
    E::custom(format_args!(
        "unknown field `{key}`, expected one of {}",
        expected.join(", ")
    ))
}

/// Checks option `key` of `protocol`: one it takes, with a value it takes.
fn check<E: Error>(
    protocol: Option<&KnownProtocol>,
    key: &str,
    value: &serde_json::Value,
) -> Result<(), E> {
    match protocol {
        Some(p) if p.options.contains(&key) => p
            .check_option(key, value)
            .map_err(|what| E::custom(format_args!("`{key}` takes {what}"))),
        _ => Err(unknown(key, protocol)),
    }
}

/// Reads a key, and rejects it at its place in the file when the entry's
/// protocol is known and the key is neither an engine key nor one of its
/// options. (The YAML deserializer places an error raised in a visitor
/// it calls, hence the checks in visitors.)
struct Key<'a> {
    protocol: Option<&'a Option<KnownProtocol>>,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Key<'_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: Error>(self, key: &str) -> Result<String, E> {
        if let Some(protocol) = self.protocol {
            let known = FIELDS.contains(&key) || protocol.is_some_and(|p| p.options.contains(&key));
            if !known {
                return Err(unknown(key, protocol.as_ref()));
            }
        }
        Ok(key.to_owned())
    }
}

/// Reads an option's value (as JSON), and checks it at its place in the
/// file when the entry's protocol is known.
struct OptionValue<'a> {
    key: &'a str,
    protocol: Option<&'a Option<KnownProtocol>>,
}

impl OptionValue<'_> {
    fn checked<E: Error>(self, value: serde_json::Value) -> Result<serde_json::Value, E> {
        if let Some(protocol) = self.protocol {
            check(protocol.as_ref(), self.key, &value)?;
        }
        Ok(value)
    }
}

impl<'de> DeserializeSeed<'de> for OptionValue<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OptionValue<'_> {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<serde_json::Value, E> {
        self.checked(v.into())
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<serde_json::Value, E> {
        self.checked(v.into())
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<serde_json::Value, E> {
        self.checked(v.into())
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<serde_json::Value, E> {
        self.checked(v.into())
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<serde_json::Value, E> {
        self.checked(v.into())
    }
    fn visit_unit<E: Error>(self) -> Result<serde_json::Value, E> {
        self.checked(serde_json::Value::Null)
    }
    fn visit_none<E: Error>(self) -> Result<serde_json::Value, E> {
        self.checked(serde_json::Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<serde_json::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            items.push(item);
        }
        self.checked(items.into())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<serde_json::Value, A::Error> {
        let mut entries = serde_json::Map::new();
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            entries.insert(k, v);
        }
        self.checked(entries.into())
    }
}

impl<'de> Visitor<'de> for SectionVisitor {
    type Value = ProtocolSection;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a protocol's settings (`type: NAME`, `ports`...)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProtocolSection, A::Error> {
        let mut kind: Option<ProtocolType> = None;
        let mut protocol: Option<KnownProtocol> = None;
        let mut enabled = None;
        let mut ports = None;
        let mut send_request = None;
        let mut send_response = None;
        let mut transaction_timeout = None;
        let mut max_message_size = None;
        let mut max_pending_requests = None;
        let mut connection_idle_timeout = None;
        let mut max_connections = None;
        let mut max_out_of_order_bytes = None;
        let mut max_out_of_order_segments = None;
        let mut options = serde_json::Map::new();
        macro_rules! field {
            ($slot:ident, $name:literal) => {{
                if $slot.is_some() {
                    return Err(A::Error::duplicate_field($name));
                }
                $slot = Some(map.next_value()?);
            }};
        }
        loop {
            // Once `type` is read, keys and values are checked as they come.
            let typed = kind.is_some().then_some(&protocol);
            let Some(key) = map.next_key_seed(Key { protocol: typed })? else {
                break;
            };
            match key.as_str() {
                "type" => {
                    field!(kind, "type");
                    protocol = kind.as_ref().and_then(|k| known_protocol(&k.0));
                }
                "enabled" => field!(enabled, "enabled"),
                "ports" => field!(ports, "ports"),
                "send_request" => field!(send_request, "send_request"),
                "send_response" => field!(send_response, "send_response"),
                "transaction_timeout" => field!(transaction_timeout, "transaction_timeout"),
                "max_message_size" => field!(max_message_size, "max_message_size"),
                "max_pending_requests" => field!(max_pending_requests, "max_pending_requests"),
                "connection_idle_timeout" => {
                    field!(connection_idle_timeout, "connection_idle_timeout")
                }
                "max_connections" => field!(max_connections, "max_connections"),
                "max_out_of_order_bytes" => {
                    field!(max_out_of_order_bytes, "max_out_of_order_bytes")
                }
                "max_out_of_order_segments" => {
                    field!(max_out_of_order_segments, "max_out_of_order_segments")
                }
                _ => {
                    if options.contains_key(&key) {
                        return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    let value = map.next_value_seed(OptionValue {
                        key: &key,
                        protocol: kind.is_some().then_some(&protocol),
                    })?;
                    options.insert(key, value);
                }
            }
        }
        let kind = kind.ok_or_else(|| A::Error::missing_field("type"))?;
        // Options given before `type`: checked now (an error then points at
        // the entry).
        for (key, value) in &options {
            check(protocol.as_ref(), key, value)?;
        }
        Ok(ProtocolSection {
            kind,
            enabled: enabled.unwrap_or(true),
            ports,
            send_request,
            send_response,
            transaction_timeout,
            max_message_size,
            max_pending_requests,
            connection_idle_timeout,
            max_connections,
            max_out_of_order_bytes,
            max_out_of_order_segments,
            options,
        })
    }
}
