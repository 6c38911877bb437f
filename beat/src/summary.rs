//! `--summary`: per protocol, transactions, errors, unanswered requests,
//! response-time percentiles and histogram, top methods and drop counters,
//! as a table for the terminal ([`Summary::table`]) or JSON.
//!
//! The statistics come from the [`Event`] structs as they are published
//! (status, [`Event::duration_nanos`], the request's
//! [`Conversation::describe`](analyzer_core::Conversation::describe)
//! method), not from their JSON.

use std::collections::{BTreeMap, HashMap};

use analyzer_core::{Counters, Event, Protocol, Status};
use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest response time tracked exactly (an hour); longer ones count as
/// this.
const MAX_TRACKED_NANOS: u64 = 3_600_000_000_000;

/// Upper bounds of the histogram's buckets, in nanoseconds: 1-2-5 steps
/// from 1 µs to 100 s. Bucket `i` holds times below `BOUNDS[i]` and at or
/// over the bound before; the last bucket holds 100 s and more.
pub(crate) const BOUNDS: [u64; 25] = {
    let mut bounds = [0u64; 25];
    let mut i = 0;
    let mut decade = 1_000u64;
    while i < 25 {
        bounds[i] = decade;
        bounds[i + 1] = 2 * decade;
        bounds[i + 2] = 5 * decade;
        decade *= 10;
        i += 3;
        if i == 24 {
            bounds[24] = decade;
            break;
        }
    }
    bounds
};

/// The counters that mean something was dropped or cut, shown under
/// "drops".
pub(crate) const DROP_COUNTERS: [&str; 15] = [
    "packets_truncated",
    "packets_payload_cut",
    "packets_malformed",
    "packets_ip_fragment",
    "packets_unsupported_link",
    "gaps",
    "bytes_lost",
    "out_of_order_overflows",
    "messages_unparsed",
    "messages_too_long",
    "messages_with_loss",
    "messages_cut_short",
    "messages_split",
    "connections_evicted",
    "requests_over_pending_limit",
];

/// What one protocol's published events add up to.
#[derive(Clone, Debug)]
pub struct Stats {
    name: &'static str,
    transactions: u64,
    errors: u64,
    unanswered: u64,
    durations: Histogram<u64>,
    max_nanos: u64,
    buckets: [u64; BOUNDS.len() + 1],
    methods: HashMap<String, u64>,
}

impl Stats {
    /// Adds `other`'s events (another worker's, for the same protocol).
    pub fn merge(&mut self, other: &Stats) {
        self.transactions += other.transactions;
        self.errors += other.errors;
        self.unanswered += other.unanswered;
        // Same bounds on both sides: adding cannot fail.
        let _ = self.durations.add(&other.durations);
        self.max_nanos = self.max_nanos.max(other.max_nanos);
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        for (method, count) in &other.methods {
            *self.methods.entry(method.clone()).or_default() += count;
        }
    }

    /// No events yet, for protocol `name`.
    pub fn new(name: &'static str) -> Self {
        Stats {
            name,
            transactions: 0,
            errors: 0,
            unanswered: 0,
            durations: Histogram::new_with_bounds(1, MAX_TRACKED_NANOS, 3)
                .expect("valid histogram bounds"),
            max_nanos: 0,
            buckets: [0; BOUNDS.len() + 1],
            methods: HashMap::new(),
        }
    }

    /// Adds one published event.
    pub fn record<P: Protocol>(&mut self, event: &Event<P>) {
        let t = &event.transaction;
        self.transactions += 1;
        let error = event.status() == Status::Error;
        self.errors += u64::from(error);
        self.unanswered += u64::from(error && t.request.is_some() && t.response.is_none());
        if let Some(nanos) = event.duration_nanos() {
            self.durations
                .saturating_record(nanos.clamp(1, MAX_TRACKED_NANOS));
            self.max_nanos = self.max_nanos.max(nanos);
            self.buckets[BOUNDS.partition_point(|&b| b <= nanos)] += 1;
        }
        let request = t.request.as_ref().and_then(|m| m.fields.as_ref());
        if let Some(method) = request.and_then(|r| r.describe().method) {
            match self.methods.get_mut(method.as_ref()) {
                Some(count) => *count += 1,
                None => {
                    self.methods.insert(method.into_owned(), 1);
                }
            }
        }
    }
}

