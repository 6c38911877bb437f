//! The `--summary` table: text for a terminal, with the response-time
//! histogram drawn in Unicode block characters.

use std::fmt::Write;

use crate::summary::{Bucket, ProtocolSummary, ResponseTimes, Summary};

/// Width of the longest histogram bar, in character cells.
const BAR_WIDTH: u64 = 30;

/// [`BAR_WIDTH`] as a format width.
const BAR_CELLS: usize = BAR_WIDTH as usize;

/// Width of the row labels.
const LABEL: usize = 16;

impl Summary {
    /// The summary as a table, one block per protocol:
    ///
    /// ```text
    /// redis
    ///   connections     1
    ///   transactions    5
    ///   errors          0
    ///   unanswered      0
    ///   response time   p50 61µs  p90 100µs  p99 100µs  max 100µs
    ///       50µs-100µs  ████████████████████████▏ 4
    ///      100µs-200µs  ██████▏ 1
    ///   top methods     SET 2, DEL 1, GET 1, INCR 1
    ///   drops           none
    /// ```
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (i, protocol) in self.protocols.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            protocol_table(&mut out, protocol);
        }
        out
    }
}

fn protocol_table(out: &mut String, p: &ProtocolSummary) {
    let row = |out: &mut String, label: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "  {label:<LABEL$}{value}");
    };
    let drops: Vec<String> = p
        .drops
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    let drops = match drops.is_empty() {
        true => "none".to_string(),
        false => drops.join(", "),
    };
    if p.connections == 0 && p.transactions == 0 {
        let _ = writeln!(out, "{}  (no connections; drops: {drops})", p.name);
        return;
    }
    let _ = writeln!(out, "{}", p.name);
    row(out, "connections", &p.connections);
    row(out, "transactions", &p.transactions);
    row(out, "errors", &p.errors);
    row(out, "unanswered", &p.unanswered);
    match &p.response_time {
        None => row(out, "response time", &"-"),
        Some(times) => {
            row(out, "response time", &percentiles(times));
            histogram(out, &times.histogram);
        }
    }
    if !p.methods.is_empty() {
        let methods: Vec<String> = p
            .methods
            .iter()
            .map(|m| format!("{} {}", m.method, m.count))
            .collect();
        row(out, "top methods", &methods.join(", "));
    }
    row(out, "drops", &drops);
}

fn percentiles(t: &ResponseTimes) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  max {}",
        duration(t.p50_ns),
        duration(t.p90_ns),
        duration(t.p99_ns),
        duration(t.max_ns)
    )
}

/// One row per bucket from the first non-empty one to the last, the longest
/// bar [`BAR_WIDTH`] cells wide, in eighths of a cell.
fn histogram(out: &mut String, buckets: &[Bucket]) {
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return;
    };
    let peak = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    let mut rows = Vec::new();
    let mut from = first.from_ns;
    // Walk the bucket bounds between the first and last non-empty buckets,
    // so empty buckets in between show as empty rows.
    for to in crate::summary::BOUNDS
        .iter()
        .copied()
        .filter(|&b| b > first.from_ns)
        .map(Some)
        .chain([None])
    {
        let count = buckets
            .iter()
            .find(|b| b.from_ns == from)
            .map_or(0, |b| b.count);
        rows.push((range(from, to), count));
        if from == last.from_ns {
            break;
        }
        from = to.unwrap_or(u64::MAX);
    }
    let width = rows.iter().map(|(label, _)| label.chars().count()).max();
    let width = width.unwrap_or(0).max(LABEL - 2);
    for (label, count) in rows {
        let pad = width - label.chars().count();
        let bar = bar(count, peak);
        let _ = writeln!(out, "    {:pad$}{label}  {bar:<BAR_CELLS$} {count}", "");
    }
}

/// `count` of `peak` as a bar of full blocks and one partial block; a
/// non-empty bucket gets at least a sliver.
pub(crate) fn bar(count: u64, peak: u64) -> String {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (count * BAR_WIDTH * 8).div_ceil(peak.max(1));
    let mut bar = "█".repeat((eighths / 8) as usize);
    if eighths % 8 > 0 {
        bar.push(PARTIAL[(eighths % 8) as usize]);
    }
    bar
}

fn range(from: u64, to: Option<u64>) -> String {
    match (from, to) {
        (0, Some(to)) => format!("<{}", duration(to)),
        (from, None) => format!(">={}", duration(from)),
        (from, Some(to)) => format!("{}-{}", duration(from), duration(to)),
    }
}

/// A duration in nanoseconds with three significant digits and the largest
/// unit it fills: `812ns`, `116µs`, `1.23ms`, `10.0s`.
pub fn duration(nanos: u64) -> String {
    let (value, unit) = match nanos {
        0..=999 => return format!("{nanos}ns"),
        1_000..=999_999 => (nanos as f64 / 1e3, "µs"),
        1_000_000..=999_999_999 => (nanos as f64 / 1e6, "ms"),
        _ => (nanos as f64 / 1e9, "s"),
    };
    let text = if value >= 99.95 {
        format!("{value:.0}")
    } else if value >= 9.995 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    // Without trailing zeros: 2µs, not 2.00µs.
    let text = match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.'),
        false => &text,
    };
    format!("{text}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_three_significant_digits() {
        assert_eq!(duration(812), "812ns");
        assert_eq!(duration(116_031), "116µs");
        assert_eq!(duration(95_500), "95.5µs");
        assert_eq!(duration(1_234_567), "1.23ms");
        assert_eq!(duration(1_200_000), "1.2ms");
        assert_eq!(duration(31_007), "31µs");
        assert_eq!(duration(2_000), "2µs");
        assert_eq!(duration(10_000_000_000), "10s");
        assert_eq!(duration(12_345_000_000), "12.3s");
        assert_eq!(duration(3_600_000_000_000), "3600s");
    }

    #[test]
    fn bars_scale_to_the_peak_in_eighths() {
        assert_eq!(bar(4, 4).chars().count(), 30);
        assert_eq!(bar(1, 4), "███████▌");
        assert_eq!(bar(1, 1000), "▏");
        assert_eq!(bar(0, 4), "");
    }

    #[test]
    fn ranges_name_their_bounds() {
        assert_eq!(range(0, Some(1_000)), "<1µs");
        assert_eq!(range(100_000, Some(200_000)), "100µs-200µs");
        assert_eq!(range(100_000_000_000, None), ">=100s");
    }
}
