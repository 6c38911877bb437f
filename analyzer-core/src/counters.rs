//! [`Counters`]: every packet, message and connection accounted for.

use serde::{Deserialize, Serialize};

/// What the engine saw and did. Every packet skipped, every message dropped
/// and every unusual transaction is counted here; nothing is lost silently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counters {
    /// Packets handed to the engine.
    pub packets: u64,
    /// Packets that are not IP, or IP but not TCP.
    pub packets_not_tcp: u64,
    /// Packets whose headers end early (snapshot length, broken capture):
    /// skipped.
    pub packets_truncated: u64,
    /// Packets whose TCP payload the snapshot length cut: the captured part
    /// is analyzed, the rest counts as lost bytes.
    pub packets_payload_cut: u64,
    /// Packets with nonsensical headers.
    pub packets_malformed: u64,
    /// IP fragments (skipped; not reassembled).
    pub packets_ip_fragment: u64,
    /// Packets of a link type the decoder does not know.
    pub packets_unsupported_link: u64,
    /// TCP packets of connections not on the analyzer's ports.
    pub packets_other_ports: u64,
    /// TCP packets without payload for connections not tracked (ACKs after a
    /// close, handshakes of other traffic): nothing to analyze.
    pub packets_untracked: u64,
    /// Connections tracked.
    pub connections_opened: u64,
    /// Connections ended by FIN from both sides or RST.
    pub connections_closed: u64,
    /// Connections expired after the idle timeout.
    pub connections_expired: u64,
    /// Connections evicted because the table was full (`max_connections`).
    pub connections_evicted: u64,
    /// Connections still open at the end of the input (flushed).
    pub connections_flushed: u64,
    /// Connections whose analysis stopped because they switched to
    /// something the analyzer cannot follow (TLS after `STARTTLS` or an
    /// accepted `SSLRequest`, a protocol upgrade): what waited was
    /// published with a note.
    pub connections_not_followed: u64,
    /// Payload bytes of those connections after the switch: not analyzed.
    pub bytes_not_analyzed: u64,
    /// Payload bytes seen again (retransmissions, overlaps): delivered once,
    /// the first copy wins.
    pub bytes_retransmitted: u64,
    /// Segments that arrived ahead of a hole and waited for it to fill.
    pub segments_out_of_order: u64,
    /// Holes declared lost because the out-of-order buffer was full.
    pub out_of_order_overflows: u64,
    /// Holes in a stream that never filled (declared lost when the peer
    /// acknowledged past them, the buffer overflowed, or the connection
    /// ended).
    pub gaps: u64,
    /// Bytes never captured, summed over the gaps.
    pub bytes_lost: u64,
    /// Request messages seen (complete or not).
    pub requests: u64,
    /// Response and error messages seen (complete or not).
    pub responses: u64,
    /// Complete frames the protocol could not parse (published with a note).
    pub messages_unparsed: u64,
    /// Messages over `max_message_size` (published with a note, not parsed).
    pub messages_too_long: u64,
    /// Messages that lost bytes in a gap (published with a note).
    pub messages_with_loss: u64,
    /// Messages cut short by FIN, RST, idle expiry or the end of the input.
    pub messages_cut_short: u64,
    /// Multi-part messages too long, or with too many parts, to keep whole:
    /// cut at a part boundary, the first piece published with a note, the
    /// rest as messages of their own.
    pub messages_split: u64,
    /// Transactions published (one event each).
    pub transactions: u64,
    /// Transactions with both a request and a response.
    pub transactions_answered: u64,
    /// Requests published without a response: timeout, connection closed,
    /// idle or evicted, end of input, or pushed out by the pending limit.
    pub requests_unanswered: u64,
    /// Requests cut short (FIN, RST, end of input) before their end:
    /// published at once, alone.
    pub requests_cut_short: u64,
    /// Of those, the ones pushed out by `max_pending_requests`.
    pub requests_over_pending_limit: u64,
    /// Requests published alone by design: no response expected
    /// (`noreply`), or an optional one that did not come (quiet commands).
    pub requests_no_response_expected: u64,
    /// Responses published without a request: none was seen, or it was
    /// published before its response came (pending limit, timeout).
    pub responses_unmatched: u64,
    /// Greetings (and other messages that neither ask nor answer)
    /// published alone.
    pub greetings: u64,
    /// Messages that set a connection up or took it down and make no
    /// transaction by the protocol's design (`Conversation::published`):
    /// a PostgreSQL startup, authentication, `Terminate`.
    pub messages_not_published: u64,
    /// Transactions published with status `Error` because packet loss left
    /// their pairing uncertain ("pairing uncertain after packet loss", or
    /// "response lost in a capture gap").
    pub pairings_uncertain: u64,
    /// Times pairing was proven back in step after packet loss.
    pub resynchronizations: u64,
}

