//! `bench-pipeline FILE`: end-to-end throughput over one capture file, each
//! figure next to the floor measured in the same run.
//!
//! ```sh
//! cargo build --release -p echo -p benches
//! target/release/bench-pipeline target/workload/echo-200M.pcap [--runs 3] [--tshark]
//! ```
//!
//! Every measurement runs in a child process of this binary
//! (`bench-pipeline --one MODE FILE`, which prints one JSON line) so that its
//! peak RSS is its own. Modes are run round-robin `--runs` times; the fastest
//! run of each is reported, with the largest peak RSS, and the median over the
//! rounds of its time over the floor's (`x floor`). With the generator's
//! summary beside the file (`FILE.json`), a transaction count of the engine
//! or ndjson modes that differs from it fails the run, after the table.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use analyzer_core::decode::decode_tcp;
use analyzer_core::pcap::PcapReader;
use benches::footprint::{self, Idle};
use benches::gen::Summary;
use benches::pipeline::{self, Measurement};
use clap::Parser;
use echo::EchoMessage;
use http::HttpMessage;
use mysql::MysqlMessage;
use pgsql::PgsqlMessage;
use redis::RedisMessage;

/// Measure the floor, the engine, ndjson output and the beat on one pcap.
///
/// Fails when the engine's or ndjson's transaction count differs from the
/// generator's summary (FILE.json), if there is one.
#[derive(Debug, Parser)]
struct Args {
    /// The capture file (from gen-workload).
    file: PathBuf,
    /// Runs of each mode; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also time tshark (-T json, and -T fields -e tcp.stream), once each.
    #[arg(long)]
    tshark: bool,
    /// Write the measurements as a JSON array to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Run one mode in this process and print its measurement as JSON.
    #[arg(long, value_name = "MODE", hide = true)]
    one: Option<String>,
    /// Connections of the idle-footprint measurement printed after the
    /// table (0: none).
    #[arg(long, default_value_t = 10_000)]
    idle_connections: u64,
}

/// Counts heap blocks, only during the idle-footprint measurement.
#[global_allocator]
static ALLOC: footprint::CountingAlloc = footprint::CountingAlloc;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.one {
        Some(mode) if mode.starts_with("idle-") => one_idle(mode, args.idle_connections),
        Some(mode) => one(mode, &args.file),
        None => all(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-pipeline: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Child side: one measurement, one JSON line on stdout.
fn one(mode: &str, file: &Path) -> Result<(), String> {
    let path = file.to_str().ok_or("the file name is not UTF-8")?;
    let mut m = match mode {
        "floor" => pipeline::floor(file)?,
        "engine" => pipeline::engine::<EchoMessage>(file)?,
        "ndjson" => pipeline::ndjson::<EchoMessage>(file)?,
        "beat" => {
            let beat = sibling("echo-beat")?;
            let args = ["-r", path, "-o", "/dev/null", "--no-counters"];
            pipeline::command("beat", file, &beat, &args)?
        }
        "redis-engine" => pipeline::engine::<RedisMessage>(file)?,
        "redis-ndjson" => pipeline::ndjson::<RedisMessage>(file)?,
        "redis-beat" => {
            let beat = sibling("redis-beat")?;
            let args = ["-r", path, "-o", "/dev/null", "--no-counters"];
            pipeline::command("redis-beat", file, &beat, &args)?
        }
        "pgsql-engine" => pipeline::engine::<PgsqlMessage>(file)?,
        "pgsql-ndjson" => pipeline::ndjson::<PgsqlMessage>(file)?,
        "pgsql-beat" => {
            let beat = sibling("pgsql-beat")?;
            let args = ["-r", path, "-o", "/dev/null", "--no-counters"];
            pipeline::command("pgsql-beat", file, &beat, &args)?
        }
        "mysql-engine" => pipeline::engine::<MysqlMessage>(file)?,
        "mysql-ndjson" => pipeline::ndjson::<MysqlMessage>(file)?,
        "mysql-beat" => {
            let beat = sibling("mysql-beat")?;
            let args = ["-r", path, "-o", "/dev/null", "--no-counters"];
            pipeline::command("mysql-beat", file, &beat, &args)?
        }
        "http-engine" => pipeline::engine::<HttpMessage>(file)?,
        "http-ndjson" => pipeline::ndjson::<HttpMessage>(file)?,
        "http-beat" => {
            let beat = sibling("http-beat")?;
            let args = ["-r", path, "-o", "/dev/null", "--no-counters"];
            pipeline::command("http-beat", file, &beat, &args)?
        }
        "tshark-json" => {
            let args = ["-r", path, "-T", "json"];
            pipeline::command(mode, file, Path::new("tshark"), &args)?
        }
        "tshark-fields" => {
            let args = ["-r", path, "-T", "fields", "-e", "tcp.stream"];
            pipeline::command(mode, file, Path::new("tshark"), &args)?
        }
        other => return Err(format!("unknown mode `{other}`")),
    };
    if m.peak_rss_kib == 0 {
        m.peak_rss_kib = pipeline::peak_rss_kib();
    }
    if m.cpu_secs == 0.0 {
        m.cpu_secs = pipeline::cpu_secs(false);
    }
    println!("{}", serde_json::to_string(&m).expect("JSON"));
    Ok(())
}

/// Child side of the idle footprint: one JSON line on stdout.
fn one_idle(mode: &str, connections: u64) -> Result<(), String> {
    let idle = match mode {
        "idle-engine" => footprint::idle::<EchoMessage>(connections, false)?,
        "idle-ndjson" => footprint::idle::<EchoMessage>(connections, true)?,
        other => return Err(format!("unknown mode `{other}`")),
    };
    println!("{}", serde_json::to_string(&idle).expect("JSON"));
    Ok(())
}

/// The idle footprint, each sink in a child process of its own.
fn idle_footprint(connections: u64) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    println!("\nidle connections (handshake, one transaction, nothing pending or buffered):");
    for mode in ["idle-engine", "idle-ndjson"] {
        let out = Command::new(&exe)
            .args(["--one", mode, "--idle-connections"])
            .arg(connections.to_string())
            .arg("-")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("{mode}: {}", err.trim()));
        }
        let idle: Idle =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("{mode}: bad result: {e}"))?;
        println!(
            "  {:<7} {} open: {:.0} heap bytes per connection ({:.2} blocks), RSS +{:.0} bytes per connection",
            idle.sink, idle.connections, idle.heap_bytes, idle.heap_blocks, idle.rss_bytes
        );
    }
    Ok(())
}

