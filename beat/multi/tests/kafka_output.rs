//! `output.kafka` against librdkafka's mock cluster (`rdkafka::mocking`,
//! real brokers' protocol on local sockets, in this test's process): every
//! event delivered, keyed by its connection's Community ID, a connection's
//! events in one partition and in order; a broker failing for a while,
//! nothing lost. Runs with the `kafka` feature (librdkafka-dev), as `.ci/run` does.
#![cfg(feature = "kafka")]

mod outputs;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::Value;

use outputs::{common, counted};

/// (partition, key, payload) of every message of `topic`'s `partitions`.
fn consume(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    want: usize,
) -> Vec<(i32, Vec<u8>, Vec<u8>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "test")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < want && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            got.push((
                message.partition(),
                message.key().unwrap_or_default().to_vec(),
                message.payload().unwrap_or_default().to_vec(),
            ));
        }
    }
    got
}

fn config(bootstrap: &str, extra: &str) -> String {
    format!(
        "output:\n  kafka:\n    hosts: [\"{bootstrap}\"]\n    topic: events\n    required_acks: -1\n    compression: gzip\n    backoff: {{init: 100ms, max: 500ms}}\n{extra}"
    )
}

#[test]
fn every_event_is_produced_keyed_by_its_connection_in_order() {
    let cluster = MockCluster::new(3).unwrap();
    cluster.create_topic("events", 3, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let run = outputs::deliver(&mut outputs::beat(&config(&bootstrap, ""), "kafka.yml"));
    assert_eq!(run.delivery["acknowledged"], 15, "{}", run.stderr);
    let got = consume(&bootstrap, "events", 3, 15);
    assert_eq!(got.len(), 15);
    let expected = outputs::console_events(&outputs::capture(), true);
    assert_eq!(
        counted(got.iter().map(|(_, _, payload)| payload.as_slice())),
        counted(expected.iter().map(Vec::as_slice))
    );
    // Keyed by the Community ID: one partition per connection, its events
    // in the order the console has them.
    let mut by_connection: BTreeMap<String, (i32, Vec<String>)> = BTreeMap::new();
    for (partition, key, payload) in &got {
        let event: Value = serde_json::from_slice(payload).unwrap();
        let id = event["network"]["community_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(key.as_slice(), id.as_bytes());
        let entry = by_connection
            .entry(id)
            .or_insert_with(|| (*partition, Vec::new()));
        assert_eq!(
            entry.0, *partition,
            "a connection's events in one partition"
        );
        entry
            .1
            .push(event["@timestamp"].as_str().unwrap().to_string());
    }
    assert_eq!(by_connection.len(), 5);
    for (id, (_, times)) in by_connection {
        let console: Vec<String> = expected
            .iter()
            .map(|e| serde_json::from_slice::<Value>(e).unwrap())
            .filter(|e| e["network"]["community_id"] == id.as_str())
            .map(|e| e["@timestamp"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(times, console, "{id}: in order");
    }
}

/// The broker refuses every produce request for a while (a retriable
/// error, ~3 s of them: 30 requests at librdkafka's 100 ms retry backoff,
/// longer than `timeout: 1s`): deliveries fail, the output sends them again,
/// nothing is lost. (`MockCluster::broker_down` would be the closer model, but
/// librdkafka re-binds the broker's port when it goes down and asserts that
/// this works, which aborted this test where the port was not free again at
/// once.)
#[test]
fn a_broker_failing_for_a_while_loses_nothing() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("events", 1, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 30],
    );
    let capture = common::workspace("redis/data/errors.pcap");
    let capture = capture.to_str().unwrap().to_string();
    let child = outputs::beat(&config(&bootstrap, "    timeout: 1s\n"), "kafka-down.yml")
        .args(["-r", &capture])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let counters = outputs::counters(&out);
    assert_eq!(counters["output"]["acknowledged"], 5, "{stderr}");
    assert!(
        counters["output"]["retried"].as_u64().unwrap() >= 5,
        "{stderr}"
    );
    assert!(stderr.contains("(retrying)"), "{stderr}");
    let got = consume(&bootstrap, "events", 1, 5);
    let expected = outputs::console_events(&capture, true);
    let got = counted(got.iter().map(|(_, _, p)| p.as_slice()));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        counted(expected.iter().map(Vec::as_slice))
            .keys()
            .collect::<Vec<_>>()
    );
}
