//! SIGINT and SIGTERM: the first asks the run to stop (it then finishes
//! cleanly); a second one exits at once, for a user who does not want to
//! wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process) and returns the flag it sets.
/// When the handler cannot be installed the flag is still returned: the run
/// then just cannot be stopped cleanly.
pub fn stop_flag() -> &'static AtomicBool {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
        if let Err(err) = installed {
            eprintln!("warning: SIGINT/SIGTERM will not stop cleanly: {err}");
        }
    });
    &STOP
}
