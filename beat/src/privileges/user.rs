//! Looking users up in the system's user database (`getpwnam_r`, so NSS
//! sources such as LDAP work too).

use std::ffi::{CStr, CString};
use std::io;

/// A user to run as: its name, id and primary group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's name.
    pub name: String,
    /// Its user id.
    pub uid: u32,
    /// Its primary group id.
    pub gid: u32,
}

/// The user called `name`, `None` when there is none.
pub fn by_name(name: &str) -> io::Result<Option<User>> {
    let Ok(c_name) = CString::new(name) else {
        return Ok(None);
    };
    let mut size = 4096;
    loop {
        let mut buffer = vec![0 as libc::c_char; size];
        // SAFETY: an all-zero passwd is a valid value (null pointers,
        // zero ids); getpwnam_r fills it in.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buffer` is `size`
        // bytes long and outlives the use of `entry`'s strings below.
        let code = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            )
        };
        match code {
            0 if found.is_null() => return Ok(None),
            0 => {
                // SAFETY: getpwnam_r succeeded: pw_name points into `buffer`.
                let name = unsafe { CStr::from_ptr(entry.pw_name) };
                return Ok(Some(User {
                    name: name.to_string_lossy().into_owned(),
                    uid: entry.pw_uid,
                    gid: entry.pw_gid,
                }));
            }
            libc::ERANGE if size < 1 << 20 => size *= 4,
            // "Not found" comes back as one of these from some NSS sources.
            libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => return Ok(None),
            code => return Err(io::Error::from_raw_os_error(code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_uid_0_and_a_made_up_name_is_nobody() {
        let root = by_name("root").unwrap().expect("root exists");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(by_name("no-such-user-analyzer-beat").unwrap(), None);
        assert_eq!(by_name("nul\0byte").unwrap(), None);
    }
}
