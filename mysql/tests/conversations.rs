//! Conversations the recorded captures do not hold, built packet by packet:
//! authentication exchanges, TLS, `LOAD DATA LOCAL INFILE`, several
//! results, cursors, `CLIENT_DEPRECATE_EOF` with and without the login
//! seen, and the commands with answers of their own shape.

mod common;

use common::*;

/// The handshake and a login with `caps`, answered by `answer` packets.
fn login_with(c: &mut Conn, caps: u32, answer: &[u8]) {
    c.server(&packet(0, &greeting(0xffff_ffff)))
        .client(&packet(1, &login(caps, "bob")))
        .server(answer);
}

fn lines(events: &[serde_json::Value]) -> Vec<String> {
    events.iter().map(line).collect()
}

#[test]
fn an_auth_switch_continues_the_login_answer() {
    let mut c = Conn::new(true);
    c.server(&packet(0, &greeting(0xffff_ffff)))
        .client(&packet(1, &login(CAPS, "bob")))
        .server(&packet(
            2,
            b"\xfemysql_native_password\0abcdefghijklmnopqrst\0",
        ))
        .client(&packet(3, &[7; 20]))
        .server(&packet(4, &ok(0, 0, 0, 2)))
        .client(&packet(0, b"\x03SELECT 1"))
        .server(&packets(
            1,
            &[b"\x01", &column("1"), &eof(2), &lenenc(b"1"), &eof(2)],
        ))
        .close();
    let (events, counters) = c.run();
    assert_eq!(
        lines(&events),
        [
            "OK - - -/- -/- -",
            "OK - - -/- -/- -",
            "OK - - 0/0 0/0 -",
            "OK SELECT SELECT 1 1/1 -/- -",
        ]
    );
    assert_eq!(events[0]["mysql"]["server_version"], "8.0.36");
    assert_eq!(events[1]["mysql"]["client_data"], "auth");
    assert_eq!(events[1]["source"]["bytes"], 24);
    assert_eq!(events[2]["mysql"]["user"], "bob");
    // The switch (48 bytes) and the OK (11) answer the login.
    assert_eq!(events[2]["destination"]["bytes"], 48 + 11);
    assert_eq!(counters.greetings, 1);
}

#[test]
fn a_failed_login_is_an_error() {
    let mut c = Conn::new(true);
    let denied = err(1045, "28000", "Access denied for user 'bob'@'10.0.0.1'");
    login_with(&mut c, CAPS, &packet(2, &denied));
    c.close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events),
        ["OK - - -/- -/- -", "Error - - 0/0 -/- 1045"]
    );
    assert_eq!(events[1]["mysql"]["sql_state"], "28000");
}

#[test]
fn a_tls_request_ends_the_analysis() {
    let mut c = Conn::new(true);
    let mut ssl = login(CAPS | SSL, "");
    ssl.truncate(32);
    c.server(&packet(0, &greeting(0xffff_ffff)))
        .client(&packet(1, &ssl))
        .client(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        .server(b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76")
        .close();
    let (events, counters) = c.run();
    assert_eq!(lines(&events), ["OK - - -/- -/- -", "OK - - -/- -/- -"]);
    assert_eq!(counters.connections_not_followed, 1);
    assert_eq!(counters.bytes_not_analyzed, 11 + 9);
}

#[test]
fn load_data_local_infile() {
    // Mid-connection: no handshake seen.
    let mut c = Conn::new(true);
    c.client(&packet(
        0,
        b"\x03LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t",
    ))
    .server(&packet(1, b"\xfbx.csv"))
    .client(&packets(2, &[b"a,1\n", b"b,2\n", b""]))
    .server(&packet(5, &ok(0, 2, 0, 2)))
    .client(&packet(0, b"\x0e"))
    .server(&packet(1, &ok(0, 0, 0, 2)))
    .close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events),
        [
            "OK - - -/- -/- -",
            "OK LOAD LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t 0/0 2/0 -",
            "OK PING - 0/0 0/0 -",
        ]
    );
    assert_eq!(events[0]["mysql"]["client_data"], "infile");
    assert_eq!(events[0]["source"]["bytes"], 8 + 8 + 4);
    assert_eq!(events[1]["destination"]["bytes"], 10 + 11);
}

#[test]
fn further_results_fold_into_one_answer() {
    let mut c = Conn::new(true);
    c.client(&packet(0, b"\x03CALL p()"))
        .server(&packets(
            1,
            &[
                b"\x01",
                &column("a"),
                &eof(0x000a),
                &lenenc(b"x"),
                &lenenc(b"y"),
                &eof(0x000a),
                &ok(0, 0, 0, 0x0002),
            ],
        ))
        .client(&packet(0, b"\x03SELECT 2"))
        .server(&packet(1, &ok(0, 0, 0, 2)))
        .close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events),
        ["OK CALL CALL p() 1/2 0/0 -", "OK SELECT SELECT 2 0/0 0/0 -"]
    );
}

