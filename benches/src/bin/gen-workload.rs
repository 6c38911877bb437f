//! `gen-workload`: writes a deterministic pcap of echo, Redis or HTTP traffic.
//!
//! ```sh
//! cargo run --release -p benches --bin gen-workload -- --protocol echo --size 200M --seed 1
//! ```
//!
//! Prints the connections, packets and transactions written, and stores the
//! same summary as JSON next to the file (`FILE.json`), where `bench-pipeline`
//! finds the expected transaction count.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use benches::gen::{generate, parse_size, Options};
use benches::messages::AppProtocol;
use clap::Parser;

/// Write a pcap of ~1,000 interleaved echo, Redis or HTTP connections.
#[derive(Debug, Parser)]
struct Args {
    /// `echo` (port 3030), `redis` (port 6379), `pgsql` (port 5432),
    /// `mysql` (port 3306) or `http` (port 80).
    #[arg(long, default_value = "echo")]
    protocol: AppProtocol,
    /// Size of the file: bytes, or with a K, M or G suffix.
    #[arg(long, default_value = "200M", value_parser = parse_size)]
    size: u64,
    /// Seed: the same seed and options give the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Connections open at the same time (`--connections` is the same).
    #[arg(long, visible_alias = "connections", default_value_t = 1000)]
    concurrency: usize,
    /// Connections opened in all, at most (default: as many as `--size`
    /// takes). With a large `--size`, a churn run: `--connections 3000
    /// --total 1000000`.
    #[arg(long)]
    total: Option<u64>,
    /// Transactions per connection, drawn uniformly: `MIN-MAX` or `N`.
    #[arg(long, default_value = "1-200", value_parser = parse_range)]
    transactions: (u64, u64),
    /// Addresses as IPv6 (`fd00::` and the IPv4 address's bytes).
    #[arg(long)]
    ipv6: bool,
    /// A VLAN tag (802.1Q) in every frame.
    #[arg(long)]
    vlan: bool,
    /// Linux cooked frames (SLL, as `tcpdump -i any`) instead of Ethernet.
    #[arg(long)]
    sll: bool,
    /// Output file [default: target/workload/PROTOCOL-SIZE.pcap].
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "target/workload/{}-{}.pcap",
            args.protocol,
            human(args.size)
        ))
    });
    match run(&args, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-workload: {}: {message}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args, out: &PathBuf) -> Result<(), String> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut opts = Options::new(args.protocol, args.size, args.seed);
    opts.concurrency = args.concurrency;
    opts.max_connections = args.total;
    opts.transactions_per_connection = args.transactions;
    opts.ipv6 = args.ipv6;
    opts.vlan = args.vlan;
    opts.sll = args.sll;
    let started = Instant::now();
    // Write to a temporary name: an interrupted run leaves no truncated file
    // that a later run would take as complete.
    let tmp = out.with_extension("pcap.tmp");
    let file = File::create(&tmp).map_err(|e| format!("cannot create: {e}"))?;
    let summary = generate(&opts, file).map_err(|e| format!("write error: {e}"))?;
    fs::rename(&tmp, out).map_err(|e| format!("cannot rename: {e}"))?;
    let json = serde_json::to_string_pretty(&summary).expect("summary serializes");
    let sidecar = PathBuf::from(format!("{}.json", out.display()));
    fs::write(&sidecar, json + "\n").map_err(|e| format!("cannot write the summary: {e}"))?;
    println!(
        "{}: {} bytes, {} connections, {} packets, {} transactions ({} error replies, {} pipelined requests, {} split messages, {} multi-message segments) in {:.1} s",
        out.display(),
        summary.bytes,
        summary.connections,
        summary.packets,
        summary.transactions,
        summary.error_replies,
        summary.pipelined_requests,
        summary.split_messages,
        summary.multi_message_segments,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `1-4` for 1 to 4, `3` for exactly 3.
fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (lo, hi) = text.split_once('-').unwrap_or((text, text));
    let number = |t: &str| t.trim().parse::<u64>().map_err(|e| format!("`{t}`: {e}"));
    let (lo, hi) = (number(lo)?, number(hi)?);
    if lo == 0 || lo > hi {
        return Err(format!("`{text}`: want MIN-MAX with 1 <= MIN <= MAX"));
    }
    Ok((lo, hi))
}

/// `200M` for 200 MiB, `1536K` for 1.5 MiB.
fn human(size: u64) -> String {
    for (shift, unit) in [(30, "G"), (20, "M"), (10, "K")] {
        if size >= 1 << shift && size.trailing_zeros() >= shift {
            return format!("{}{unit}", size >> shift);
        }
    }
    size.to_string()
}
