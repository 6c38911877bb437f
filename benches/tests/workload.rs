//! The generator's workloads analyze cleanly: the engine publishes exactly
//! the transactions the generator reports, OK except the error replies, with
//! no gap, retransmission or unparsed message.

use std::fs::File;
use std::path::PathBuf;

use analyzer_core::{replay, Config};
use benches::gen::{generate, Options, Summary};
use benches::messages::AppProtocol;
use echo::EchoMessage;

fn tiny(protocol: AppProtocol, seed: u64, name: &str) -> (PathBuf, Summary) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{name}-{seed}.pcap"));
    let mut opts = Options::new(protocol, u64::MAX, seed);
    opts.concurrency = 20;
    opts.max_connections = Some(20);
    opts.transactions_per_connection = (1, 60);
    let summary = generate(&opts, File::create(&path).unwrap()).unwrap();
    assert_eq!(summary.connections, 20);
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    (path, summary)
}

#[test]
fn echo_workload_gives_exactly_the_generated_transactions() {
    for seed in 1..=3 {
        let (path, summary) = tiny(AppProtocol::Echo, seed, "echo");
        // The variety the benchmarks rely on is there.
        assert!(summary.error_replies > 0, "{summary:?}");
        assert!(summary.pipelined_requests > 0, "{summary:?}");
        assert!(summary.split_messages > 0, "{summary:?}");
        assert!(summary.multi_message_segments > 0, "{summary:?}");

        let run = replay::replay_file::<EchoMessage>(&path, Config::default()).unwrap();
        let c = &run.counters;
        assert_eq!(c.packets, summary.packets);
        assert_eq!(run.events.len() as u64, summary.transactions);
        assert_eq!(c.transactions, summary.transactions);
        assert_eq!(c.transactions_answered, summary.transactions);
        assert_eq!((c.connections_opened, c.connections_closed), (20, 20));
        assert_eq!((c.gaps, c.bytes_lost, c.bytes_retransmitted), (0, 0, 0));
        assert_eq!((c.messages_unparsed, c.messages_cut_short), (0, 0));
        assert_eq!((c.requests_unanswered, c.responses_unmatched), (0, 0));

        let status = |e: &serde_json::Value| e["status"].as_str().unwrap().to_string();
        let errors: Vec<_> = run.events.iter().filter(|e| status(e) != "OK").collect();
        assert_eq!(errors.len() as u64, summary.error_replies);
        for e in errors {
            assert_eq!(e["status"], "Error");
            assert_eq!(e["echo"]["response"]["kind"], "error", "{e}");
            assert_eq!(
                e["echo"]["request"]["content"],
                e["echo"]["response"]["content"]
            );
        }
    }
}

#[test]
fn ipv6_vlan_and_cooked_workloads_give_exactly_the_generated_transactions() {
    for (ipv6, vlan, sll) in [
        (true, false, false),
        (false, true, false),
        (true, true, false),
        (false, false, true),
        (true, true, true),
    ] {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("echo-ipv6-{ipv6}-vlan-{vlan}-sll-{sll}.pcap"));
        let mut opts = Options::new(AppProtocol::Echo, u64::MAX, 5);
        opts.concurrency = 20;
        opts.max_connections = Some(20);
        opts.transactions_per_connection = (1, 20);
        (opts.ipv6, opts.vlan, opts.sll) = (ipv6, vlan, sll);
        let summary = generate(&opts, File::create(&path).unwrap()).unwrap();
        let run = replay::replay_file::<EchoMessage>(&path, Config::default()).unwrap();
        let c = &run.counters;
        assert_eq!(c.packets, summary.packets);
        assert_eq!(c.transactions_answered, summary.transactions);
        assert_eq!(run.events.len() as u64, summary.transactions);
        assert_eq!((c.connections_opened, c.connections_closed), (20, 20));
        assert_eq!((c.gaps, c.messages_unparsed), (0, 0));
        let event = &run.events[0];
        let network_type = if ipv6 { "ipv6" } else { "ipv4" };
        assert_eq!(event["network"]["type"], network_type, "{event}");
        let client = event["client"]["ip"].as_str().unwrap();
        assert_eq!(client.starts_with("fd00::"), ipv6, "{event}");
    }
}

