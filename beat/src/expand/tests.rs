//! `${NAME}` expansion: the syntax, typed values, and errors that never
//! show a value from the environment.

use std::env::VarError;
use std::path::Path;

use serde::Deserialize;

use super::*;
use crate::config::ConfigFile;
use crate::secret::Secret;

const SECRET: &str = "s3cr3t-Pa55word";

fn env(name: &str) -> Result<String, VarError> {
    match name {
        "ES_PASSWORD" => Ok(SECRET.into()),
        "SNAPLEN" => Ok("1500".into()),
        "VLANS" => Ok("true".into()),
        "DEVICE" => Ok("eth1".into()),
        "EMPTY" => Ok(String::new()),
        "NESTED" => Ok("${ES_PASSWORD}".into()),
        _ => Err(VarError::NotPresent),
    }
}

fn expanded(text: &str) -> Result<Option<String>, String> {
    expand(text, &env).map(|o| o.map(|(value, _)| value))
}

#[test]
fn substitutes_variables_defaults_and_escapes() {
    assert_eq!(expanded("plain $5 text"), Ok(None));
    assert_eq!(expanded("${DEVICE}").unwrap().unwrap(), "eth1");
    assert_eq!(
        expanded("a-${DEVICE}-${SNAPLEN}$").unwrap().unwrap(),
        "a-eth1-1500$"
    );
    assert_eq!(expanded("$${DEVICE}").unwrap().unwrap(), "${DEVICE}");
    assert_eq!(expanded("${UNSET:fallback}").unwrap().unwrap(), "fallback");
    assert_eq!(expanded("${DEVICE:fallback}").unwrap().unwrap(), "eth1");
    assert_eq!(expanded("[${EMPTY}]").unwrap().unwrap(), "[]");
    // A value is not expanded again.
    assert_eq!(expanded("${NESTED}").unwrap().unwrap(), "${ES_PASSWORD}");
}

#[test]
fn bad_syntax_and_unset_variables_are_errors_naming_the_variable() {
    assert_eq!(
        expanded("${NOT_SET}").unwrap_err(),
        "environment variable `NOT_SET` is not set"
    );
    for bad in ["${", "${DEVICE", "${}", "${1X}", "${A B}"] {
        let err = expanded(bad).unwrap_err();
        assert!(err.contains("$${"), "{bad}: {err}");
    }
    use std::os::unix::ffi::OsStringExt;
    let not_utf8 = |_: &str| {
        Err(VarError::NotUnicode(std::ffi::OsString::from_vec(vec![
            0xff,
        ])))
    };
    let err = expand("${X}", &not_utf8).unwrap_err();
    assert_eq!(err, "environment variable `X` is not valid UTF-8");
}

fn config(text: &str) -> Result<ConfigFile, String> {
    ConfigFile::parse_with(text, Path::new("beat.yml"), &["echo", "redis"], &env)
        .map_err(|e| e.to_string())
}

#[test]
fn config_values_come_from_the_environment_typed_as_their_keys() {
    let file = config(
        "interface:\n  device: ${DEVICE}\n  snaplen: ${SNAPLEN}\n  with_vlans: ${VLANS}\nuser: ${UNSET:nobody}\nprotocols:\n  - type: echo\n    ports: [\"${SNAPLEN}\"]\n    transaction_timeout: ${SNAPLEN}ms\n",
    )
    .unwrap();
    assert_eq!(file.interface.device.as_deref(), Some("eth1"));
    assert_eq!(file.interface.snaplen.0, 1500);
    assert!(file.interface.with_vlans);
    assert_eq!(file.user.as_deref(), Some("nobody"));
    let (_, echo) = file.protocol("echo");
    assert_eq!(echo.ports, [1500]);
    assert_eq!(echo.transaction_timeout.as_millis(), 1500);
}

#[test]
fn a_bad_value_from_the_environment_is_reported_without_it() {
    let cases = [
        (
            "interface:\n  snaplen: ${ES_PASSWORD}\n",
            "beat.yml:2:12: interface.snaplen: the value of `${ES_PASSWORD}` is not valid here (not shown): expected a positive integer",
        ),
        (
            "limits:\n  max_message_size: x${ES_PASSWORD}\n",
            "beat.yml:2:21: limits.max_message_size: the value of `${ES_PASSWORD}` is not valid here (not shown): expected a size such as `10MiB`",
        ),
        (
            "interface:\n  with_vlans: ${ES_PASSWORD}\n",
            "beat.yml:2:15: interface.with_vlans: the value of `${ES_PASSWORD}` is not valid here (not shown): expected a boolean",
        ),
        // The type is checked after it was read: the message is redacted.
        (
            "protocols:\n  - type: ${ES_PASSWORD}\n",
            "beat.yml:2:5: protocols[0]: unknown protocol type `[redacted]`; this beat analyzes echo, redis",
        ),
        (
            "interface:\n  device: ${NOT_SET}\n",
            "beat.yml:2:11: interface.device: environment variable `NOT_SET` is not set",
        ),
    ];
    for (text, expected) in cases {
        let err = config(text).unwrap_err();
        assert_eq!(err, expected);
        assert!(!err.contains(SECRET));
    }
    // Another key wrong beside a good one holding the secret.
    let err = config("interface:\n  device: ${ES_PASSWORD}\n  snaplen: 0\n").unwrap_err();
    assert_eq!(
        err,
        "beat.yml:3:12: interface.snaplen: `0`: must be at least 1"
    );
}

#[test]
fn redact_hides_quoted_values_only() {
    let values = [SECRET.to_string(), "1".to_string()];
    assert_eq!(
        redact(
            &format!("protocols[1]: unknown `{SECRET}`, or string \"{SECRET}\""),
            &values
        ),
        "protocols[1]: unknown `[redacted]`, or string `[redacted]`"
    );
}

/// A section holding a secret, as outputs will have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Output {
    username: String,
    password: Secret,
    #[serde(default)]
    port: Option<u16>,
}

fn output(text: &str) -> Result<Output, String> {
    let state = State::new(&env);
    let de = serde_norway::Deserializer::from_str(text);
    Output::deserialize(Expand { de, state: &state }).map_err(|e| e.to_string())
}

#[test]
fn a_secret_from_the_environment_is_read_and_never_shown() {
    let out = output("username: elastic\npassword: ${ES_PASSWORD}\n").unwrap();
    assert_eq!(out.password.expose(), SECRET);
    assert!(!format!("{out:?}").contains(SECRET));
    let errors = [
        output("username: elastic\npassword: ${ES_PASSWORD}\nport: 99999\n"),
        output("username: elastic\npassword: ${ES_PASSWORD}\npasword: x\n"),
        output("username: elastic\npassword: ${ES_PASSWORD}\nport: ${ES_PASSWORD}\n"),
        output("username: elastic\npassword: [\"${ES_PASSWORD}\"]\n"),
        output("username: [\"${ES_PASSWORD}\"]\npassword: x\n"),
    ];
    for err in errors {
        let err = err.unwrap_err();
        assert!(!err.contains(SECRET), "{err}");
    }
}