#[test]
fn deprecate_eof_is_told_from_the_packets_without_the_login() {
    let mut c = Conn::new(true);
    c.client(&packet(0, b"\x03SELECT a, b FROM t"))
        .server(&packets(
            1,
            &[
                b"\x02",
                &column("a"),
                &column("b"),
                &[lenenc(b"1"), lenenc(b"2")].concat(),
                &[lenenc(b"3"), vec![0xfb]].concat(),
                &ok(0xfe, 0, 0, 0x0022),
            ],
        ))
        .client(&packet(0, b"\x03SELECT a FROM t WHERE 0"))
        .server(&packets(
            1,
            &[b"\x01", &column("a"), &ok(0xfe, 0, 0, 0x0022)],
        ))
        .client(&packet(0, b"\x03DO 1"))
        .server(&packet(1, &ok(0, 0, 0, 2)))
        .close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events),
        [
            "OK SELECT SELECT a, b FROM t 2/2 -/- -",
            "OK SELECT SELECT a FROM t WHERE 0 1/0 -/- -",
            "OK DO DO 1 0/0 0/0 -",
        ]
    );
}

#[test]
fn prepared_statements_with_deprecate_eof() {
    let mut c = Conn::new(true);
    login_with(&mut c, CAPS | DEPRECATE_EOF, &packet(2, &ok(0, 0, 0, 2)));
    let mut prepare_ok = vec![0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
    prepare_ok.truncate(12);
    c.client(&packet(0, b"\x16SELECT a FROM t WHERE b = ?"))
        .server(&packets(1, &[&prepare_ok, &column("?"), &column("a")]))
        .client(&packet(
            0,
            b"\x17\x01\0\0\0\0\x01\0\0\0\x01\x00\x08\x00\x05\0\0\0\0\0\0\0",
        ))
        .server(&packets(
            1,
            &[
                b"\x01",
                &column("a"),
                b"\x00\x00\x01x",
                &ok(0xfe, 0, 0, 0x0022),
            ],
        ))
        .client(&packet(0, b"\x19\x01\0\0\0"))
        .client(&packet(0, b"\x03SELECT 1"))
        .server(&packets(
            1,
            &[b"\x01", &column("1"), &lenenc(b"1"), &ok(0xfe, 0, 0, 2)],
        ))
        .close();
    let (events, _) = c.run();
    let q = "SELECT a FROM t WHERE b = ?";
    assert_eq!(
        lines(&events)[2..],
        [
            format!("OK SELECT {q} 1/0 -/- -"),
            format!("OK SELECT {q} 1/1 -/- -"),
            "OK - - -/- -/- -".to_string(),
            "OK SELECT SELECT 1 1/1 -/- -".to_string(),
        ]
    );
    assert_eq!(events[3]["mysql"]["statement_id"], 1);
    assert_eq!(events[4]["mysql"]["command"], "COM_STMT_CLOSE");
}

#[test]
fn a_cursor_defers_the_rows_to_fetch() {
    let mut c = Conn::new(true);
    c.client(&packet(0, b"\x17\x09\0\0\0\x01\x01\0\0\0"))
        .server(&packets(1, &[b"\x01", &column("a"), &eof(0x0042)]))
        .client(&packet(0, b"\x1c\x09\0\0\0\x0a\0\0\0"))
        .server(&packets(
            1,
            &[b"\x00\x00\x01x", b"\x00\x00\x01y", &eof(0x0082)],
        ))
        .close();
    let (events, _) = c.run();
    assert_eq!(lines(&events), ["OK - - 1/0 -/- -", "OK - - 0/2 -/- -"]);
    assert_eq!(events[0]["mysql"]["command"], "COM_STMT_EXECUTE");
    assert_eq!(events[1]["mysql"]["command"], "COM_STMT_FETCH");
    assert_eq!(events[1]["mysql"]["statement_id"], 9);
}

#[test]
fn change_user_statistics_and_field_list() {
    let mut c = Conn::new(true);
    login_with(&mut c, CAPS, &packet(2, &ok(0, 0, 0, 2)));
    c.client(&packet(0, b"\x11alice\0\x14abcdefghijklmnopqrst"))
        .server(&packet(
            1,
            b"\xfemysql_native_password\0abcdefghijklmnopqrst\0",
        ))
        .client(&packet(2, &[9; 20]))
        .server(&packet(3, &ok(0, 0, 0, 2)))
        .client(&packet(0, b"\x09"))
        .server(&packet(1, b"Uptime: 5  Threads: 1  Questions: 9"))
        .client(&packet(0, b"\x04t\0"))
        .server(&packets(1, &[&column("a"), &column("b"), &eof(2)]))
        .client(&packet(0, b"\x01"))
        .close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events)[2..],
        [
            "OK - - -/- -/- -",
            "OK - - 0/0 0/0 -",
            "OK - - 0/0 -/- -",
            "OK - - 2/0 -/- -",
            "OK QUIT - -/- -/- -",
        ]
    );
    let commands: Vec<_> = events[3..6]
        .iter()
        .map(|e| e["mysql"]["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        ["COM_CHANGE_USER", "COM_STATISTICS", "COM_FIELD_LIST"]
    );
}

#[test]
fn an_error_in_the_middle_of_rows_ends_the_answer() {
    let mut c = Conn::new(true);
    c.client(&packet(0, b"\x03SELECT SLEEP(10) FROM t"))
        .server(&packets(
            1,
            &[
                b"\x01",
                &column("s"),
                &eof(2),
                &lenenc(b"0"),
                &err(1317, "70100", "Query execution was interrupted"),
            ],
        ))
        .close();
    let (events, _) = c.run();
    assert_eq!(
        lines(&events),
        ["Error SELECT SELECT SLEEP(10) FROM t 1/1 -/- 1317"]
    );
}
