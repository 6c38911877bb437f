//! Packetbeat's own captures (`../shared/pcaps/packetbeat/`, not in this
//! repository) through the engine: every link type they use decodes, and
//! their connections are tracked. Ignored by default because a fresh clone
//! has no `../shared`; `.ci/run` runs them with `--ignored`.

use analyzer_core::replay::{packetbeat_pcap, replay_file};
use analyzer_core::{Config, Cx, NetString, ParseError, Protocol};
use bytes::Bytes;

/// CRLF-delimited lines, their role from their direction (HTTP headers,
/// RESP).
#[derive(Protocol)]
#[protocol(name = "crlf", delimiter = b"\r\n", parse = crlf_line)]
struct CrlfLine {
    line: NetString,
}

fn crlf_line(payload: Bytes, _: &Cx<'_, CrlfLine>) -> Result<CrlfLine, ParseError> {
    Ok(CrlfLine {
        line: payload.into(),
    })
}

/// Bytes each way per client port, summed over the events (lost bytes
/// included): `(client port, client -> server, server -> client)`.
fn bytes_per_flow(events: &[serde_json::Value]) -> Vec<(u64, u64, u64)> {
    let mut flows: Vec<(u64, u64, u64)> = Vec::new();
    for e in events {
        let port = e["client"]["port"].as_u64().unwrap();
        let up = e["source"]["bytes"].as_u64().unwrap_or(0);
        let down = e["destination"]["bytes"].as_u64().unwrap_or(0);
        match flows.iter_mut().find(|f| f.0 == port) {
            Some(f) => {
                f.1 += up;
                f.2 += down;
            }
            None => flows.push((port, up, down)),
        }
    }
    flows.sort_unstable();
    flows
}

/// `connections` tracked on `port`; `other` packets on ports not analyzed;
/// `bytes`: the TCP payload each way per connection, from the sequence
/// numbers tcpdump shows (bytes lost in capture included).
fn check(name: &str, port: u16, connections: u64, other: u64, bytes: &[(u64, u64, u64)]) {
    let mut config = Config::default();
    config.ports = vec![port];
    let run = replay_file::<CrlfLine>(packetbeat_pcap(name), config)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let c = &run.counters;
    assert_eq!(
        (
            c.packets_not_tcp,
            c.packets_truncated,
            c.packets_malformed,
            c.packets_unsupported_link,
            c.packets_other_ports
        ),
        (0, 0, 0, 0, other),
        "{name}: {c:?}"
    );
    assert_eq!(c.connections_opened, connections, "{name}: {c:?}");
    assert!(c.requests > 0 && !run.events.is_empty(), "{name}: {c:?}");
    for e in &run.events {
        assert_eq!(e["server"]["port"], port, "{name}");
    }
    assert_eq!(bytes_per_flow(&run.events), bytes, "{name}");
    c.check_accounting().unwrap();
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn linux_cooked_capture() {
    // The response's bytes 201..49353 were never captured (49,152 bytes).
    check("gap_in_stream.pcap", 8000, 1, 0, &[(42840, 126, 77185)]);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn bsd_loopback_captures_ipv4_and_ipv6() {
    check(
        "http_unmatched.pcap",
        8080,
        2,
        0,
        &[(63081, 70, 0), (63082, 75, 210)],
    );
    // An IPv6 SYN refused with RST, then IPv4; 6 packets go to port 80.
    check("http_unmatched_timeout.pcap", 8080, 2, 6, &[(57752, 70, 0)]);
}

#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn ethernet_capture_starting_mid_connection() {
    check("redis_session.pcap", 6380, 1, 0, &[(32810, 344, 131)]);
    let mut config = Config::default();
    config.ports = vec![6380];
    let run =
        replay_file::<CrlfLine>(packetbeat_pcap("redis_one_transaction.pcap"), config).unwrap();
    // `*3\r\n$6\r\nLINDEX\r\n...`: the first request line, from the client.
    assert_eq!(run.events[0]["crlf"]["request"]["line"], "*3");
    assert_eq!(run.events[0]["client"]["port"], 32810);
}
