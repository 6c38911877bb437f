//! The progress bar: its state, and what it draws on a terminal.

use analyzer_beat::progress::{state, Progress, State};
use indicatif::{InMemoryTerm, ProgressDrawTarget, TermLike};

#[test]
fn the_state_is_bytes_read_and_events() {
    assert_eq!(
        state(512, 2048, 1),
        State {
            position: 512,
            message: "1 event".into()
        }
    );
    assert_eq!(state(4096, 2048, 7).position, 2048, "never past the end");
    assert_eq!(state(0, 2048, 0).message, "0 events");
    assert_eq!(state(0, 2048, 1_234_567).message, "1,234,567 events");
}

#[test]
fn the_bar_shows_bytes_speed_events_and_time_left() {
    let term = InMemoryTerm::new(4, 120);
    let progress = Progress::with_target(
        2_000_000,
        ProgressDrawTarget::term_like(Box::new(term.clone())),
    );
    assert!(progress.is_visible());
    progress.update(500_000, 42);
    let screen = term.contents();
    assert!(screen.contains("500.00 kB/2.00 MB"), "{screen}");
    assert!(screen.contains("42 events"), "{screen}");
    assert!(screen.contains("/s"), "speed: {screen}");
    assert!(screen.contains("ETA"), "{screen}");
    let bar = &screen[screen.find('[').unwrap() + 1..screen.find(']').unwrap()];
    let filled = bar.chars().filter(|&c| c == '=').count();
    assert_eq!(
        filled,
        bar.chars().count() / 4,
        "a quarter of the bar: {screen}"
    );
    progress.finish();
    assert_eq!(term.contents().trim(), "", "cleared at the end");
    assert_eq!(term.width(), 120);
}

#[test]
fn nothing_is_drawn_when_stderr_is_not_a_terminal() {
    // Under `cargo test` stderr is captured or a pipe; the beat's tests check
    // the binaries' stderr holds only the counters.
    use std::io::IsTerminal;
    let progress = Progress::stderr(1000, true);
    assert_eq!(progress.is_visible(), std::io::stderr().is_terminal());
    assert!(!Progress::stderr(1000, false).is_visible());
}
