//! Least privilege: a beat parses hostile traffic, so it never does so as
//! root.
//!
//! Opening a capture device takes root (or the `CAP_NET_RAW` capability);
//! parsing what it captures takes nothing. So a beat opens its input and
//! its output first, then gives up its privileges for good, the way tcpdump
//! (`-Z`), Suricata and Zeek (`--user`) do, and only then reads a packet:
//!
//! - started as root, it becomes the user of `--user NAME` (or `user:` in
//!   the config file), by default the first of [`DEFAULT_USERS`] that
//!   exists: user, primary group, no supplementary groups, no capabilities,
//!   real, effective and saved ids all changed (`setresuid`), so root cannot
//!   be regained; `--user root` keeps root on purpose, with a warning;
//! - started as another user (with `setcap cap_net_raw,cap_net_admin=eip`
//!   on the binary, say), it keeps its user and drops its capabilities;
//! - either way it then sets `no_new_privs` (no `execve` can grant
//!   privileges again) and checks the result: the user ids, the groups, the
//!   capabilities of every thread, and that `setuid(0)` fails. Anything
//!   unexpected is an error, never a silent fallback to root.
//!
//! ```no_run
//! use analyzer_beat::privileges::{Plan, RunAs};
//!
//! // Before opening anything: check the user exists (and may be switched to).
//! let plan = Plan::new(&RunAs::User("nobody".into()))?;
//! // ... open the capture device and the output file ...
//! let dropped = plan.apply()?;
//! if let Some(warning) = dropped.warning() {
//!     eprintln!("warning: {warning}");
//! }
//! // ... now parse ...
//! # Ok::<(), analyzer_beat::privileges::PrivilegeError>(())
//! ```
//!
//! Capabilities are per thread: apply the plan before starting threads
//! (the beat does; the check afterwards covers every thread anyway).
//! Implemented for Linux; elsewhere a beat started as root refuses to run
//! unless told `--user root`.

#[cfg(target_os = "linux")]
pub(crate) mod caps;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(unix)]
mod user;

use std::fmt;
use std::io;

#[cfg(unix)]
pub use user::User;

/// The users a beat started as root switches to when not told which, in
/// order: a dedicated `analyzer-beat` user if the system has one
/// (`useradd --system --no-create-home --shell /usr/sbin/nologin
/// analyzer-beat`), else `nobody`.
pub const DEFAULT_USERS: &[&str] = &["analyzer-beat", "nobody"];

/// Whom the beat runs as once its input and output are open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RunAs {
    /// Root switches to the first of [`DEFAULT_USERS`]; anyone else stays
    /// who they are (without capabilities).
    #[default]
    Default,
    /// This user (`--user NAME`); `root` keeps root.
    User(String),
}

/// What [`Plan::apply`] will do, decided (and the user looked up) before
/// anything is opened, so a bad `--user` fails before the capture starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    /// Not root: keep the user, drop the capabilities.
    Unprivileged,
    /// Root, asked to stay root.
    KeepRoot,
    /// Root: become this user.
    #[cfg(unix)]
    Switch(User),
}

/// What [`Plan::apply`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The beat was not root: it kept its user (this uid) and dropped its
    /// capabilities.
    Unprivileged {
        /// The beat's user id.
        uid: u32,
    },
    /// Root was kept on request (`--user root`).
    KeptRoot,
    /// The beat now runs as this user and its primary group.
    #[cfg(unix)]
    Switched(User),
}

impl Dropped {
    /// The warning to print, when the beat still runs as root.
    pub fn warning(&self) -> Option<&'static str> {
        match self {
            Dropped::KeptRoot => Some(
                "running as root (--user root): every captured packet is parsed with root's privileges",
            ),
            _ => None,
        }
    }
}

/// Why privileges cannot be, or were not, dropped.
#[derive(Debug)]
pub enum PrivilegeError {
    /// `--user` names no user of this system.
    NoSuchUser(String),
    /// `--user` names another user, and only root can switch users.
    NotRoot {
        /// The user asked for.
        user: String,
        /// The beat's own effective user id.
        uid: u32,
    },
    /// Root without `--user`, and none of [`DEFAULT_USERS`] exists.
    NoDefaultUser,
    /// The user database could not be read.
    Lookup {
        /// The user looked up.
        user: String,
        /// Why.
        source: io::Error,
    },
    /// A system call of the drop failed.
    Failed {
        /// Which step.
        step: &'static str,
        /// Its error.
        source: io::Error,
    },
    /// The drop seemed to work, but the check afterwards found privileges.
    NotDropped(String),
    /// Started as root on a system where dropping is not implemented.
    Unsupported,
}

