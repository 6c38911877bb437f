//! What the machine says about itself: host name, addresses, MAC
//! addresses, operating system (Packetbeat's `add_host_metadata`), and a
//! random identifier.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The machine's addresses and names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Host {
    /// `gethostname(2)`.
    pub hostname: String,
    /// Every address of every interface, loopback included (for
    /// `network.direction`).
    pub addresses: Vec<IpAddr>,
    /// Non-loopback addresses (`host.ip`).
    pub ip: Vec<IpAddr>,
    /// MAC addresses of the non-loopback interfaces, `00-11-22-33-44-55`
    /// as ECS writes them (`host.mac`).
    pub mac: Vec<String>,
    /// `/etc/os-release` and `uname(2)`.
    pub os: Os,
    /// `uname -m`.
    pub architecture: String,
}

/// `host.os.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Os {
    /// `linux`.
    pub kind: String,
    /// `ID_LIKE` (or `ID`): `debian`.
    pub family: String,
    /// `NAME`: `Debian GNU/Linux`.
    pub name: String,
    /// `ID`: `debian`.
    pub platform: String,
    /// `VERSION`: `12 (bookworm)`.
    pub version: String,
    /// `VERSION_CODENAME`.
    pub codename: String,
    /// The kernel release (`uname -r`).
    pub kernel: String,
}

impl Host {
    /// Reads the machine's description. What cannot be read stays empty.
    pub fn read() -> Host {
        let (addresses, mac, loopback) = interfaces();
        let ip = addresses
            .iter()
            .copied()
            .filter(|a| !a.is_loopback() && !loopback.contains(a))
            .collect();
        let (kernel, architecture) = uname();
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let mut os = os_release(&release);
        os.kind = std::env::consts::OS.to_string();
        os.kernel = kernel;
        Host {
            hostname: hostname(),
            addresses,
            ip,
            mac,
            os,
            architecture,
        }
    }
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    CStr::from_bytes_until_nul(&buf)
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn uname() -> (String, String) {
    // SAFETY: utsname is plain data; uname fills it.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a utsname.
    if unsafe { libc::uname(&mut name) } != 0 {
        return (String::new(), String::new());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&name.release), field(&name.machine))
}

/// `host.os` from the text of `/etc/os-release`.
pub fn os_release(text: &str) -> Os {
    let mut os = Os::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match key.trim() {
            "NAME" => os.name = value,
            "ID" => os.platform = value,
            "ID_LIKE" => os.family = value,
            "VERSION" => os.version = value,
            "VERSION_CODENAME" => os.codename = value,
            _ => {}
        }
    }
    if os.family.is_empty() {
        os.family = os.platform.clone();
    }
    os
}

/// Every interface address, the MAC addresses of non-loopback interfaces,
/// and the addresses of loopback interfaces.
fn interfaces() -> (Vec<IpAddr>, Vec<String>, Vec<IpAddr>) {
    let mut addresses = BTreeSet::new();
    let mut loopback = Vec::new();
    let mut macs = BTreeSet::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills the pointer with a list freed below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return (Vec::new(), Vec::new(), Vec::new());
    }
    let mut at = list;
    while !at.is_null() {
        // SAFETY: a node of the list getifaddrs made, alive until freeifaddrs.
        let node = unsafe { &*at };
        at = node.ifa_next;
        if node.ifa_addr.is_null() {
            continue;
        }
        let is_loopback = node.ifa_flags & libc::IFF_LOOPBACK as libc::c_uint != 0;
        // SAFETY: ifa_addr points to a sockaddr of the family it says.
        let family = i32::from(unsafe { (*node.ifa_addr).sa_family });
        match family {
            libc::AF_INET => {
                // SAFETY: the family says sockaddr_in.
                let sin = unsafe { &*(node.ifa_addr as *const libc::sockaddr_in) };
                let ip = IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
                addresses.insert(ip);
                if is_loopback {
                    loopback.push(ip);
                }
            }
            libc::AF_INET6 => {
                // SAFETY: the family says sockaddr_in6.
                let sin6 = unsafe { &*(node.ifa_addr as *const libc::sockaddr_in6) };
                let ip = IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr));
                addresses.insert(ip);
                if is_loopback {
                    loopback.push(ip);
                }
            }
            #[cfg(target_os = "linux")]
            libc::AF_PACKET if !is_loopback => {
                // SAFETY: the family says sockaddr_ll.
                let ll = unsafe { &*(node.ifa_addr as *const libc::sockaddr_ll) };
                let len = usize::from(ll.sll_halen).min(ll.sll_addr.len());
                let mac = &ll.sll_addr[..len];
                if len == 6 && mac.iter().any(|&b| b != 0) {
                    let text: Vec<String> = mac.iter().map(|b| format!("{b:02X}")).collect();
                    macs.insert(text.join("-"));
                }
            }
            _ => {}
        }
    }
    // SAFETY: the list getifaddrs returned, freed once.
    unsafe { libc::freeifaddrs(list) };
    (
        addresses.into_iter().collect(),
        macs.into_iter().collect(),
        loopback,
    )
}

/// A random version 4 UUID, from the kernel's random source (`None` when it
/// cannot be read).
pub fn uuid_v4() -> Option<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .ok()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_os_release() {
        let os = os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        );
        assert_eq!(os.name, "Debian GNU/Linux");
        assert_eq!(os.platform, "debian");
        assert_eq!(os.family, "debian");
        assert_eq!(os.version, "12 (bookworm)");
        assert_eq!(os.codename, "bookworm");
    }

    #[test]
    fn this_machine_has_a_name_and_loopback() {
        let host = Host::read();
        assert!(!host.hostname.is_empty());
        assert!(host.addresses.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!host.ip.iter().any(|ip| ip.is_loopback()));
        assert_eq!(host.os.kind, "linux");
        assert!(!host.os.kernel.is_empty());
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (a, b) = (uuid_v4().unwrap(), uuid_v4().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }
}
