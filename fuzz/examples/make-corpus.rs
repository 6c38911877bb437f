//! Builds the committed seed corpus (`fuzz/seeds/<target>/`) from the
//! project's captures: `fuzz/make-corpus.sh` runs it. Deterministic: the same
//! captures give the same files.
//!
//! - `pcap`: each capture as is (re-written with its first packets when
//!   larger than [`MAX_SEED`]);
//! - `pcap_records`, `tcp_session`: each capture's packets in those targets'
//!   input formats;
//! - `decode`: the first packets of each capture, and a TCP packet in every
//!   link type, IPv4 and IPv6;
//! - `parse_<protocol>`: the TCP payload stream of each connection and
//!   direction of that protocol's captures, chunked as the segments came,
//!   and the same with 5 bytes lost in capture in its first long chunk.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use analyzer_core::decode::{decode_tcp, LinkType};
use analyzer_core::pcap::PcapReader;
use analyzer_fuzz::{harness, wire};

/// Largest seed written, in bytes (libFuzzer's default `-max_len` follows
/// the largest seed; small seeds keep iterations fast).
const MAX_SEED: usize = 16 << 10;

/// The captures, by protocol crate, and the server ports that crate uses.
const SOURCES: [(&str, &[u16]); 4] = [
    ("echo", &[3030]),
    ("redis", &[6379]),
    ("memcache", &[11211]),
    ("pgsql", &[5432]),
    ("mysql", &[3306]),
    ("http", &[80, 8000, 8080]),
];

struct Packet {
    micros: i64,
    link: LinkType,
    data: Vec<u8>,
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds".to_owned()),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut written = 0;
    for (krate, ports) in SOURCES {
        let dir = root.join(krate).join("data");
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
            .collect();
        files.sort();
        for path in files {
            let stem = format!(
                "{krate}-{}",
                path.file_name().expect("file name").to_string_lossy()
            );
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let packets = read(&bytes);
            written += seeds_of(&out, &stem, krate, ports, &bytes, &packets);
        }
    }
    written += synthetic_decode_seeds(&out);
    eprintln!("make-corpus: {written} seeds in {}", out.display());
}

fn read(bytes: &[u8]) -> Vec<Packet> {
    let mut reader = PcapReader::new(bytes).expect("a project capture opens");
    let mut packets = Vec::new();
    while let Some(p) = reader.next_packet().expect("a project capture reads") {
        packets.push(Packet {
            micros: p.ts.as_nanos() / 1000,
            link: p.link,
            data: p.data.to_vec(),
        });
    }
    packets
}

fn write(out: &Path, target: &str, name: &str, data: &[u8]) -> usize {
    let dir = out.join(target);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(name);
    fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    1
}

fn linktype_number(link: LinkType) -> u32 {
    match link {
        LinkType::Ethernet => wire::linktype::ETHERNET,
        LinkType::Null => wire::linktype::NULL,
        LinkType::LinuxSll => wire::linktype::LINUX_SLL,
        LinkType::LinuxSll2 => wire::linktype::LINUX_SLL2,
        LinkType::RawIp => wire::linktype::RAW,
        LinkType::Unsupported(n) => n,
    }
}

fn seeds_of(
    out: &Path,
    stem: &str,
    krate: &str,
    ports: &[u16],
    bytes: &[u8],
    packets: &[Packet],
) -> usize {
    let mut n = 0;
    let Some(first) = packets.first() else {
        return write(out, "pcap", stem, bytes);
    };
    let link = first.link;
    // The whole capture, or its first packets as a smaller pcap.
    if bytes.len() <= MAX_SEED {
        n += write(out, "pcap", stem, bytes);
    } else {
        let mut pcap = wire::pcap_header(linktype_number(link), 65535);
        for p in packets {
            if pcap.len() + p.data.len() + 16 > MAX_SEED {
                break;
            }
            wire::pcap_record(&mut pcap, p.micros as u64, &p.data, p.data.len() as u32);
        }
        n += write(out, "pcap", &format!("{stem}.head.pcap"), &pcap);
    }
    // Records: the packets' data after a link-type byte.
    let index = wire::SESSION_LINKS
        .iter()
        .position(|&l| l == linktype_number(link))
        .unwrap_or(7) as u8;
    let mut datas: Vec<&[u8]> = Vec::new();
    let mut size = 1;
    for p in packets {
        if size + p.data.len() + 2 > MAX_SEED {
            break;
        }
        size += p.data.len() + 2;
        datas.push(&p.data);
    }
    n += write(
        out,
        "pcap_records",
        stem,
        &harness::records_input(index, &datas),
    );
    // The first packets alone, for the decoder.
    for (i, p) in packets.iter().take(3).enumerate() {
        n += write(out, "decode", &format!("{stem}.{i}"), &p.data);
    }
    n += write(
        out,
        "tcp_session",
        stem,
        &session_input(index, ports, packets),
    );
    if krate == "pgsql" {
        // `parse_pgsql` also reads its input as a `tcp_session` one.
        n += write(
            out,
            "parse_pgsql",
            &format!("{stem}.session"),
            &session_input(index, ports, packets),
        );
    }
    // Payload streams, per connection and direction, in segment chunks.
    let mut streams: BTreeMap<(String, bool), Vec<Vec<u8>>> = BTreeMap::new();
    for p in packets {
        let Ok(seg) = decode_tcp(p.link, &p.data) else {
            continue;
        };
        if seg.payload.is_empty() {
            continue;
        }
        let from_server = ports.contains(&seg.src.1);
        let client = if from_server { seg.dst } else { seg.src };
        streams
            .entry((format!("{}-{}", client.0, client.1), from_server))
            .or_default()
            .push(seg.payload.to_vec());
    }
    for (i, ((_, from_server), chunks)) in streams.iter().enumerate() {
        let mut kept: Vec<&[u8]> = Vec::new();
        let mut size = wire::STREAM_HEADER;
        for c in chunks {
            let take = c.len().min(MAX_SEED.saturating_sub(size));
            if take == 0 {
                break;
            }
            kept.push(&c[..take]);
            size += take + take.div_ceil(255);
        }
        let dir = if *from_server { "server" } else { "client" };
        let input = wire::stream_input(*from_server, 4096, &kept);
        n += write(
            out,
            &format!("parse_{krate}"),
            &format!("{stem}.{i}.{dir}"),
            &input,
        );
        // The same with 5 bytes lost in capture in the middle of a chunk.
        if let Some(at) = kept.iter().position(|c| c.len() > 10) {
            let mut pieces: Vec<wire::StreamPiece<'_>> =
                kept.iter().map(|c| wire::StreamPiece::Data(c)).collect();
            let chunk = kept[at];
            let half = chunk.len() / 2;
            pieces.splice(
                at..=at,
                [
                    wire::StreamPiece::Data(&chunk[..half]),
                    wire::StreamPiece::Lost(5),
                    wire::StreamPiece::Data(&chunk[half + 5..]),
                ],
            );
            let input = wire::stream_input_with_gaps(*from_server, 4096, &pieces);
            n += write(
                out,
                &format!("parse_{krate}"),
                &format!("{stem}.{i}.{dir}.gap"),
                &input,
            );
        }
    }
    n
}

