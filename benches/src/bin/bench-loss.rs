//! `bench-loss`: what losing one TCP segment does to the transactions
//! around it, for every shipped protocol and a length-prefixed keyed one.
//! See `benches::loss` and BENCHMARKS.md.
//!
//! ```text
//! bench-loss                      # 40 drops per protocol, pipelining 2-8 deep
//! bench-loss --drops 10 --check   # small; exit 1 if a target is missed
//! ```

use std::process::ExitCode;

use benches::loss::traffic::{LossProtocol, Shape};
use benches::loss::{explain, measure, LossReport};
use clap::Parser;

/// Drops one data segment at N positions in turn and compares each run with
/// the clean one.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Runs per protocol, one segment dropped in each.
    #[arg(long, default_value_t = 40)]
    drops: usize,
    /// Connections per capture (one after another).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Transactions per connection.
    #[arg(long, default_value_t = 100)]
    transactions: usize,
    /// Deepest pipelined batch (batches hold 2 to this many requests).
    #[arg(long, default_value_t = 8)]
    depth: usize,
    /// Largest TCP payload of a segment, bytes.
    #[arg(long, default_value_t = 60)]
    segment: usize,
    /// Seed of the generated traffic.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Exit with status 1 unless every protocol has no silently wrong event
    /// and at most `--max-disturbed` disturbed transactions per drop.
    #[arg(long)]
    check: bool,
    /// The target for `--check`: disturbed transactions per drop, on average.
    #[arg(long, default_value_t = 6.0)]
    max_disturbed: f64,
    /// Print one JSON object per protocol instead of the table.
    #[arg(long)]
    json: bool,
    /// Only this protocol (echo, redis, memcache, lenkey).
    #[arg(long, value_parser = protocol)]
    protocol: Option<LossProtocol>,
    /// Show what the K-th drop (from 0) did to the events of `--protocol`:
    /// the clean events that did not come out (-) and the ones that differ (+).
    #[arg(long, value_name = "K", requires = "protocol")]
    explain: Option<usize>,
}

fn protocol(name: &str) -> Result<LossProtocol, String> {
    LossProtocol::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| format!("unknown protocol `{name}` (echo, redis, memcache, lenkey)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.depth < 2 || args.segment == 0 {
        eprintln!("bench-loss: --depth must be at least 2 and --segment at least 1");
        return ExitCode::FAILURE;
    }
    let shape = Shape {
        connections: args.connections,
        transactions: args.transactions,
        batch: (2, args.depth),
        segment: args.segment,
    };
    if let (Some(k), Some(protocol)) = (args.explain, args.protocol) {
        print!("{}", explain(protocol, shape, args.drops, k, args.seed));
        return ExitCode::SUCCESS;
    }
    if !args.json {
        println!(
            "{:<9} {:>12} {:>6} {:>10} {:>15} {:>6} {:>15}",
            "protocol",
            "transactions",
            "drops",
            "disturbed",
            "disturbed/drop",
            "worst",
            "silently wrong"
        );
    }
    let mut failed = Vec::new();
    let chosen = match args.protocol {
        Some(one) => vec![one],
        None => LossProtocol::ALL.to_vec(),
    };
    for protocol in chosen {
        let report = measure(protocol, shape, args.drops, args.seed);
        print(&report, args.json);
        if report.silently_wrong > 0 {
            failed.push(format!(
                "{}: {} silently wrong",
                report.protocol, report.silently_wrong
            ));
        }
        if report.disturbed_per_drop() > args.max_disturbed {
            failed.push(format!(
                "{}: {:.2} disturbed per drop (target {})",
                report.protocol,
                report.disturbed_per_drop(),
                args.max_disturbed
            ));
        }
    }
    if args.check && !failed.is_empty() {
        eprintln!("bench-loss: targets missed: {}", failed.join("; "));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn print(report: &LossReport, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(report).expect("a report serializes")
        );
        return;
    }
    println!(
        "{:<9} {:>12} {:>6} {:>10} {:>15.2} {:>6} {:>15}",
        report.protocol,
        report.transactions,
        report.drops,
        report.disturbed,
        report.disturbed_per_drop(),
        report.worst,
        report.silently_wrong
    );
}