impl PrivilegeError {
    /// Whether the command line or config file asked for the impossible
    /// (exit status 2) rather than the drop failing (1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            PrivilegeError::NoSuchUser(_) | PrivilegeError::NotRoot { .. }
        )
    }
}

const REFUSE: &str = "stopping rather than parsing traffic with privileges";

impl fmt::Display for PrivilegeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivilegeError::NoSuchUser(user) => {
                write!(f, "cannot run as user `{user}`: no such user")
            }
            PrivilegeError::NotRoot { user, uid } => write!(
                f,
                "cannot run as user `{user}`: only root can switch users, and this beat runs as uid {uid} (leave out --user, or start the beat as root)"
            ),
            PrivilegeError::NoDefaultUser => write!(
                f,
                "started as root, but no unprivileged user to run as: none of {} exists; name one with --user NAME (--user root keeps root, not recommended)",
                DEFAULT_USERS.join(", ")
            ),
            PrivilegeError::Lookup { user, source } => {
                write!(f, "cannot look up user `{user}`: {source}")
            }
            PrivilegeError::Failed { step, source } => {
                write!(f, "cannot drop privileges: {step} failed: {source}; {REFUSE}")
            }
            PrivilegeError::NotDropped(what) => {
                write!(f, "privileges were not dropped: {what}; {REFUSE}")
            }
            PrivilegeError::Unsupported => write!(
                f,
                "started as root, and dropping root privileges is only implemented on Linux: pass --user root to run as root anyway"
            ),
        }
    }
}

impl std::error::Error for PrivilegeError {}

impl Plan {
    /// Decides what to do for `run_as` given who the process is now.
    #[cfg(target_os = "linux")]
    pub fn new(run_as: &RunAs) -> Result<Plan, PrivilegeError> {
        let action = decide(run_as, linux::user_ids(), user::by_name)?;
        Ok(Plan { action })
    }

    /// Decides what to do for `run_as`: outside Linux, only "stay who you
    /// are" is possible, and root must say so with `--user root`.
    #[cfg(not(target_os = "linux"))]
    pub fn new(run_as: &RunAs) -> Result<Plan, PrivilegeError> {
        #[cfg(unix)]
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        #[cfg(not(unix))]
        let root = false;
        let action = match (run_as, root) {
            (RunAs::User(name), true) if name == "root" => Action::KeepRoot,
            (_, true) => return Err(PrivilegeError::Unsupported),
            (RunAs::Default, false) => Action::Unprivileged,
            (RunAs::User(_), false) => return Err(PrivilegeError::Unsupported),
        };
        Ok(Plan { action })
    }

    /// Gives up the privileges (once the input and output are open) and
    /// checks that they are gone.
    pub fn apply(self) -> Result<Dropped, PrivilegeError> {
        match self.action {
            Action::KeepRoot => Ok(Dropped::KeptRoot),
            #[cfg(target_os = "linux")]
            Action::Unprivileged => {
                linux::drop_capabilities()?;
                linux::verify(None)?;
                Ok(Dropped::Unprivileged {
                    uid: linux::user_ids()[1],
                })
            }
            #[cfg(all(unix, not(target_os = "linux")))]
            // SAFETY: geteuid cannot fail.
            Action::Unprivileged => Ok(Dropped::Unprivileged {
                uid: unsafe { libc::geteuid() },
            }),
            #[cfg(not(unix))]
            Action::Unprivileged => Ok(Dropped::Unprivileged { uid: 0 }),
            #[cfg(target_os = "linux")]
            Action::Switch(user) => {
                linux::switch(&user)?;
                linux::drop_capabilities()?;
                linux::verify(Some(&user))?;
                Ok(Dropped::Switched(user))
            }
            #[cfg(all(unix, not(target_os = "linux")))]
            Action::Switch(_) => Err(PrivilegeError::Unsupported),
        }
    }
}

