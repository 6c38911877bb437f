//! Linux capabilities of the calling thread, through `capget(2)` and
//! `capset(2)` (raw system calls: libc has no wrappers; no libcap needed).
//!
//! Capabilities are per thread: the beat clears them before it starts any
//! thread, and [`super`] checks every thread afterwards.

use std::io;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets, as two 32-bit words.
const VERSION_3: u32 = 0x2008_0522;

/// `CAP_NET_RAW`: opening packet sockets.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
pub const CAP_NET_RAW: u32 = 13;

#[repr(C)]
struct Header {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The calling thread's capability sets, 64 bits each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sets {
    /// Capabilities in effect.
    pub effective: u64,
    /// Capabilities the thread may take up.
    pub permitted: u64,
    /// Capabilities kept across `execve`.
    pub inheritable: u64,
}

impl Sets {
    /// No capability in any set.
    pub fn is_empty(&self) -> bool {
        *self == Sets::default()
    }

    /// Whether `cap` is in effect.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    pub fn has_effective(&self, cap: u32) -> bool {
        self.effective & (1 << cap) != 0
    }
}

/// The calling thread's capabilities.
pub fn get() -> io::Result<Sets> {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: a valid header and two data structs, as version 3 expects.
    let code = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if code != 0 {
        return Err(io::Error::last_os_error());
    }
    let join = |f: fn(&Data) -> u32| u64::from(f(&data[0])) | (u64::from(f(&data[1])) << 32);
    Ok(Sets {
        effective: join(|d| d.effective),
        permitted: join(|d| d.permitted),
        inheritable: join(|d| d.inheritable),
    })
}

/// Empties the calling thread's effective, permitted and inheritable sets
/// (and so its ambient set). Always allowed: it only gives up rights.
pub fn clear() -> io::Result<()> {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let data = [Data::default(); 2];
    // SAFETY: a valid header and two data structs, as version 3 expects.
    let code = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if code != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sets_and_bit_13_is_net_raw() {
        let sets = get().unwrap();
        // A thread cannot hold in effect what it is not permitted.
        assert_eq!(sets.effective & !sets.permitted, 0, "{sets:?}");
        let raw = Sets {
            effective: 1 << 13,
            ..Sets::default()
        };
        assert!(raw.has_effective(CAP_NET_RAW) && !raw.is_empty());
    }
}