#[test]
fn redis_workload_has_clean_tcp_streams() {
    // No Redis analyzer yet: the echo engine on port 6379 still checks the
    // TCP side (handshakes, sequence numbers, closes) of the Redis workload.
    let (path, summary) = tiny(AppProtocol::Redis, 7, "redis");
    assert!(
        summary.error_replies > 0 && summary.split_messages > 0,
        "{summary:?}"
    );
    let mut config = Config::default();
    config.ports = vec![6379];
    let run = replay::replay_file::<EchoMessage>(&path, config).unwrap();
    let c = &run.counters;
    assert_eq!(c.packets, summary.packets);
    assert_eq!((c.connections_opened, c.connections_closed), (20, 20));
    assert_eq!((c.gaps, c.bytes_lost, c.bytes_retransmitted), (0, 0, 0));
    assert_eq!(c.messages_cut_short, 0, "every RESP line ends with \\n");
}

#[test]
fn pgsql_workload_gives_exactly_the_generated_transactions() {
    for seed in 1..=2 {
        let (path, summary) = tiny(AppProtocol::Pgsql, seed, "pgsql");
        assert!(summary.error_replies > 0, "{summary:?}");
        assert!(summary.pipelined_requests > 0, "{summary:?}");
        assert!(summary.split_messages > 0, "{summary:?}");
        let run = replay::replay_file::<pgsql::PgsqlMessage>(&path, Config::default()).unwrap();
        let c = &run.counters;
        assert_eq!(c.packets, summary.packets);
        assert_eq!(run.events.len() as u64, summary.transactions);
        assert_eq!(c.transactions_answered, summary.transactions);
        assert_eq!((c.connections_opened, c.connections_closed), (20, 20));
        assert_eq!(
            (c.gaps, c.messages_unparsed, c.messages_cut_short),
            (0, 0, 0)
        );
        assert_eq!((c.requests_unanswered, c.responses_unmatched), (0, 0));
        // Each connection's startup: StartupMessage, R, 3 S, K, Z.
        assert_eq!(c.messages_not_published, 20 * 7);
        let errors = run.events.iter().filter(|e| e["status"] != "OK").count();
        assert_eq!(errors as u64, summary.error_replies);
        for e in &run.events {
            assert!(e["method"] == "SELECT" || e["method"] == "UPDATE", "{e}");
            let error = e["pgsql"].get("error_code").is_some();
            assert_eq!(error, e["status"] == "Error", "{e}");
        }
    }
}

#[test]
fn same_seed_same_bytes() {
    let (a, _) = tiny(AppProtocol::Echo, 11, "det-a");
    let (b, _) = tiny(AppProtocol::Echo, 11, "det-b");
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn mysql_workload_gives_exactly_the_generated_transactions() {
    let (path, summary) = tiny(AppProtocol::Mysql, 5, "mysql");
    assert!(summary.error_replies > 0 && summary.pipelined_requests > 0);
    assert!(summary.split_messages > 0, "{summary:?}");
    let run = replay::replay_file::<mysql::MysqlMessage>(&path, Config::default()).unwrap();
    let c = &run.counters;
    assert_eq!(c.packets, summary.packets);
    assert_eq!(run.events.len() as u64, summary.transactions);
    assert_eq!(c.transactions, summary.transactions);
    // Each connection's handshake is a greeting; everything else answered.
    assert_eq!(c.greetings, 20);
    assert_eq!(c.transactions_answered, summary.transactions - 20);
    assert_eq!(
        (c.gaps, c.messages_unparsed, c.messages_cut_short),
        (0, 0, 0)
    );
    assert_eq!((c.requests_unanswered, c.responses_unmatched), (0, 0));
    let errors = run.events.iter().filter(|e| e["status"] != "OK").count();
    assert_eq!(errors as u64, summary.error_replies);
    let rows: u64 = run
        .events
        .iter()
        .filter_map(|e| e["mysql"]["num_rows"].as_u64())
        .sum();
    assert!(rows > 0);
}
