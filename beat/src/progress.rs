//! The progress bar shown on stderr while a file is read: bytes read of the
//! file's size, MB/s, events written and the time left. Hidden when stderr
//! is not a terminal, so pipes and logs get nothing.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar's layout: elapsed time, bar, bytes, speed, events, time left.
pub const TEMPLATE: &str =
    "{elapsed_precise} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {msg} ETA {eta}";

/// Packets between two updates of the bar (it redraws at most 20 times a
/// second anyway).
pub const UPDATE_EVERY: u64 = 1024;

/// Progress of reading one capture file.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

/// What the bar shows: its position (bytes read) and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Bytes of the file read so far (at most its size).
    pub position: u64,
    /// `1,234 events`.
    pub message: String,
}

/// The bar's state after `bytes_read` bytes of a `total`-byte file and
/// `events` events.
pub fn state(bytes_read: u64, total: u64, events: u64) -> State {
    State {
        position: bytes_read.min(total),
        message: format!(
            "{} event{}",
            indicatif::HumanCount(events),
            if events == 1 { "" } else { "s" }
        ),
    }
}

impl Progress {
    /// A bar on stderr for a `total`-byte file, drawn only when `enabled` and
    /// stderr is a terminal.
    pub fn stderr(total: u64, enabled: bool) -> Self {
        let target = if enabled && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress::with_target(total, target)
    }

    /// A bar drawn to `target` (tests draw to an in-memory terminal).
    pub fn with_target(total: u64, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            ProgressStyle::with_template(TEMPLATE)
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(state(0, total, 0).message);
        Progress { bar }
    }

    /// Whether the bar is drawn at all.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Moves the bar to `bytes_read` with `events` written.
    pub fn update(&self, bytes_read: u64, events: u64) {
        let total = self.bar.length().unwrap_or(u64::MAX);
        let State { position, message } = state(bytes_read, total, events);
        self.bar.set_position(position);
        self.bar.set_message(message);
    }

    /// Removes the bar from the terminal (the summary and counters follow).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
