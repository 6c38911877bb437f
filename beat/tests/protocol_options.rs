//! A protocol's own options (HTTP's `send_headers`...): in its config file
//! entry, checked by the protocol as the file is read (an unknown one or a
//! bad value is an error at its line), and from `--option`.

use std::path::Path;

use analyzer_beat::config::ConfigFile;
use analyzer_beat::{protocol, Args, Registration, Settings, SettingsError};
use clap::Parser;
use serde_json::json;

const PROTOCOLS: &[Registration] = &[
    protocol::<echo::EchoMessage>(),
    protocol::<redis::RedisMessage>(),
    protocol::<http::HttpMessage>(),
];

fn parse(text: &str) -> Result<ConfigFile, String> {
    ConfigFile::parse(text, Path::new("beat.yml"), PROTOCOLS).map_err(|e| e.to_string())
}

fn settings(args: &[&str]) -> Result<Settings, SettingsError> {
    let args = Args::try_parse_from([&"beat"].into_iter().chain(args)).unwrap();
    Settings::new(&args, PROTOCOLS)
}

fn usage(args: &[&str]) -> String {
    match settings(args) {
        Err(SettingsError::Usage(message)) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

const HTTP_KEYS: &str = "`type`, `enabled`, `ports`, `send_request`, `send_response`, `transaction_timeout`, `max_message_size`, `max_pending_requests`, `connection_idle_timeout`, `max_connections`, `max_out_of_order_bytes`, `max_out_of_order_segments`, `send_headers`, `send_all_headers`, `include_body_for`, `include_request_body_for`, `include_response_body_for`, `max_body_bytes`";

#[test]
fn http_options_in_the_file_become_the_engines_options() {
    let file = parse(
        "protocols:\n  - type: http\n    ports: [8000]\n    send_headers: [Host, content-type]\n    include_body_for: [text/plain]\n    max_body_bytes: 4096\n  - type: echo\n",
    )
    .unwrap();
    let (enabled, config) = file.protocol("http");
    assert!(enabled);
    assert_eq!(config.ports, [8000]);
    let options: serde_json::Map<_, _> = config
        .options
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        serde_json::Value::Object(options),
        json!({"send_headers": ["Host", "content-type"], "include_body_for": ["text/plain"], "max_body_bytes": 4096})
    );
    assert!(file.protocol("echo").1.options.is_empty());
    // Packetbeat's spelling for every header, and `true` in send_headers.
    for yaml in ["send_all_headers: true", "send_headers: true"] {
        let file = parse(&format!("protocols:\n  - type: http\n    {yaml}\n")).unwrap();
        assert_eq!(file.protocol("http").1.options.iter().count(), 1, "{yaml}");
    }
}

#[test]
fn unknown_options_are_errors_at_their_line() {
    assert_eq!(
        parse("protocols:\n  - type: http\n    send_header: [host]\n").unwrap_err(),
        format!(
            "beat.yml:3:5: protocols[0]: unknown field `send_header`, expected one of {HTTP_KEYS}"
        )
    );
    // Packetbeat options this analyzer does not have are not ignored either.
    assert!(
        parse("protocols:\n  - type: http\n    split_cookie: true\n")
            .unwrap_err()
            .starts_with(
                "beat.yml:3:5: protocols[0]: unknown field `split_cookie`, expected one of `type`"
            )
    );
    // Another protocol's option.
    assert!(parse("protocols:\n  - type: redis\n    send_headers: [host]\n")
        .unwrap_err()
        .starts_with("beat.yml:3:5: protocols[0]: unknown field `send_headers`, expected one of `type`, `enabled`"));
    // Given before `type`: still checked.
    let err = parse("protocols:\n  - send_heders: true\n    type: http\n").unwrap_err();
    assert!(
        err.contains("protocols[0]: unknown field `send_heders`, expected one of `type`"),
        "{err}"
    );
    assert!(
        parse("protocols:\n  - max_body_bytes: 10\n    type: echo\n")
            .unwrap_err()
            .contains("unknown field `max_body_bytes`")
    );
    assert_eq!(
        parse("protocols:\n  - ports: [80]\n").unwrap_err(),
        "beat.yml:2:5: protocols[0]: missing field `type`"
    );
}

#[test]
fn bad_option_values_are_errors_at_their_line() {
    let cases = [
        (
            "send_headers: 5",
            "beat.yml:3:19: protocols[0].send_headers: `send_headers` takes a list of header names, or true for all",
        ),
        (
            "send_all_headers: [host]",
            "beat.yml:3:23: protocols[0].send_all_headers: `send_all_headers` takes true or false",
        ),
        (
            "max_body_bytes: -1",
            "beat.yml:3:21: protocols[0].max_body_bytes: `max_body_bytes` takes a number of bytes",
        ),
        (
            "include_body_for: [json, 3]",
            "beat.yml:3:23: protocols[0].include_body_for: `include_body_for` takes a list of content types (words they contain, \"*\" for any)",
        ),
    ];
    for (yaml, message) in cases {
        let text = format!("protocols:\n  - type: http\n    {yaml}\n");
        assert_eq!(parse(&text).unwrap_err(), message, "{yaml}");
    }
}

#[test]
fn option_flags_set_the_options_of_the_protocols_taking_them() {
    let s = settings(&[
        "-r",
        "x.pcap",
        "--option",
        "send_headers=[host, accept]",
        "-O",
        "http.max_body_bytes=100",
    ])
    .unwrap();
    for (registration, config) in &s.protocols {
        let options: Vec<(String, serde_json::Value)> = config
            .options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match registration.name {
            "http" => assert_eq!(
                options,
                [
                    ("send_headers".into(), json!(["host", "accept"])),
                    ("max_body_bytes".into(), json!(100))
                ]
            ),
            _ => assert!(options.is_empty(), "{}", registration.name),
        }
    }
    // Over the file's.
    let path = std::env::temp_dir().join(format!("options-{}.yml", std::process::id()));
    std::fs::write(
        &path,
        "protocols:\n  - type: http\n    send_headers: [host]\n    max_body_bytes: 10\n",
    )
    .unwrap();
    let s = settings(&[
        "-c",
        path.to_str().unwrap(),
        "-r",
        "x.pcap",
        "-O",
        "send_headers=true",
    ])
    .unwrap();
    let options = &s.protocols[0].1.options;
    assert_eq!(options.get("send_headers"), Some(&json!(true)));
    assert_eq!(options.get("max_body_bytes"), Some(&json!(10)));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn bad_option_flags_are_usage_errors() {
    assert_eq!(
        usage(&["-r", "x", "-O", "send_header=[host]"]),
        "--option send_header: no protocol analyzed takes `send_header`; options: http.send_headers, http.send_all_headers, http.include_body_for, http.include_request_body_for, http.include_response_body_for, http.max_body_bytes"
    );
    assert_eq!(
        usage(&["-r", "x", "-O", "redis.send_headers=true"]),
        "--option redis.send_headers: redis takes no options"
    );
    assert_eq!(
        usage(&["-r", "x", "-O", "http.max_body_bytes=lots"]),
        "--option http.max_body_bytes: `max_body_bytes` takes a number of bytes"
    );
    assert_eq!(
        usage(&["-r", "x", "-O", "send_headers"]),
        "--option `send_headers`: give NAME=VALUE or PROTOCOL.NAME=VALUE"
    );
    assert_eq!(
        usage(&[
            "-r",
            "x",
            "--protocols",
            "echo",
            "-O",
            "http.send_headers=true"
        ]),
        "--option http.send_headers: protocol `http` is not analyzed"
    );
    assert_eq!(
        usage(&["-r", "x", "--protocols", "echo", "-O", "send_headers=true"]),
        "--option send_headers: no protocol analyzed takes options"
    );
}
