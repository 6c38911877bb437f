//! What an idle connection costs in memory: a counting allocator, and a run
//! that opens many connections, lets each finish one transaction and keeps
//! them all open (handshake seen, nothing pending, nothing buffered).
//!
//! The count is of heap blocks as glibc's `malloc` holds them (usable size
//! plus its 8-byte header), counted only while [`counting`] is on, so that
//! the other measurements of the same binary pay one relaxed load per
//! allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};

use analyzer_core::pcap::PcapReader;
use analyzer_core::{Config, Engine, Event, NdjsonWriter, Protocol};
use serde::{Deserialize, Serialize};

use crate::gen::{generate, Options};
use crate::messages::AppProtocol;

/// The system allocator, counting the bytes of the blocks live while
/// counting is on. Install it with `#[global_allocator]`.
pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);

/// What a block takes from glibc's heap: its usable size and the chunk
/// header.
fn held(ptr: *mut u8) -> i64 {
    // SAFETY: `ptr` is a live block of the system allocator (glibc malloc).
    (unsafe { libc::malloc_usable_size(ptr.cast()) } + 8) as i64
}

// SAFETY: every call goes to `System`; the counters only observe.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if COUNTING.load(Relaxed) && !ptr.is_null() {
            LIVE_BYTES.fetch_add(held(ptr), Relaxed);
            LIVE_BLOCKS.fetch_add(1, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            LIVE_BYTES.fetch_sub(held(ptr), Relaxed);
            LIVE_BLOCKS.fetch_sub(1, Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let counting = COUNTING.load(Relaxed);
        let before = if counting { held(ptr) } else { 0 };
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if counting && !new.is_null() {
            LIVE_BYTES.fetch_add(held(new) - before, Relaxed);
        }
        new
    }
}

/// Starts or stops counting. Blocks allocated while it is off and freed while
/// it is on are subtracted: turn it on before making what is measured.
pub fn counting(on: bool) {
    COUNTING.store(on, Relaxed);
}

/// Heap bytes and blocks live among those counted.
pub fn live() -> (i64, i64) {
    (LIVE_BYTES.load(Relaxed), LIVE_BLOCKS.load(Relaxed))
}

/// The footprint of idle connections.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Idle {
    /// `engine` (counting sink) or `ndjson` (the flow's text and JSON made).
    pub sink: String,
    /// Connections open at the end.
    pub connections: u64,
    /// Heap bytes per connection (malloc's blocks, header included).
    pub heap_bytes: f64,
    /// Heap blocks per connection.
    pub heap_blocks: f64,
    /// Resident memory grown per connection (`VmRSS`), bytes.
    pub rss_bytes: f64,
}

/// Opens `connections` echo connections, one transaction each, none
/// closed; measures what the engine holds for them.
///
/// Must run in a process whose global allocator is [`CountingAlloc`]
/// (else the heap figures are 0).
pub fn idle<P: Protocol>(connections: u64, ndjson: bool) -> Result<Idle, String> {
    let mut opts = Options::new(AppProtocol::Echo, u64::MAX, 1);
    opts.concurrency = connections as usize;
    opts.max_connections = Some(connections);
    opts.transactions_per_connection = (1, 1);
    opts.keep_open = true;
    let mut pcap = Vec::new();
    let summary = generate(&opts, &mut pcap).map_err(|e| e.to_string())?;
    let mut reader = PcapReader::new(&pcap[..]).map_err(|e| e.to_string())?;
    let rss_before = rss_bytes();
    counting(true);
    if ndjson {
        let sink = NdjsonWriter::new(std::io::sink());
        let mut engine = Engine::<P, _>::new(Config::default(), sink);
        analyzer_core::replay::feed(&mut reader, &mut engine).map_err(|e| e.to_string())?;
        let (heap, blocks) = live();
        counting(false);
        let rss = rss_bytes() - rss_before;
        let open = engine.connections() as u64;
        let published = engine.sink().events_written();
        if published != summary.transactions {
            let expected = summary.transactions;
            return Err(format!("{published} events written, {expected} expected"));
        }
        Ok(per_connection("ndjson", open, heap, blocks, rss))
    } else {
        let mut engine = Engine::new(Config::default(), |e: Event<P>| {
            std::hint::black_box(&e);
        });
        analyzer_core::replay::feed(&mut reader, &mut engine).map_err(|e| e.to_string())?;
        let (heap, blocks) = live();
        counting(false);
        let rss = rss_bytes() - rss_before;
        Ok(per_connection(
            "engine",
            engine.connections() as u64,
            heap,
            blocks,
            rss,
        ))
    }
}

fn per_connection(sink: &str, open: u64, heap: i64, blocks: i64, rss: i64) -> Idle {
    let n = open.max(1) as f64;
    Idle {
        sink: sink.to_string(),
        connections: open,
        heap_bytes: heap as f64 / n,
        heap_blocks: blocks as f64 / n,
        rss_bytes: rss as f64 / n,
    }
}

/// This process's resident memory now (`VmRSS`), bytes.
fn rss_bytes() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        .map_or(0, |kib| kib * 1024)
}
