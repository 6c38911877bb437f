//! The capture filter of a live capture, built from the analyzed ports as
//! Packetbeat builds it: only the traffic the engines look at crosses from
//! the kernel.

/// `tcp port 3030 or tcp port 6379`: TCP on any of `ports` (duplicates
/// dropped, order kept). With `with_vlans`, the same again inside 802.1Q
/// tags, whose packets a plain filter does not match.
///
/// ```
/// use analyzer_beat::filter::capture_filter;
/// assert_eq!(capture_filter(&[3030, 6379, 3030], false), "tcp port 3030 or tcp port 6379");
/// assert_eq!(
///     capture_filter(&[3030], true),
///     "(tcp port 3030) or (vlan and (tcp port 3030))"
/// );
/// ```
pub fn capture_filter(ports: &[u16], with_vlans: bool) -> String {
    let mut unique: Vec<u16> = Vec::new();
    for &port in ports {
        if !unique.contains(&port) {
            unique.push(port);
        }
    }
    let filter = if unique.is_empty() {
        "tcp".to_string()
    } else {
        let each: Vec<String> = unique.iter().map(|p| format!("tcp port {p}")).collect();
        each.join(" or ")
    };
    if with_vlans {
        format!("({filter}) or (vlan and ({filter}))")
    } else {
        filter
    }
}