/// The summary of a run: one entry per protocol.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Per protocol, in the beat's order.
    pub protocols: Vec<ProtocolSummary>,
}

/// One protocol's line of the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtocolSummary {
    /// The protocol's name.
    #[serde(rename = "type")]
    pub name: &'static str,
    /// Connections analyzed.
    pub connections: u64,
    /// Transactions published.
    pub transactions: u64,
    /// Of those, with status `Error`.
    pub errors: u64,
    /// Of those, requests published without a response (timed out, cut by
    /// a close or the end of the input, over the pending limit).
    pub unanswered: u64,
    /// Response times of the answered transactions; `None` when there were
    /// none.
    pub response_time: Option<ResponseTimes>,
    /// The most frequent request methods, most frequent first (at most 5;
    /// empty for protocols without methods).
    pub methods: Vec<MethodCount>,
    /// The drop counters (see [`Counters`]), by name.
    pub drops: BTreeMap<&'static str, u64>,
}

/// Response-time percentiles (within 0.1 %) and histogram, in nanoseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseTimes {
    /// Answered transactions.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// The longest, exactly.
    pub max_ns: u64,
    /// The non-empty buckets of the histogram, shortest first.
    pub histogram: Vec<Bucket>,
}

/// Response times in `[from_ns, to_ns)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    /// Lower bound, included.
    pub from_ns: u64,
    /// Upper bound, excluded; `None` for the last bucket (no bound).
    pub to_ns: Option<u64>,
    /// Transactions in it.
    pub count: u64,
}

/// How often a request method was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MethodCount {
    /// The method, as the protocol describes it (e.g. `GET`).
    pub method: String,
    /// Requests with it.
    pub count: u64,
}

impl Summary {
    /// The summary of each protocol's statistics and counters (in the same
    /// order).
    pub fn new(stats: &[Stats], counters: &[&Counters]) -> Self {
        let protocols = stats
            .iter()
            .zip(counters)
            .map(|(s, c)| ProtocolSummary::new(s, c))
            .collect();
        Summary { protocols }
    }

    /// As one line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("the summary serializes")
    }
}

impl ProtocolSummary {
    fn new(stats: &Stats, counters: &Counters) -> Self {
        let all = serde_json::to_value(counters).expect("counters serialize");
        let drops = DROP_COUNTERS
            .iter()
            .map(|&name| (name, all.get(name).and_then(|v| v.as_u64()).unwrap_or(0)))
            .collect();
        let mut methods: Vec<MethodCount> = stats
            .methods
            .iter()
            .map(|(method, &count)| MethodCount {
                method: method.clone(),
                count,
            })
            .collect();
        methods.sort_by(|a, b| b.count.cmp(&a.count).then(a.method.cmp(&b.method)));
        methods.truncate(5);
        ProtocolSummary {
            name: stats.name,
            connections: counters.connections_opened,
            transactions: stats.transactions,
            errors: stats.errors,
            unanswered: stats.unanswered,
            response_time: response_times(stats),
            methods,
            drops,
        }
    }
}

fn response_times(stats: &Stats) -> Option<ResponseTimes> {
    let h = &stats.durations;
    if h.is_empty() {
        return None;
    }
    let at = |q: f64| h.value_at_quantile(q).min(stats.max_nanos);
    let histogram = stats
        .buckets
        .iter()
        .enumerate()
        .filter(|(_, &count)| count > 0)
        .map(|(i, &count)| Bucket {
            from_ns: if i == 0 { 0 } else { BOUNDS[i - 1] },
            to_ns: BOUNDS.get(i).copied(),
            count,
        })
        .collect();
    Some(ResponseTimes {
        count: h.len(),
        p50_ns: at(0.5),
        p90_ns: at(0.9),
        p99_ns: at(0.99),
        max_ns: stats.max_nanos,
        histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_step_1_2_5_from_a_microsecond_to_100_seconds() {
        assert_eq!(&BOUNDS[..4], &[1_000, 2_000, 5_000, 10_000]);
        assert_eq!(BOUNDS[24], 100_000_000_000);
        assert!(BOUNDS.windows(2).all(|w| w[0] < w[1]));
    }
}