/// The decision, from the request, the process's real, effective and saved
/// user ids, and a user lookup.
#[cfg(unix)]
fn decide(
    run_as: &RunAs,
    ids: [u32; 3],
    lookup: impl Fn(&str) -> io::Result<Option<User>>,
) -> Result<Action, PrivilegeError> {
    let root = ids.contains(&0);
    let find = |name: &str| {
        lookup(name).map_err(|source| PrivilegeError::Lookup {
            user: name.to_string(),
            source,
        })
    };
    match run_as {
        RunAs::Default if !root => Ok(Action::Unprivileged),
        RunAs::Default => {
            for name in DEFAULT_USERS {
                if let Some(user) = find(name)?.filter(|u| u.uid != 0) {
                    return Ok(Action::Switch(user));
                }
            }
            Err(PrivilegeError::NoDefaultUser)
        }
        RunAs::User(name) => {
            let user = find(name)?.ok_or_else(|| PrivilegeError::NoSuchUser(name.clone()))?;
            match (root, user.uid) {
                (true, 0) => Ok(Action::KeepRoot),
                (true, _) => Ok(Action::Switch(user)),
                (false, uid) if ids == [uid; 3] => Ok(Action::Unprivileged),
                (false, _) => Err(PrivilegeError::NotRoot {
                    user: name.clone(),
                    uid: ids[1],
                }),
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn user(name: &str, uid: u32) -> User {
        User {
            name: name.into(),
            uid,
            gid: uid,
        }
    }

    /// A system with root, nobody, alice and (if `dedicated`) analyzer-beat.
    fn system(dedicated: bool) -> impl Fn(&str) -> io::Result<Option<User>> {
        move |name| {
            Ok(match name {
                "root" => Some(user("root", 0)),
                "toor" => Some(user("toor", 0)),
                "nobody" => Some(user("nobody", 65534)),
                "alice" => Some(user("alice", 1000)),
                "analyzer-beat" if dedicated => Some(user("analyzer-beat", 999)),
                _ => None,
            })
        }
    }

    fn named(name: &str) -> RunAs {
        RunAs::User(name.into())
    }

    #[test]
    fn root_switches_to_the_dedicated_user_else_nobody() {
        let root = [0, 0, 0];
        let default = decide(&RunAs::Default, root, system(true)).unwrap();
        assert_eq!(default, Action::Switch(user("analyzer-beat", 999)));
        let default = decide(&RunAs::Default, root, system(false)).unwrap();
        assert_eq!(default, Action::Switch(user("nobody", 65534)));
        let none = decide(&RunAs::Default, root, |_| Ok(None)).unwrap_err();
        assert!(matches!(none, PrivilegeError::NoDefaultUser));
        // A saved uid of 0 is root too: it could be taken back.
        let saved = decide(&RunAs::Default, [1000, 1000, 0], system(false)).unwrap();
        assert_eq!(saved, Action::Switch(user("nobody", 65534)));
    }

    #[test]
    fn root_takes_the_named_user_and_keeps_root_only_when_told() {
        let root = [0, 0, 0];
        let alice = decide(&named("alice"), root, system(false)).unwrap();
        assert_eq!(alice, Action::Switch(user("alice", 1000)));
        assert_eq!(
            decide(&named("root"), root, system(false)).unwrap(),
            Action::KeepRoot
        );
        assert_eq!(
            decide(&named("toor"), root, system(false)).unwrap(),
            Action::KeepRoot
        );
        let missing = decide(&named("mallory"), root, system(false)).unwrap_err();
        assert!(missing.is_usage());
        assert_eq!(
            missing.to_string(),
            "cannot run as user `mallory`: no such user"
        );
    }

    #[test]
    fn a_user_stays_itself_and_cannot_become_another() {
        let alice = [1000, 1000, 1000];
        assert_eq!(
            decide(&RunAs::Default, alice, system(false)).unwrap(),
            Action::Unprivileged
        );
        assert_eq!(
            decide(&named("alice"), alice, system(false)).unwrap(),
            Action::Unprivileged
        );
        for other in ["nobody", "root"] {
            let err = decide(&named(other), alice, system(false)).unwrap_err();
            assert!(err.is_usage());
            assert!(
                err.to_string().contains("only root can switch users"),
                "{err}"
            );
        }
    }

    #[test]
    fn keeping_root_warns() {
        assert!(Dropped::KeptRoot.warning().unwrap().contains("as root"));
        assert_eq!(Dropped::Unprivileged { uid: 1000 }.warning(), None);
    }
}
