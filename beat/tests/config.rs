//! The config file: the shipped example, errors with file, line and column,
//! and command-line options over the file.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use analyzer_beat::config::ConfigFile;
use analyzer_beat::{protocol, Args, Input, Registration, Settings, SettingsError};
use clap::Parser;

const PROTOCOLS: &[Registration] = &[
    protocol::<echo::EchoMessage>(),
    protocol::<redis::RedisMessage>(),
    protocol::<memcache::MemcacheMessage>(),
    protocol::<pgsql::PgsqlMessage>(),
    protocol::<mysql::MysqlMessage>(),
    protocol::<http::HttpMessage>(),
];
const NAMES: &[&str] = &["echo", "redis", "memcache", "pgsql", "mysql", "http"];

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("beat.example.yml")
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

fn error(text: &str) -> String {
    ConfigFile::parse(text, Path::new("beat.yml"), NAMES)
        .unwrap_err()
        .to_string()
}

#[test]
fn the_example_config_sets_every_key() {
    let file = ConfigFile::load(&example(), NAMES).unwrap();
    assert_eq!(file.interface.device.as_deref(), Some("lo"));
    assert_eq!(file.interface.snaplen.0, 65535);
    assert_eq!(file.interface.buffer_size_mb.0, 30);
    assert_eq!(file.output.file, None);

    let (enabled, echo) = file.protocol("echo");
    assert!(enabled);
    assert_eq!(echo.ports, [3030]);
    assert!(!echo.send_request && !echo.send_response);
    assert_eq!(echo.transaction_timeout, Duration::from_secs(10));
    assert_eq!(echo.max_message_size, 10 << 20);
    assert_eq!(echo.max_pending_requests, 10_000);
    assert_eq!(echo.connection_idle_timeout, Duration::from_secs(60));
    assert_eq!(echo.max_connections, 65_536);
    assert_eq!(echo.max_out_of_order_bytes, 1 << 20);
    assert_eq!(echo.max_out_of_order_segments, 256);
    // The example spells out the defaults.
    let mut defaults = analyzer_core::Config::default();
    defaults.ports = vec![3030];
    assert_eq!(echo, defaults);

    let (enabled, memcache) = file.protocol("memcache");
    assert!(enabled);
    assert_eq!(memcache.max_message_size, 1 << 20, "the entry's own limit");
    assert_eq!(file.protocol("redis").1.ports, [6379]);
    assert_eq!(file.protocol("pgsql").1.ports, [5432]);
    assert_eq!(file.protocol("mysql").1.ports, [3306]);
    assert_eq!(file.protocol("http").1.ports, [80, 8080, 8000, 5000, 8002]);
    let listed: Vec<&str> = file
        .protocols
        .iter()
        .flatten()
        .map(|p| p.kind.0.as_str())
        .collect();
    assert_eq!(listed, NAMES, "the example lists every protocol");
    // HTTP's options are commented out: none by default.
    assert!(file.protocol("http").1.options.is_empty());
}

#[test]
fn unknown_keys_are_rejected_with_file_line_and_column() {
    assert_eq!(
        error("protocols:\n  - type: echo\n    prots: [3030]\n"),
        "beat.yml:3:5: protocols[0]: unknown field `prots`, expected one of `type`, `enabled`, `ports`, `send_request`, `send_response`, `transaction_timeout`, `max_message_size`, `max_pending_requests`, `connection_idle_timeout`, `max_connections`, `max_out_of_order_bytes`, `max_out_of_order_segments`"
    );
    assert_eq!(
        error("interface:\n  device: lo\n  snap_len: 100\n"),
        "beat.yml:3:3: interface: unknown field `snap_len`, expected one of `device`, `file`, `snaplen`, `buffer_size_mb`, `with_vlans`, `bpf_filter`, `internal_networks`"
    );
    assert_eq!(
        error("output:\n  logstash: {}\n"),
        "beat.yml:2:3: output: unknown field `logstash`, expected one of `console`, `file`, `redis`, `elasticsearch`, `kafka`"
    );
    assert!(error("packetbeat.interfaces.device: lo\n").starts_with(
        "beat.yml:1:1: unknown field `packetbeat.interfaces.device`, expected one of"
    ));
}

