//! `output.kafka` (cargo feature `kafka`): events produced through
//! librdkafka, keyed by `network.community_id` so that the events of a
//! connection go to one partition, in order. An event is acknowledged when
//! its delivery report says the brokers took it (with `required_acks`);
//! a report with an error sends it again, except for errors no retry
//! fixes (a message too large, an invalid message): those are refused.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;

use crate::delivery::{Batch, Deliver, Outcome, SendError};

use super::settings::KafkaSettings;

/// The delivery reports of the batch being sent: (index in `todo`,
/// result), and which batch that is (a late report of an earlier one is
/// left out).
#[derive(Default)]
struct Reports(Mutex<(u64, Vec<Report>)>);

/// One delivery report: the event's index in `todo`, and the result.
type Report = (usize, Result<(), RDKafkaErrorCode>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<(u64, usize)>;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: Box<(u64, usize)>) {
        let (batch, index) = *opaque;
        let result = match result {
            Ok(_) => Ok(()),
            Err((KafkaError::MessageProduction(code), _)) => Err(*code),
            Err((err, _)) => Err(err.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail)),
        };
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if reports.0 == batch {
            reports.1.push((index, result));
        }
    }
}

/// A Kafka output worker.
pub struct Kafka {
    producer: BaseProducer<Reports>,
    topic: String,
    /// How long a batch may wait for its reports (librdkafka's
    /// `message.timeout.ms`, and some).
    wait: Duration,
}

/// The Community ID in an event's JSON (the engine's `network` object
/// comes before any string a protocol writes, and a key inside a JSON
/// string has its quotes escaped).
pub fn community_id(event: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"community_id\":\"";
    let at = memchr::memmem::find(event, KEY)? + KEY.len();
    let len = memchr::memchr(b'"', &event[at..])?;
    Some(&event[at..at + len])
}

impl Kafka {
    /// A producer for `settings` (`beat`: the default topic and client id).
    pub fn new(settings: &KafkaSettings, beat: &str) -> Result<Kafka, String> {
        let acks = match settings.required_acks {
            -1 => "all".to_string(),
            n if n >= 0 => n.to_string(),
            n => return Err(format!("required_acks: `{n}` is not -1, 0 or a count")),
        };
        let timeout = settings.timeout.0;
        let producer = ClientConfig::new()
            .set("bootstrap.servers", settings.hosts.join(","))
            .set("acks", acks)
            .set("compression.codec", &settings.compression)
            .set(
                "client.id",
                settings
                    .client_id
                    .clone()
                    .unwrap_or_else(|| beat.to_string()),
            )
            .set("message.timeout.ms", timeout.as_millis().to_string())
            // The same partition for the same key, as Java clients hash it.
            .set("partitioner", "murmur2_random")
            .set("queue.buffering.max.messages", "100000")
            .create_with_context(Reports::default())
            .map_err(|e| format!("kafka: {e}"))?;
        Ok(Kafka {
            producer,
            topic: settings.topic.clone().unwrap_or_else(|| beat.to_string()),
            wait: timeout + Duration::from_secs(5),
        })
    }
}

/// Errors that sending again does not fix.
fn permanent(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::InvalidMessageSize
            | RDKafkaErrorCode::MessageBatchTooLarge
            | RDKafkaErrorCode::InvalidRecord
    )
}

impl Deliver for Kafka {
    fn send(&mut self, batch: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; todo.len()];
        let generation = {
            let mut reports = self
                .producer
                .context()
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            reports.0 += 1;
            reports.1.clear();
            reports.0
        };
        let mut expected = 0;
        for (k, &i) in todo.iter().enumerate() {
            let event = batch.event(i);
            let mut record =
                BaseRecord::with_opaque_to(&self.topic, Box::new((generation, k))).payload(event);
            if let Some(key) = community_id(event) {
                record = record.key(key);
            }
            loop {
                match self.producer.send(record) {
                    Ok(()) => {
                        expected += 1;
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        self.producer.poll(Duration::from_millis(50));
                        record = back;
                    }
                    Err((err, _)) => {
                        outcomes[k] = Some(Outcome::Retry(format!("kafka: {err}")));
                        break;
                    }
                }
            }
        }
        let deadline = Instant::now() + self.wait;
        loop {
            let done = self.producer.context().0.lock().map_or(0, |r| r.1.len());
            if done >= expected || Instant::now() >= deadline {
                break;
            }
            self.producer.poll(Duration::from_millis(20));
        }
        let reports = std::mem::take(
            &mut self
                .producer
                .context()
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .1,
        );
        for (k, result) in reports {
            outcomes[k] = Some(match result {
                Ok(()) => Outcome::Acked,
                Err(code) if permanent(code) => Outcome::Failed(format!("kafka: {code}")),
                Err(code) => Outcome::Retry(format!("kafka: {code}")),
            });
        }
        Ok(outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| Outcome::Retry("kafka: no delivery report in time".into()))
            })
            .collect())
    }

    fn close(&mut self) -> Result<(), SendError> {
        self.producer
            .flush(self.wait)
            .map_err(|e| SendError::Retry(format!("kafka: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_community_id() {
        let event =
            br#"{"query":"x\"community_id\":\"no\"","network":{"community_id":"1:abc+/="}}"#;
        assert_eq!(community_id(event), Some(&b"1:abc+/="[..]));
        assert_eq!(community_id(b"{}"), None);
    }
}
