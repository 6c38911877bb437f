//! A Kafka mock cluster (librdkafka's, one broker, topic `beat` of 3
//! partitions) for `benches/outputs.sh`: prints its bootstrap servers, then
//! runs until stdin closes. Needs the `kafka` feature.

use std::io::Read;

fn main() {
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("a mock cluster");
    cluster.create_topic("beat", 3, 1).expect("the topic");
    println!("{}", cluster.bootstrap_servers());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