/// A binary next to this one (target/release/NAME).
fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it first (cargo build --release -p echo -p redis -p http)",
            path.display()
        ))
    }
}

/// Runs `bench-pipeline --one MODE FILE` as a child; parses its result.
fn child(mode: &str, file: &Path) -> Result<Measurement, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg("--one")
        .arg(mode)
        .arg(file)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{mode}: {}", err.trim()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{mode}: bad result: {e}"))
}

/// The protocol and expected transactions: from the generator's summary
/// (`FILE.json`), else guessed from the first TCP port seen.
fn describe(file: &Path) -> (String, Option<Summary>) {
    let sidecar = PathBuf::from(format!("{}.json", file.display()));
    if let Some(summary) = std::fs::read(&sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice::<Summary>(&b).ok())
    {
        return (summary.protocol.clone(), Some(summary));
    }
    let mut protocol = "echo".to_string();
    if let Ok(mut reader) = PcapReader::open(file) {
        while let Ok(Some(p)) = reader.next_packet() {
            if let Ok(seg) = decode_tcp(p.link, p.data) {
                if [seg.src.1, seg.dst.1].contains(&6379) {
                    protocol = "redis".into();
                }
                if [seg.src.1, seg.dst.1].contains(&5432) {
                    protocol = "pgsql".into();
                }
                if [seg.src.1, seg.dst.1].contains(&3306) {
                    protocol = "mysql".into();
                }
                if [seg.src.1, seg.dst.1].contains(&80) {
                    protocol = "http".into();
                }
                break;
            }
        }
    }
    (protocol, None)
}

