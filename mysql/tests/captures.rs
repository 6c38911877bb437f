//! The MySQL analyzer on every capture the project recorded from a real
//! MariaDB server (`mysql/data/`, see its README): the exact transactions
//! its README lists, in order, then the whole events against golden files
//! (`UPDATE_GOLDEN=1` rewrites them).
//!
//! Beyond the README's tables, every capture also publishes the server's
//! handshake (a greeting, first), the login (answered by the OK, second),
//! and, alone, the one-way commands the README names (`COM_QUIT` last,
//! `COM_STMT_CLOSE`).

use std::path::PathBuf;

use analyzer_core::replay::{assert_golden, replay_file, Replay};
use analyzer_core::Config;
use mysql::MysqlMessage;
use serde_json::Value;

fn replay(name: &str) -> Replay {
    let path = format!("{}/data/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
    let run = replay_file::<MysqlMessage>(&path, Config::default())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let c = &run.counters;
    assert_eq!(
        (c.gaps, c.messages_unparsed, c.messages_too_long),
        (0, 0, 0),
        "{name}: {c:?}"
    );
    assert_eq!(
        (c.responses_unmatched, c.requests_unanswered, c.greetings),
        (0, 0, 1),
        "{name}: {c:?}"
    );
    assert_eq!(c.connections_opened, 1, "{name}");
    assert!(c.check_accounting().is_ok(), "{name}: {c:?}");
    for e in &run.events {
        assert_eq!(e["type"], "mysql");
        assert_eq!(e["destination"]["port"], 3306);
        assert!(e.get("error").is_none(), "{name}: no notes: {e}");
    }
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    assert_golden(&run.events, golden);
    run
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// One transaction as the README's columns: `status method "query"
/// fields/rows affected/insert error(sqlstate) message req/resp`.
fn line(e: &Value) -> String {
    let m = &e["mysql"];
    let affected = match (&m["affected_rows"], &m["insert_id"]) {
        (Value::Null, Value::Null) => "-".to_string(),
        (a, i) => format!("{}/{}", text(a), text(i)),
    };
    let error = match &m["error_code"] {
        Value::Null => "-".to_string(),
        code => format!(
            "{}({}) {:?}",
            text(code),
            text(&m["sql_state"]),
            text(&m["error_message"])
        ),
    };
    format!(
        "{} {} {:?} {}/{} {affected} {error} {}/{}",
        text(&e["status"]),
        text(&e["method"]),
        text(&e["query"]),
        text(&m["num_fields"]),
        text(&m["num_rows"]),
        text(&e["source"]["bytes"]),
        text(&e["destination"]["bytes"]),
    )
}

/// The README's transactions: the events between the login and `COM_QUIT`,
/// the one-way `COM_STMT_CLOSE`s left out (checked by the caller).
fn transactions(run: &Replay) -> Vec<String> {
    let events = &run.events;
    assert!(events.len() >= 3, "greeting, login, quit at least");
    events[2..events.len() - 1]
        .iter()
        .filter(|e| e["mysql"]["command"] != "COM_STMT_CLOSE")
        .map(line)
        .collect()
}

/// The handshake, the login and `COM_QUIT` around the transactions.
fn check_connection(run: &Replay, user: &str, database: Option<&str>, login_bytes: (u64, u64)) {
    let greeting = &run.events[0];
    assert_eq!(greeting["status"], "OK");
    assert_eq!(
        greeting["mysql"]["server_version"],
        "5.5.5-10.11.19-MariaDB-0+deb12u1"
    );
    assert_eq!(greeting["destination"]["bytes"], 104);
    assert!(greeting.get("method").is_none());
    let login = &run.events[1];
    assert_eq!(login["status"], "OK");
    assert_eq!(login["mysql"]["user"], user);
    assert_eq!(login["mysql"]["database"].as_str(), database);
    assert_eq!(
        (
            login["source"]["bytes"].as_u64(),
            login["destination"]["bytes"].as_u64()
        ),
        (Some(login_bytes.0), Some(login_bytes.1))
    );
    let quit = run.events.last().unwrap();
    assert_eq!(
        (quit["status"].as_str(), quit["method"].as_str()),
        (Some("OK"), Some("QUIT"))
    );
    assert_eq!(quit["source"]["bytes"], 5);
    assert!(quit["destination"].get("bytes").is_none(), "no answer");
}

#[test]
fn ping() {
    let run = replay("ping");
    check_connection(&run, "analyzer", None, (221, 11));
    assert_eq!(transactions(&run), [r#"OK PING "-" 0/0 0/0 - 5/11"#]);
}

#[test]
fn query_ok() {
    let run = replay("query-ok");
    check_connection(&run, "analyzer", Some("analyzer"), (225, 24));
    assert_eq!(
        transactions(&run),
        [
            r#"OK CREATE "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(6,2))" 0/0 0/0 - 106/11"#,
            r#"OK INSERT "INSERT INTO items (name, price) VALUES ('apple', 0.50), ('banana', 0.25), ('cherry', 3.00)" 0/0 3/1 - 95/50"#,
            r#"OK INSERT "INSERT INTO items (name, price) VALUES ('date', 1.25)" 0/0 1/4 - 58/11"#,
            r#"OK UPDATE "UPDATE items SET price = price * 2 WHERE id <= 2" 0/0 2/0 - 53/52"#,
            r#"OK DELETE "DELETE FROM items WHERE id = 3" 0/0 1/0 - 35/11"#,
        ]
    );
}

#[test]
fn query_error() {
    let run = replay("query-error");
    check_connection(&run, "analyzer", Some("analyzer"), (225, 24));
    assert_eq!(
        transactions(&run),
        [
            r#"Error SELEC "SELEC 1" 0/0 - 1064(42000) "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1" 12/168"#,
            r#"Error SELECT "SELECT * FROM missing_table" 0/0 - 1146(42S02) "Table 'analyzer.missing_table' doesn't exist" 32/57"#,
            r#"Error INSERT "INSERT INTO items (id, name, price) VALUES (1, 'again', 1.00)" 0/0 - 1062(23000) "Duplicate entry '1' for key 'PRIMARY'" 66/50"#,
            r#"OK SELECT "SELECT COUNT(*) FROM items" 1/1 - - 31/65"#,
        ]
    );
}

#[test]
fn select() {
    let run = replay("select");
    check_connection(&run, "analyzer", Some("analyzer"), (225, 24));
    assert_eq!(
        transactions(&run),
        [r#"OK SELECT "SELECT id, name, price FROM items ORDER BY id" 3/3 - - 50/234"#]
    );
}

#[test]
fn select_large() {
    let run = replay("select-large");
    check_connection(&run, "analyzer", Some("analyzer"), (225, 24));
    assert_eq!(
        transactions(&run),
        [
            r#"OK SELECT "SELECT seq AS id, CONCAT('row ', seq) AS label FROM seq_1_to_3000" 2/3000 - - 70/51908"#
        ]
    );
}

#[test]
fn use_db() {
    let run = replay("use-db");
    check_connection(&run, "analyzer", None, (216, 11));
    assert_eq!(
        transactions(&run),
        [
            r#"OK SELECT "SELECT DATABASE()" 1/1 - - 22/66"#,
            r#"OK USE "analyzer" 0/0 0/0 - 13/24"#,
            r#"OK SELECT "SELECT COUNT(*) FROM items" 1/1 - - 31/65"#,
        ]
    );
}

#[test]
fn prepared() {
    let run = replay("prepared");
    check_connection(&run, "analyzer", Some("analyzer"), (206, 24));
    let select = "SELECT id, name, price FROM items WHERE id > ? ORDER BY id";
    let insert = "INSERT INTO items (name, price) VALUES (?, ?)";
    let dup = "INSERT INTO items (id, name, price) VALUES (?, ?, ?)";
    assert_eq!(
        transactions(&run),
        [
            r#"OK SET "SET NAMES 'utf8mb4'" 0/0 0/0 - 24/111"#.to_string(),
            r#"OK SET "SET character_set_server = 'utf8mb4'" 0/0 0/0 - 41/11"#.to_string(),
            r#"OK SET "SET collation_connection = 'utf8mb4_unicode_ci'" 0/0 0/0 - 52/11"#
                .to_string(),
            r#"OK SET "SET collation_server = 'utf8mb4_unicode_ci'" 0/0 0/0 - 48/11"#.to_string(),
            format!(r#"OK SELECT "{select}" 3/0 - - 63/219"#),
            format!(r#"OK SELECT "{select}" 3/2 - - 20/68"#),
            format!(r#"OK INSERT "{insert}" 0/0 - - 50/81"#),
            format!(r#"OK INSERT "{insert}" 0/0 1/4 - 36/11"#),
            format!(r#"OK INSERT "{insert}" 0/0 1/5 - 29/11"#),
            format!(r#"OK INSERT "{dup}" 0/0 - - 57/109"#),
            format!(
                r#"Error INSERT "{dup}" 0/0 - 1062(23000) "Duplicate entry '1' for key 'PRIMARY'" 35/50"#
            ),
            r#"OK - "-" 0/0 0/0 - 9/11"#.to_string(),
        ]
    );
    // The reset and the three closes name their statements; the closes
    // get no answer.
    let by_command = |name: &str| -> Vec<(u64, Option<u64>)> {
        run.events
            .iter()
            .filter(|e| e["mysql"]["command"] == name)
            .map(|e| {
                (
                    e["mysql"]["statement_id"].as_u64().unwrap(),
                    e["destination"]["bytes"].as_u64(),
                )
            })
            .collect()
    };
    assert_eq!(by_command("COM_STMT_RESET"), [(3, Some(11))]);
    assert_eq!(
        by_command("COM_STMT_CLOSE"),
        [(1, None), (2, None), (3, None)]
    );
    assert_eq!(run.events.len(), 2 + 12 + 3 + 1);
}

#[test]
fn deprecate_eof() {
    let run = replay("deprecate-eof");
    check_connection(&run, "analyzer", Some("analyzer"), (97, 11));
    assert_eq!(
        transactions(&run),
        [
            r#"OK SELECT "SELECT id, name, price FROM items ORDER BY id" 3/3 - - 50/223"#,
            r#"Error SELECT "SELECT * FROM missing_table" 0/0 - 1146(42S02) "Table 'analyzer.missing_table' doesn't exist" 32/57"#,
            r#"OK DO "DO 1" 0/0 0/0 - 9/11"#,
        ]
    );
}
