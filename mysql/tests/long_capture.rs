//! `long-payload.pcap.gz` (see `data/README.md`): a real MariaDB
//! conversation with payloads of 16 MiB or more, a 17 MiB `INSERT` and a
//! 17 MiB row, each split by the server or the client into a packet of
//! 0xFFFFFF bytes and the rest. Stored compressed (35 MB of `x` and `y`).

use std::io::Read;

use analyzer_core::replay::replay_file;
use analyzer_core::Config;
use mysql::MysqlMessage;

#[test]
fn a_real_17_mib_statement_and_row_are_one_request_and_one_row() {
    let gz = concat!(env!("CARGO_MANIFEST_DIR"), "/data/long-payload.pcap.gz");
    let mut pcap = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap())
        .read_to_end(&mut pcap)
        .unwrap();
    let path = std::env::temp_dir().join(format!("long-payload-{}.pcap", std::process::id()));
    std::fs::write(&path, &pcap).unwrap();
    let run = replay_file::<MysqlMessage>(&path, Config::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    let c = &run.counters;
    assert_eq!(
        (
            c.gaps,
            c.messages_unparsed,
            c.messages_too_long,
            c.responses_unmatched
        ),
        (0, 0, 0, 0),
        "{c:?}"
    );
    assert!(c.check_accounting().is_ok());
    let summary: Vec<String> = run
        .events
        .iter()
        .map(|e| {
            let query = e["query"].as_str().unwrap_or("-");
            format!(
                "{} {} {} {}/{} {}",
                e["status"].as_str().unwrap(),
                e["method"].as_str().unwrap_or("-"),
                if query.len() > 60 {
                    &query[..60]
                } else {
                    query
                },
                e["mysql"]["num_fields"],
                e["mysql"]["num_rows"],
                e["mysql"]["affected_rows"],
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "OK - - null/null null",
            "OK - - 0/0 0",
            "OK INSERT INSERT INTO blobs VALUES ('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 0/0 1",
            "OK SELECT SELECT REPEAT('y', 17825797) AS r, 'b' 2/1 null",
            "OK SELECT SELECT LENGTH(b) FROM blobs 1/1 null",
            "OK QUIT - null/null null",
        ]
    );
    let insert = &run.events[2];
    // COM_QUERY, the statement's 29 bytes of SQL around 17 MiB of `x`,
    // in two packets; the `query` is its first 64 KiB.
    assert_eq!(insert["client"]["bytes"], 1 + 29 + (17 << 20) + 2 * 4);
    assert_eq!(insert["query"].as_str().unwrap().len(), 64 * 1024 - 1);
    assert_eq!(
        insert["error"]["message"],
        "a statement of 16 MiB or more: `query` holds its first 64 KiB"
    );
    // The row: 0xFE and an 8-byte length for 17,825,797 bytes of `y` (a
    // first byte that is not an EOF's here), then `b`; two packets, one
    // row.
    let select = &run.events[3];
    assert!(select["server"]["bytes"].as_u64().unwrap() > 17_825_797 + 8);
    assert!(select.get("error").is_none(), "{select}");
}
