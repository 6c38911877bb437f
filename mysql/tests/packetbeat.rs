//! Packetbeat's own MySQL capture (`../shared/pcaps/packetbeat/`, not in
//! this repository; see its README): `mysql_with_gap.pcap`, a long result
//! set with bytes lost in capture. Ignored by default because a fresh clone
//! has no `../shared`; `.ci/run` runs it with `--ignored`
//! (`PACKETBEAT_PCAPS` names the directory).

use analyzer_core::replay::{packetbeat_pcap, replay_file};
use analyzer_core::Config;
use mysql::MysqlMessage;

/// The capture starts mid-connection with the query; the server's answer
/// (one column, 400 rows of 447 bytes) loses 13,032 bytes, about 29 rows
/// with their headers. The query is published with its rows up to the gap
/// and the loss noted; framing resumes at the first row after the gap
/// (its column fills its length exactly), and the rest of the rows, whose
/// transaction lost its place, are one answer without a request, not one
/// event per row.
#[test]
#[ignore = "needs ../shared/pcaps/packetbeat; .ci/run runs it"]
fn mysql_with_gap() {
    let run =
        replay_file::<MysqlMessage>(packetbeat_pcap("mysql_with_gap.pcap"), Config::default())
            .unwrap_or_else(|e| panic!("mysql_with_gap.pcap: {e}"));
    let c = &run.counters;
    assert_eq!((c.gaps, c.bytes_lost), (1, 13_032), "{c:?}");
    assert_eq!(c.check_accounting(), Ok(()));
    assert_eq!(run.events.len(), 2, "{:#?}", run.events);

    let query = &run.events[0];
    assert_eq!(query["query"], "select * from test_long");
    assert_eq!(query["method"], "SELECT");
    assert_eq!(query["status"], "Error");
    assert_eq!(
        query["error"]["message"],
        "packet loss while capturing the response (13032 bytes lost)"
    );
    assert_eq!(query["mysql"]["num_fields"], 1);
    // The rows before the gap (the one it cut is not counted).
    assert_eq!(query["mysql"]["num_rows"], 320);
    assert_eq!(query["source"]["bytes"], 28);

    let rest = &run.events[1];
    assert_eq!(rest["status"], "Error");
    assert_eq!(rest["error"]["message"], "response without a request");
    // From the first whole row after the gap to the EOF: 50 rows.
    assert_eq!(rest["mysql"]["num_rows"], 50);
    assert!(rest.get("query").is_none());
    // Every byte of the answer is accounted for: before the gap, lost, after.
    let answer = query["destination"]["bytes"].as_u64().unwrap()
        + rest["destination"]["bytes"].as_u64().unwrap();
    assert_eq!(answer, 180_473);
}