#[test]
fn bad_values_are_rejected_with_file_line_and_column() {
    let cases = [
        (
            "protocols:\n  - type: echo\n    ports: [3030, 0]\n",
            "beat.yml:3:19: protocols[0].ports[1]: `0` is not a port (1 to 65535)",
        ),
        (
            "protocols:\n  - type: echo\n    ports: [70000]\n",
            "beat.yml:3:13: protocols[0].ports[0]: `70000` is not a port (1 to 65535)",
        ),
        (
            "protocols:\n  - type: echo\n    transaction_timeout: 10 parsecs\n",
            "beat.yml:3:26: protocols[0].transaction_timeout: `10 parsecs` is not a duration (e.g. `10s`, `500ms`, `1m30s`, or a number of seconds)",
        ),
        (
            "limits:\n  connection_idle_timeout: -5\n",
            "beat.yml:2:28: limits.connection_idle_timeout: `-5` is not a duration (e.g. `10s`, `500ms`, `1m30s`, or a number of seconds)",
        ),
        (
            "limits:\n  max_message_size: 10 MiBs\n",
            "beat.yml:2:21: limits.max_message_size: `10 MiBs` is not a size (e.g. `65536`, `64KiB`, `10MiB`)",
        ),
        (
            "limits:\n  max_connections: 0\n",
            "beat.yml:2:20: limits.max_connections: `0`: must be at least 1",
        ),
        (
            "protocols:\n  - type: echo\n  - type: dns\n",
            "beat.yml:3:5: protocols[1]: unknown protocol type `dns`; this beat analyzes echo, redis, memcache, pgsql, mysql, http",
        ),
        (
            "protocols:\n  - type: redis\n  - type: redis\n",
            "beat.yml:3:5: protocols[1]: protocol `redis` is configured twice",
        ),
        (
            "protocols:\n  - type: echo\n    send_request: maybe\n",
            "beat.yml:3:19: protocols[0].send_request: invalid type: string \"maybe\", expected a boolean",
        ),
        (
            "output:\n  file: {path: a.ndjson}\n  console: {}\n",
            "beat.yml:2:3: output: choose one output, not file and console",
        ),
        (
            "output:\n  redis:\n    datatype: stack\n",
            "beat.yml:3:15: output.redis.datatype: unknown variant `stack`, expected `list` or `channel`",
        ),
        (
            "interface:\n  internal_networks: [private, 10.0.0.0/33]\n",
            "beat.yml:2:22: interface.internal_networks: `10.0.0.0/33` is not a network: a CIDR block (`10.0.0.0/8`) or one of loopback, private, unicast, global_unicast, link_local_unicast, multicast, link_local_multicast, interface_local_multicast, unspecified, public",
        ),
        (
            "protocols: [\n",
            "beat.yml:2:1: did not find expected node content, while parsing a flow node",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(error(text), message, "{text}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let err = ConfigFile::load(Path::new("/nonexistent/beat.yml"), NAMES).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/nonexistent/beat.yml: cannot read: No such file or directory (os error 2)"
    );
}

#[test]
fn an_empty_file_is_all_defaults() {
    let file = ConfigFile::parse("# nothing\n", Path::new("beat.yml"), NAMES).unwrap();
    for name in NAMES {
        assert_eq!(
            file.protocol(name),
            (true, analyzer_core::Config::default())
        );
    }
}

#[test]
fn command_line_options_override_the_file() {
    let example = example();
    let plain = common::workspace("echo/data/plain.pcap");
    let s = settings(&[
        "-c",
        example.to_str().unwrap(),
        "-r",
        plain.to_str().unwrap(),
        "--transaction-timeout",
        "2.5",
        "--send-request",
        "--max-message-size",
        "4096",
        "-o",
        "out.ndjson",
    ])
    .unwrap();
    assert_eq!(s.input, Input::File(plain), "-r wins over interface.device");
    assert_eq!(s.output.as_deref(), Some(Path::new("out.ndjson")));
    let names: Vec<&str> = s.protocols.iter().map(|(r, _)| r.name).collect();
    assert_eq!(names, NAMES);
    for (_, config) in &s.protocols {
        assert_eq!(config.transaction_timeout, Duration::from_millis(2500));
        assert!(config.send_request && !config.send_response);
        assert_eq!(config.max_message_size, 4096);
    }
}

#[test]
fn the_file_chooses_protocols_and_the_command_line_overrides_the_choice() {
    let path = common::temp("choose.yml");
    std::fs::write(
        &path,
        "protocols:\n  - type: redis\n    ports: [7000]\n  - type: echo\n    enabled: false\noutput:\n  file:\n    path: from-file.ndjson\n",
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let s = settings(&["-c", config, "-r", "x.pcap"]).unwrap();
    let chosen: Vec<(&str, Vec<u16>)> = s
        .protocols
        .iter()
        .map(|(r, c)| (r.name, c.ports.clone()))
        .collect();
    assert_eq!(chosen, [("redis", vec![7000])]);
    assert_eq!(s.output.as_deref(), Some(Path::new("from-file.ndjson")));

    let s = settings(&["-c", config, "-r", "x.pcap", "--protocols", "echo,redis"]).unwrap();
    assert_eq!(s.protocols.len(), 2, "--protocols enables echo again");
    let s = settings(&[
        "-c",
        config,
        "-r",
        "x.pcap",
        "--protocols",
        "echo",
        "--ports",
        "4000",
    ]);
    assert_eq!(s.unwrap().protocols[0].1.ports, [4000]);
}

#[test]
fn contradictory_or_missing_options_are_usage_errors() {
    assert_eq!(
        usage(&["-r", "x.pcap", "--ports", "4000"]),
        "--ports needs a single protocol: choose one with --protocols, or set each protocol's ports in the config file"
    );
    assert_eq!(
        usage(&["-r", "x.pcap", "--protocols", "dns"]),
        "--protocols: unknown protocol `dns`; this beat analyzes echo, redis, memcache, pgsql, mysql, http"
    );
    assert_eq!(
        usage(&[]),
        "nothing to analyze: give -r FILE or -i IFACE (or interface.file or interface.device in the config file)"
    );
    assert!(Args::try_parse_from(["beat", "-r", "x", "-i", "lo"]).is_err());
}

#[test]
fn a_live_capture_filters_on_the_configured_ports() {
    let s = settings(&["-c", example().to_str().unwrap()]).unwrap();
    match s.input {
        Input::Live(live) => {
            assert_eq!(live.device, "lo");
            assert_eq!(
                live.filter,
                "tcp port 3030 or tcp port 6379 or tcp port 11211 or tcp port 5432 or tcp port 3306 or tcp port 80 or tcp port 8080 or tcp port 8000 or tcp port 5000 or tcp port 8002"
            );
            assert_eq!((live.snaplen, live.buffer_size), (65535, 30 << 20));
        }
        other => panic!("expected a live capture, got {other:?}"),
    }
    let s = settings(&["-i", "eth0", "--protocols", "redis", "--ports", "6379,7000"]).unwrap();
    let Input::Live(live) = s.input else {
        panic!("live")
    };
    assert_eq!(live.filter, "tcp port 6379 or tcp port 7000");
}

#[test]
fn the_user_comes_from_the_file_and_user_overrides_it() {
    use analyzer_beat::privileges::RunAs;
    let s = settings(&["-r", "x.pcap"]).unwrap();
    assert_eq!(s.user, RunAs::Default);
    let path = common::temp("user.yml");
    std::fs::write(&path, "user: nobody\n").unwrap();
    let config = path.to_str().unwrap();
    let s = settings(&["-c", config, "-r", "x.pcap"]).unwrap();
    assert_eq!(s.user, RunAs::User("nobody".into()));
    let s = settings(&["-c", config, "-r", "x.pcap", "--user", "root"]).unwrap();
    assert_eq!(s.user, RunAs::User("root".into()));
}

/// Each output the example documents in comments, uncommented: it parses
/// as that output, with the values shown.
#[test]
fn the_example_outputs_parse_when_uncommented() {
    use analyzer_beat::outputs::settings::{OutputKind, RedisDatatype};
    let text = std::fs::read_to_string(example()).unwrap();
    // The secrets the example takes from the environment.
    for name in ["REDIS_PASSWORD", "ES_PASSWORD", "ES_API_KEY"] {
        std::env::set_var(name, "from-the-environment");
    }
    for output in ["file", "redis", "elasticsearch", "kafka"] {
        let head = format!("  # {output}:");
        let start = text.find(&format!("{head}\n")).unwrap();
        let block: Vec<String> = text[start..]
            .lines()
            .take_while(|l| *l == head || l.starts_with("  #   "))
            .map(|l| l.replacen("  # ", "  ", 1))
            .collect();
        assert!(block.len() > 2, "{output}");
        let yaml = format!("output:\n{}\n", block.join("\n"));
        let file = ConfigFile::parse(&yaml, Path::new("beat.yml"), NAMES)
            .unwrap_or_else(|e| panic!("{output}: {e}\n{yaml}"));
        assert_eq!(file.output.kind.name(), output);
        match file.output.kind {
            OutputKind::File(f) => assert_eq!(f.rotate_every_kb.0, 10240),
            OutputKind::Redis(r) => {
                assert_eq!(r.datatype, RedisDatatype::List);
                assert_eq!(r.password.unwrap().expose(), "from-the-environment");
            }
            OutputKind::Elasticsearch(e) => {
                assert_eq!(e.bulk_max_size.0, 1600);
                assert_eq!(e.ssl.certificate_authorities.len(), 1);
            }
            OutputKind::Kafka(k) => assert_eq!(k.compression, "gzip"),
            OutputKind::Console => unreachable!(),
        }
    }
}

/// HTTP's options the example documents in comments, uncommented: they
/// parse, as the protocol's options.
#[test]
fn the_example_http_options_parse_when_uncommented() {
    let text = std::fs::read_to_string(example()).unwrap();
    let start = text.find("  - type: http\n").unwrap();
    let entry: Vec<&str> = text[start..]
        .lines()
        .take_while(|l| l.starts_with("  - type: http") || l.starts_with("    "))
        .collect();
    let uncommented: Vec<String> = entry
        .iter()
        .filter(|l| {
            let Some(t) = l.strip_prefix("    # ") else {
                return false;
            };
            t.split_once(": ")
                .is_some_and(|(key, _)| key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        })
        .map(|l| l.replacen("    # ", "    ", 1))
        .collect();
    let yaml = format!("protocols:\n  - type: http\n{}\n", uncommented.join("\n"));
    let file = ConfigFile::parse(&yaml, Path::new("beat.yml"), PROTOCOLS)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let (_, http) = file.protocol("http");
    let names: Vec<&str> = http.options.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        http::Settings::OPTIONS,
        "every option, documented in order:\n{yaml}"
    );
    assert_eq!(
        http.options.get("max_body_bytes"),
        Some(&serde_json::json!(http::Settings::default().max_body()))
    );
}
