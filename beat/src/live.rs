//! Live capture through libpcap (feature `live`).
//!
//! Packets keep their kernel timestamps, so the engines see a live link
//! exactly as they would see a capture of it. When no packet came for
//! [`TICK`] of wall time, the engines are ticked with the wall clock, so
//! transaction and idle timeouts still fire on a quiet link; the output is
//! flushed then too, so events show up promptly.
//!
//! libpcap's read timeout cannot do this (on Linux a read keeps waiting past
//! it until a packet comes), so the capture is non-blocking and the beat
//! waits on its file descriptor with `poll(2)`, for at most the time to the
//! next tick. Unix only.

use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use analyzer_core::decode::LinkType;
use analyzer_core::Timestamp;
use pcap::{Active, Capture};

use crate::args::LiveSettings;
use crate::run::{fail, Beat, Failure};

/// Wall time between ticks on a quiet link.
pub const TICK: Duration = Duration::from_millis(500);

/// An open capture with its filter set.
pub struct Live {
    capture: Capture<Active>,
    device: String,
}

/// Opens `settings.device` (immediate mode, the configured snapshot length
/// and buffer) and sets the capture filter.
pub fn open(settings: &LiveSettings) -> Result<Live, Failure> {
    let device = &settings.device;
    let cannot = |err: pcap::Error| fail(format!("{device}: cannot capture: {}", explain(&err)));
    let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let mut capture = Capture::from_device(device.as_str())
        .map_err(cannot)?
        .snaplen(clamp(settings.snaplen))
        .buffer_size(clamp(settings.buffer_size))
        .immediate_mode(true)
        .open()
        .and_then(|c| c.setnonblock())
        .map_err(cannot)?;
    capture.filter(&settings.filter, true).map_err(|err| {
        fail(format!(
            "{device}: bad capture filter `{}`: {err}",
            settings.filter
        ))
    })?;
    Ok(Live {
        capture,
        device: device.clone(),
    })
}

/// libpcap's error, and for a permission error what to do about it.
fn explain(err: &pcap::Error) -> String {
    let text = err.to_string();
    let lower = text.to_lowercase();
    let denied = ["permission", "not permitted", "cap_net_raw"]
        .iter()
        .any(|word| lower.contains(word));
    #[cfg(target_os = "linux")]
    let lacks = {
        use crate::privileges::caps;
        !caps::get().is_ok_and(|sets| sets.has_effective(caps::CAP_NET_RAW))
    };
    #[cfg(not(target_os = "linux"))]
    let lacks = true;
    if !denied || !lacks {
        return text;
    }
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "BINARY".into());
    format!(
        "permission denied: capturing needs the CAP_NET_RAW capability, which this process lacks; run the beat as root (it drops to an unprivileged user once the device is open), or give the binary the capability once: `setcap cap_net_raw,cap_net_admin=eip {exe}` (libpcap: {text})"
    )
}

/// Waits until the capture has packets or `timeout` passed (or a signal
/// came: the caller checks its stop flag).
fn wait_readable(capture: &Capture<Active>, timeout: Duration) {
    let mut fd = libc::pollfd {
        fd: capture.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, for the duration of the call.
    unsafe { libc::poll(&mut fd, 1, ms) };
}

fn wall_clock() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_nanos(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
}

/// Feeds the capture's packets to `beat` until `stop` is set, the output
/// fails or the capture does; returns how it ended and libpcap's packet
/// counts (`received`, `dropped` by the kernel, `if_dropped`).
pub fn sniff(
    mut live: Live,
    beat: &mut Beat,
    stop: &AtomicBool,
) -> (Result<(), String>, Option<serde_json::Value>) {
    let link = LinkType::from_linktype(live.capture.get_datalink().0 as u32);
    let mut last_tick = Instant::now();
    let result = loop {
        if stop.load(Ordering::Relaxed) || beat.output().failed() {
            break Ok(());
        }
        match live.capture.next_packet() {
            Ok(packet) => {
                let ts = &packet.header.ts;
                let ts = Timestamp::from_secs_nanos(ts.tv_sec, (ts.tv_usec * 1000) as u32);
                beat.packet(ts, link, packet.data);
            }
            Err(pcap::Error::TimeoutExpired) => {
                // Nothing to read: wait for packets, or the next tick.
                let left = TICK.saturating_sub(last_tick.elapsed());
                wait_readable(&live.capture, left);
            }
            Err(err) => break Err(format!("{}: capture failed: {err}", live.device)),
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            beat.tick(wall_clock());
            beat.output().flush();
        }
    };
    let stats = live.capture.stats().ok().map(|s| {
        serde_json::json!({
            "received": s.received,
            "dropped": s.dropped,
            "if_dropped": s.if_dropped,
        })
    });
    (result, stats)
}
