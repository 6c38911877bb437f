//! `pcap-mangle IN OUT OP...`: rewrite a capture with packets reordered,
//! duplicated or dropped, to test an analyzer against an imperfect network.
//!
//! Ops (packet numbers as tcpdump shows them, 1-based, in the input):
//! `swap:A,B` exchanges two packets, `dup:N` retransmits one, `drop:N` loses
//! one. Example: `pcap-mangle plain.pcap out.pcap swap:4,6 dup:8 drop:10`.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use integration_tests::{mangle, read_packets, write_pcap, Op};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: pcap-mangle IN OUT [swap:A,B | dup:N | drop:N]...");
        return ExitCode::from(2);
    }
    let ops: Result<Vec<Op>, String> = args[2..].iter().map(|a| a.parse()).collect();
    let result = ops.and_then(|ops| {
        let packets = read_packets(&args[0]).map_err(|e| format!("{}: {e}", args[0]))?;
        let mangled = mangle(&packets, &ops)?;
        let file = File::create(&args[1]).map_err(|e| format!("{}: {e}", args[1]))?;
        write_pcap(&mut BufWriter::new(file), &mangled).map_err(|e| format!("{}: {e}", args[1]))?;
        Ok(mangled.len())
    });
    match result {
        Ok(n) => {
            eprintln!("pcap-mangle: wrote {n} packets to {}", args[1]);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pcap-mangle: {e}");
            ExitCode::FAILURE
        }
    }
}