/// The capture's TCP packets as a `tcp_session` input: connections numbered
/// in order of appearance (the fifth and later share the last number),
/// sequence numbers as offsets from what each direction sent so far.
fn session_input(link_index: u8, ports: &[u16], packets: &[Packet]) -> Vec<u8> {
    let port_index = wire::SESSION_PORTS
        .iter()
        .position(|p| ports.contains(p))
        .unwrap_or(0) as u8;
    let mut out = vec![(link_index % 5) | (port_index << 4)];
    let mut conns: Vec<String> = Vec::new();
    let mut next: BTreeMap<(usize, bool), u32> = BTreeMap::new();
    let mut last = packets.first().map_or(0, |p| p.micros);
    for p in packets {
        let Ok(seg) = decode_tcp(p.link, &p.data) else {
            continue;
        };
        let from_server = ports.contains(&seg.src.1);
        let client = if from_server { seg.dst } else { seg.src };
        let key = format!("{}-{}", client.0, client.1);
        let conn = match conns.iter().position(|c| *c == key) {
            Some(i) => i,
            None => {
                conns.push(key);
                conns.len() - 1
            }
        }
        .min(3);
        let mut ctl = conn as u8;
        if from_server {
            ctl |= wire::session::FROM_SERVER;
        }
        for (on, bit) in [
            (seg.flags.syn, wire::session::SYN),
            (seg.flags.ack, wire::session::ACK),
            (seg.flags.fin, wire::session::FIN),
            (seg.flags.rst, wire::session::RST),
        ] {
            if on {
                ctl |= bit;
            }
        }
        let expected = next.entry((conn, from_server)).or_insert(seg.seq);
        let offset = if seg.flags.syn {
            0
        } else {
            (seg.seq.wrapping_sub(*expected) as i32).clamp(-128, 127) as i8
        };
        let mut end = seg.seq.wrapping_add(seg.payload.len() as u32);
        end = end.wrapping_add(u32::from(seg.flags.syn) + u32::from(seg.flags.fin));
        if (end.wrapping_sub(*expected) as i32) > 0 || seg.flags.syn {
            *expected = end;
        }
        let step = wire::session_delta_byte(p.micros - last);
        last += wire::session_delta_micros(step);
        if out.len() + seg.payload.len() + wire::SESSION_RECORD_HEADER > MAX_SEED {
            break;
        }
        wire::session_record(&mut out, ctl, offset, step, seg.payload);
    }
    out
}

/// A TCP packet with a request in every link type, IPv4 and IPv6, and a few
/// broken headers.
fn synthetic_decode_seeds(out: &Path) -> usize {
    let mut n = 0;
    for (v, (src, dst)) in [
        (&[10u8, 0, 0, 1][..], &[10u8, 0, 0, 2][..]),
        (&[0xfd; 16][..], &[0xfe; 16][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let seg = wire::Segment {
            src: (src, 40000),
            dst: (dst, 3030),
            seq: 1,
            ack: 1,
            flags: wire::flags::ACK | wire::flags::PSH,
            payload: b">hello\n",
        };
        let ip = wire::ip_packet(&seg);
        for link in wire::SESSION_LINKS {
            let frame = wire::link_frame(link, &ip);
            n += write(
                out,
                "decode",
                &format!("synthetic-ip{v}-link{link}"),
                &frame,
            );
        }
        if v == 0 {
            let mut short_ihl = ip.clone();
            short_ihl[0] = 0x44;
            n += write(out, "decode", "synthetic-ihl16", &short_ihl);
            let mut offset_past = ip.clone();
            offset_past[20 + 12] = 0xf0;
            n += write(out, "decode", "synthetic-tcp-offset-60", &offset_past);
        }
    }
    n
}
