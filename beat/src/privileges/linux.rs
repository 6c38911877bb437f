//! The drop itself on Linux, and the check that it took.
//!
//! glibc applies `setgroups`, `setresgid` and `setresuid` to every thread
//! of the process; the kernel empties a thread's capabilities when its user
//! ids all leave 0. The check afterwards reads every thread's
//! `/proc/self/task/*/status`, so a thread keeping anything is caught.

use std::io;

use super::caps;
use super::{PrivilegeError, User};

/// `-1` as an id: "leave this one unchanged".
const UNCHANGED: u32 = u32::MAX;

/// The process's real, effective and saved user ids.
pub fn user_ids() -> [u32; 3] {
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    // SAFETY: three valid out-pointers; getresuid cannot fail with them.
    unsafe { libc::getresuid(&mut real, &mut effective, &mut saved) };
    [real, effective, saved]
}

/// Its real, effective and saved group ids.
fn group_ids() -> [u32; 3] {
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    // SAFETY: as in `user_ids`.
    unsafe { libc::getresgid(&mut real, &mut effective, &mut saved) };
    [real, effective, saved]
}

/// Turns a system call's return value into the step's error.
fn step(name: &'static str, code: libc::c_int) -> Result<(), PrivilegeError> {
    if code == 0 {
        Ok(())
    } else {
        Err(PrivilegeError::Failed {
            step: name,
            source: io::Error::last_os_error(),
        })
    }
}

/// Becomes `user` and its primary group, with no supplementary group:
/// real, effective and saved ids, so none of them can bring root back.
pub fn switch(user: &User) -> Result<(), PrivilegeError> {
    // SAFETY: plain system calls on integers (and an empty group list).
    unsafe {
        // Capabilities must not survive the change of user.
        step(
            "prctl(PR_SET_KEEPCAPS, 0)",
            libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0),
        )?;
        if libc::geteuid() != 0 {
            // Root is only the real or saved id: take it up to change all.
            step("seteuid(0)", libc::setresuid(UNCHANGED, 0, UNCHANGED))?;
        }
        step("setgroups([])", libc::setgroups(0, std::ptr::null()))?;
        let gid = user.gid;
        step("setresgid", libc::setresgid(gid, gid, gid))?;
        let uid = user.uid;
        step("setresuid", libc::setresuid(uid, uid, uid))?;
    }
    Ok(())
}

/// Empties the capability sets (a user started with file capabilities
/// keeps none past the opening of the device) and sets `no_new_privs`, so
/// no `execve` can grant privileges again.
pub fn drop_capabilities() -> Result<(), PrivilegeError> {
    caps::clear().map_err(|source| PrivilegeError::Failed {
        step: "capset (clearing capabilities)",
        source,
    })?;
    // SAFETY: a plain system call on integers.
    step("prctl(PR_SET_NO_NEW_PRIVS)", unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    })
}

/// Checks the drop: no user id 0 (and those of `user`, when switched), its
/// group and no other, no capability in any thread, and no way back to
/// root.
pub fn verify(user: Option<&User>) -> Result<(), PrivilegeError> {
    let not = |what: String| Err(PrivilegeError::NotDropped(what));
    let uids = user_ids();
    if uids.contains(&0) {
        return not(format!(
            "a user id is still 0 (real, effective, saved: {uids:?})"
        ));
    }
    if let Some(user) = user {
        if uids != [user.uid; 3] {
            return not(format!("user ids are {uids:?}, not {}", user.uid));
        }
        let gids = group_ids();
        if gids != [user.gid; 3] {
            return not(format!("group ids are {gids:?}, not {}", user.gid));
        }
        // SAFETY: a size of 0 only asks for the count.
        let groups = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
        if groups != 0 {
            return not(format!("{groups} supplementary groups remain"));
        }
    }
    match caps::get() {
        Ok(sets) if sets.is_empty() => {}
        Ok(sets) => return not(format!("capabilities remain: {sets:?}")),
        Err(err) => return not(format!("cannot read the capabilities: {err}")),
    }
    // SAFETY: plain system calls; succeeding would be the failure found.
    if unsafe { libc::setuid(0) } == 0 {
        return not("setuid(0) succeeded: root could be regained".into());
    }
    // SAFETY: as above.
    if user.is_some_and(|u| u.gid != 0) && unsafe { libc::setgid(0) } == 0 {
        return not("setgid(0) succeeded".into());
    }
    every_thread()
}

/// Every thread's ids and capabilities, from `/proc/self/task/*/status`
/// (skipped when `/proc` is not mounted: the checks above cover the calling
/// thread).
fn every_thread() -> Result<(), PrivilegeError> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Ok(());
    };
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        if let Some(problem) = status_problem(&status) {
            let thread = task.file_name().to_string_lossy().into_owned();
            return Err(PrivilegeError::NotDropped(format!(
                "thread {thread}: {problem}"
            )));
        }
    }
    Ok(())
}

/// What is wrong in a `/proc/.../status`: a user id 0 (real, effective,
/// saved or filesystem), or a permitted or effective capability.
pub fn status_problem(status: &str) -> Option<String> {
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let bad = match key {
            "Uid" => value.split_whitespace().any(|id| id == "0"),
            "CapEff" | "CapPrm" => u64::from_str_radix(value, 16) != Ok(0),
            _ => false,
        };
        if bad {
            return Some(format!("{key}: {value}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_with_root_or_capabilities_is_a_problem() {
        let clean = "Name:\tbeat\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";
        assert_eq!(status_problem(clean), None);
        let saved_root = clean.replace(
            "65534\t65534\t65534\t65534\nGid",
            "65534\t65534\t0\t65534\nGid",
        );
        assert_eq!(
            status_problem(&saved_root).as_deref(),
            Some("Uid: 65534\t65534\t0\t65534")
        );
        let raw = clean.replace("CapEff:\t0000000000000000", "CapEff:\t0000000000002000");
        assert_eq!(
            status_problem(&raw).as_deref(),
            Some("CapEff: 0000000000002000")
        );
    }

    #[test]
    fn this_process_reads_its_ids() {
        // SAFETY: geteuid cannot fail.
        assert_eq!(user_ids()[1], unsafe { libc::geteuid() });
    }
}