fn all(args: &Args) -> Result<(), String> {
    let size = pipeline::warm(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let (protocol, summary) = describe(&args.file);
    println!(
        "{}: {:.1} MB, {protocol}{}",
        args.file.display(),
        size as f64 / 1e6,
        summary.as_ref().map_or(String::new(), |s| format!(
            ", {} connections, {} packets, {} transactions expected",
            s.connections, s.packets, s.transactions
        ))
    );
    let mut modes = vec!["floor"];
    let (engine, ndjson, beat, beat_bin) = if protocol == "redis" {
        ("redis-engine", "redis-ndjson", "redis-beat", "redis-beat")
    } else if protocol == "pgsql" {
        ("pgsql-engine", "pgsql-ndjson", "pgsql-beat", "pgsql-beat")
    } else if protocol == "mysql" {
        ("mysql-engine", "mysql-ndjson", "mysql-beat", "mysql-beat")
    } else if protocol == "http" {
        ("http-engine", "http-ndjson", "http-beat", "http-beat")
    } else {
        ("engine", "ndjson", "beat", "echo-beat")
    };
    modes.extend([engine, ndjson]);
    match sibling(beat_bin) {
        Ok(_) => modes.push(beat),
        Err(err) => println!("beat skipped: {err}"),
    }
    let mut best: Vec<Option<Measurement>> = vec![None; modes.len()];
    // Per mode, its time over the floor's in each round.
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut cpu_ratios: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    for run in 0..args.runs.max(1) {
        let mut floor_secs = None;
        let mut floor_cpu = None;
        for (i, mode) in modes.iter().enumerate() {
            let m = child(mode, &args.file)?;
            eprintln!("run {}: {mode:<8} {:.3} s", run + 1, m.secs);
            if *mode == "floor" {
                floor_secs = Some(m.secs);
                floor_cpu = Some(m.cpu_secs);
            }
            if let Some(floor) = floor_secs.filter(|f| *f > 0.0) {
                ratios[i].push(m.secs / floor);
            }
            if let Some(floor) = floor_cpu.filter(|f| *f > 0.0) {
                cpu_ratios[i].push(m.cpu_secs / floor);
            }
            best[i] = Some(match best[i].take() {
                Some(b) if b.secs <= m.secs => Measurement {
                    peak_rss_kib: b.peak_rss_kib.max(m.peak_rss_kib),
                    ..b
                },
                Some(b) => Measurement {
                    peak_rss_kib: b.peak_rss_kib.max(m.peak_rss_kib),
                    ..m
                },
                None => m,
            });
        }
    }
    let mut results: Vec<Measurement> = best.into_iter().flatten().collect();
    let median = |mut r: Vec<f64>| {
        r.sort_by(f64::total_cmp);
        (!r.is_empty()).then(|| r[r.len() / 2])
    };
    for ((m, r), c) in results.iter_mut().zip(ratios).zip(cpu_ratios) {
        m.x_floor_median = median(r);
        m.cpu_x_floor_median = median(c);
    }
    if args.tshark {
        if tshark_available() {
            for mode in ["tshark-fields", "tshark-json"] {
                eprintln!("{mode}: running once (slow)...");
                results.push(child(mode, &args.file)?);
            }
        } else {
            println!("tshark not found: skipped (apt-get install -y tshark)");
        }
    }
    fill_in(&mut results, summary.as_ref());
    table(&results, summary.as_ref());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&results).expect("JSON");
        std::fs::write(path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    check(&results, summary.as_ref())?;
    if args.idle_connections > 0 {
        idle_footprint(args.idle_connections)?;
    }
    Ok(())
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Modes that cannot count packets or transactions (the floor does no
/// analysis; the beat and tshark are black boxes) get the counts of the same
/// file from the runs that can (or the generator's summary), so that their
/// rates compare; the floor's transactions/s is the ceiling.
fn fill_in(results: &mut [Measurement], summary: Option<&Summary>) {
    let packets = results.iter().map(|m| m.packets).max().unwrap_or(0);
    let transactions = results
        .iter()
        .map(|m| m.transactions)
        .max()
        .filter(|&t| t > 0)
        .or(summary.map(|s| s.transactions))
        .unwrap_or(0);
    for m in results.iter_mut() {
        if m.packets == 0 {
            m.packets = packets;
        }
        if m.transactions == 0 {
            m.transactions = transactions;
        }
    }
}

/// The table; "x floor" is the median over the rounds of the mode's time
/// over the floor's in the same round ("cpu x" the same of CPU times, which
/// a loaded machine inflates less), "B/conn" the peak RSS above the
/// floor's divided by the connections open at once (from the summary).
fn table(results: &[Measurement], summary: Option<&Summary>) {
    let floor_m = results.iter().find(|m| m.mode == "floor");
    let floor = floor_m.map(|m| m.mb_per_sec());
    let floor_rss = floor_m.map_or(0, |m| m.peak_rss_kib);
    let concurrent = summary.map_or(0, |s| s.concurrency.min(s.connections));
    println!(
        "\n{:<14} {:>9} {:>9} {:>12} {:>12} {:>10} {:>9} {:>8} {:>6} {:>7}",
        "mode",
        "time s",
        "MB/s",
        "packets/s",
        "trans/s",
        "peak RSS",
        "vs floor",
        "x floor",
        "cpu x",
        "B/conn"
    );
    for m in results {
        let tps = match m.transactions {
            0 => "-".to_string(),
            t => format!("{:.0}", t as f64 / m.secs),
        };
        let ratio = floor.map_or("-".into(), |f| format!("{:.3}", m.mb_per_sec() / f));
        let x_floor = m.x_floor_median.map_or("-".into(), |x| format!("{x:.2}"));
        let cpu_x = m
            .cpu_x_floor_median
            .map_or("-".into(), |x| format!("{x:.2}"));
        let per_conn = match concurrent {
            0 => "-".to_string(),
            n => format!(
                "{:.0}",
                m.peak_rss_kib.saturating_sub(floor_rss) as f64 * 1024.0 / n as f64
            ),
        };
        println!(
            "{:<14} {:>9.3} {:>9.1} {:>12.0} {:>12} {:>7.1} MiB {:>9} {:>8} {:>6} {:>7}",
            m.mode,
            m.secs,
            m.mb_per_sec(),
            m.packets as f64 / m.secs,
            tps,
            m.peak_rss_kib as f64 / 1024.0,
            ratio,
            x_floor,
            cpu_x,
            per_conn
        );
    }
}

/// Compares the transaction counts of the modes that count them with the
/// generator's: a generated workload is clean, so any difference is a bug
/// and fails the run (after the table is printed).
fn check(results: &[Measurement], summary: Option<&Summary>) -> Result<(), String> {
    let Some(s) = summary else { return Ok(()) };
    let wrong: Vec<String> = results
        .iter()
        .filter(|m| m.mode.ends_with("engine") || m.mode.ends_with("ndjson"))
        .filter(|m| m.transactions != s.transactions)
        .map(|m| format!("{} published {}", m.mode, m.transactions))
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the generator wrote {} transactions, but {}",
            s.transactions,
            wrong.join(", ")
        ))
    }
}