impl Counters {
    /// Adds `other`'s counts to these (the counters of engines that shared
    /// the work, e.g. worker threads, give the run's totals).
    pub fn add(&mut self, other: &Counters) {
        self.packets += other.packets;
        self.packets_not_tcp += other.packets_not_tcp;
        self.packets_truncated += other.packets_truncated;
        self.packets_payload_cut += other.packets_payload_cut;
        self.packets_malformed += other.packets_malformed;
        self.packets_ip_fragment += other.packets_ip_fragment;
        self.packets_unsupported_link += other.packets_unsupported_link;
        self.packets_other_ports += other.packets_other_ports;
        self.packets_untracked += other.packets_untracked;
        self.connections_opened += other.connections_opened;
        self.connections_closed += other.connections_closed;
        self.connections_expired += other.connections_expired;
        self.connections_evicted += other.connections_evicted;
        self.connections_flushed += other.connections_flushed;
        self.connections_not_followed += other.connections_not_followed;
        self.bytes_not_analyzed += other.bytes_not_analyzed;
        self.bytes_retransmitted += other.bytes_retransmitted;
        self.segments_out_of_order += other.segments_out_of_order;
        self.out_of_order_overflows += other.out_of_order_overflows;
        self.gaps += other.gaps;
        self.bytes_lost += other.bytes_lost;
        self.requests += other.requests;
        self.responses += other.responses;
        self.messages_unparsed += other.messages_unparsed;
        self.messages_too_long += other.messages_too_long;
        self.messages_with_loss += other.messages_with_loss;
        self.messages_cut_short += other.messages_cut_short;
        self.messages_split += other.messages_split;
        self.transactions += other.transactions;
        self.transactions_answered += other.transactions_answered;
        self.requests_unanswered += other.requests_unanswered;
        self.requests_cut_short += other.requests_cut_short;
        self.requests_over_pending_limit += other.requests_over_pending_limit;
        self.requests_no_response_expected += other.requests_no_response_expected;
        self.responses_unmatched += other.responses_unmatched;
        self.greetings += other.greetings;
        self.messages_not_published += other.messages_not_published;
        self.pairings_uncertain += other.pairings_uncertain;
        self.resynchronizations += other.resynchronizations;
    }

    /// Checks the accounting invariant, which holds once the engine has
    /// finished: every request seen was published exactly once (answered,
    /// unanswered, alone by design, or cut short), every response seen was
    /// published exactly once (answered or unmatched), and the transactions
    /// are exactly those and the greetings. Returns what does not add up.
    ///
    /// ```
    /// let counters = analyzer_core::Counters::default();
    /// assert!(counters.check_accounting().is_ok());
    /// ```
    pub fn check_accounting(&self) -> Result<(), String> {
        let requests = self.transactions_answered
            + self.requests_unanswered
            + self.requests_no_response_expected
            + self.requests_cut_short;
        let responses = self.transactions_answered + self.responses_unmatched;
        let transactions = requests + self.responses_unmatched + self.greetings;
        let mut problems = Vec::new();
        if requests != self.requests {
            problems.push(format!(
                "{} requests seen, {requests} accounted for (answered {} + unanswered {} + \
                 no response expected {} + cut short {})",
                self.requests,
                self.transactions_answered,
                self.requests_unanswered,
                self.requests_no_response_expected,
                self.requests_cut_short
            ));
        }
        if responses != self.responses {
            problems.push(format!(
                "{} responses seen, {responses} accounted for (answered {} + unmatched {})",
                self.responses, self.transactions_answered, self.responses_unmatched
            ));
        }
        if transactions != self.transactions {
            problems.push(format!(
                "{} transactions published, {transactions} expected from the messages",
                self.transactions
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sums_every_counter() {
        // Every field set to 1, through serde, so a field missing from
        // `add` shows up here.
        let ones: serde_json::Map<String, serde_json::Value> =
            serde_json::to_value(Counters::default())
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .map(|k| (k.clone(), 1.into()))
                .collect();
        let json = serde_json::Value::Object(ones);
        let one: Counters = serde_json::from_value(json).unwrap();
        let mut sum = one.clone();
        sum.add(&one);
        let sum = serde_json::to_value(&sum).unwrap();
        for (key, value) in sum.as_object().unwrap() {
            assert_eq!(value, 2, "{key}");
        }
    }
}
