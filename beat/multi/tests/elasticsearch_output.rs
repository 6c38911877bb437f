//! `output.elasticsearch` against a local HTTP endpoint that answers as
//! Elasticsearch's `_bulk` API documents it (Elasticsearch cannot be
//! installed on these machines): a whole request throttled (429), items
//! throttled (429), unavailable (503) and refused (400), partial success,
//! a dead first host, requests too large (413); and `beat setup
//! --index-management`.

mod outputs;

use std::sync::Mutex;

use serde_json::{json, Value};

use outputs::bulk_endpoint::{items, Endpoint};
use outputs::{counted, Delivered};

#[test]
fn throttling_and_refusals_end_with_every_event_delivered_or_reported() {
    let endpoint = Endpoint::start(Box::new(|n, request| {
        let sent = request.bulk().len();
        match n {
            // The whole request throttled.
            0 => (
                429,
                json!({"error": {"type": "es_rejected_execution_exception", "reason": "rejected"}, "status": 429}).to_string(),
            ),
            // Partial success: the first refused, two to retry.
            1 => {
                let mut statuses = vec![201; sent];
                statuses[0] = 400;
                statuses[1] = 429;
                statuses[2] = 503;
                (200, items(&statuses))
            }
            _ => (200, items(&vec![201; sent])),
        }
    }));
    let dead = outputs::free_port();
    let config = format!(
        "output:\n  elasticsearch:\n    hosts: [\"127.0.0.1:{dead}\", \"http://127.0.0.1:{}\"]\n    api_key: ${{ES_API_KEY}}\n    compression_level: 5\n    backoff: {{init: 10ms, max: 50ms}}\n",
        endpoint.port
    );
    let Delivered { stderr, delivery } =
        outputs::deliver(outputs::beat(&config, "es.yml").env("ES_API_KEY", "key-id:key-secret"));
    assert!(!stderr.contains("key-secret"), "{stderr}");
    assert_eq!(delivery["published"], 15, "{stderr}");
    assert_eq!(delivery["acknowledged"], 14);
    assert_eq!(delivery["failed"], 1);
    // 15 after the dead host, 15 after the 429, 2 items.
    assert_eq!(delivery["retried"], 32);
    assert!(
        stderr.contains("event refused: elasticsearch: 400 mapper_parsing_exception: failed to parse field [source.port]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("events not delivered (0 dropped, 1 refused)"),
        "{stderr}"
    );

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 3);
    let mut acknowledged = Vec::new();
    for (n, request) in requests.iter().enumerate() {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/_bulk")
        );
        assert_eq!(request.header("content-type"), Some("application/x-ndjson"));
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        // base64("key-id:key-secret")
        assert_eq!(
            request.header("authorization"),
            Some("ApiKey a2V5LWlkOmtleS1zZWNyZXQ=")
        );
        let bulk = request.bulk();
        for (i, (action, doc)) in bulk.iter().enumerate() {
            assert_eq!(
                *action,
                json!({"create": {"_index": format!("beat-{}", env!("CARGO_PKG_VERSION"))}})
            );
            if n == 2 || (n == 1 && i > 2) {
                acknowledged.push(doc.clone());
            }
        }
        assert_eq!(bulk.len(), [15, 15, 2][n]);
    }
    // Every event but the refused one, each once, as the console has it
    // (without @metadata: Elasticsearch takes the index from the request).
    let refused = requests[1].bulk()[0].1.clone();
    let expected = outputs::console_events(&outputs::capture(), false);
    let mut expected = counted(expected.iter().map(Vec::as_slice));
    expected.remove(&outputs::comparable(&refused)).unwrap();
    assert_eq!(counted(acknowledged.iter().map(Vec::as_slice)), expected);
}

/// A request larger than the server takes (413) is split until it passes;
/// an event refused alone is refused for good, the others delivered.
#[test]
fn requests_too_large_are_split_and_an_event_too_large_alone_is_refused() {
    // The endpoint takes at most 4 events a request, and never the first
    // event of the first request (as if it alone passed the size limit).
    let first: Mutex<Option<Vec<u8>>> = Mutex::new(None);
    let endpoint = Endpoint::start(Box::new(move |_, request| {
        let bulk = request.bulk();
        let mut first = first.lock().unwrap();
        let big = first.get_or_insert_with(|| bulk[0].1.clone());
        if bulk.len() > 4 || bulk.iter().any(|(_, doc)| doc == big) {
            (413, String::new())
        } else {
            (200, items(&vec![201; bulk.len()]))
        }
    }));
    let config = format!(
        "output:\n  elasticsearch:\n    hosts: [\"127.0.0.1:{}\"]\n    backoff: {{init: 1ms, max: 5ms}}\n",
        endpoint.port
    );
    let Delivered { stderr, delivery } =
        outputs::deliver(&mut outputs::beat(&config, "es-413.yml"));
    assert_eq!(delivery["published"], 15, "{stderr}");
    assert_eq!(delivery["acknowledged"], 14, "{stderr}");
    assert_eq!(delivery["failed"], 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 413: the event alone") && stderr.contains("http.max_content_length"),
        "{stderr}"
    );
    // The split is said once, with what to change.
    assert_eq!(
        stderr.matches("requests are split until they pass").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("bulk_max_size"), "{stderr}");
    let requests = endpoint.requests();
    let big = requests[0].bulk()[0].1.clone();
    let mut acknowledged = Vec::new();
    for request in &requests {
        let bulk = request.bulk();
        if bulk.len() <= 4 && !bulk.iter().any(|(_, doc)| *doc == big) {
            acknowledged.extend(bulk.into_iter().map(|(_, doc)| doc));
        }
    }
    let expected = outputs::console_events(&outputs::capture(), false);
    let mut expected = counted(expected.iter().map(Vec::as_slice));
    expected.remove(&outputs::comparable(&big)).unwrap();
    assert_eq!(counted(acknowledged.iter().map(Vec::as_slice)), expected);
}

#[test]
fn setup_installs_the_index_template() {
    let endpoint = Endpoint::start(Box::new(|n, _| match n {
        0 => (200, json!({"acknowledged": true}).to_string()),
        _ => (
            401,
            json!({"error": {"type": "security_exception", "reason": "unable to authenticate"}})
                .to_string(),
        ),
    }));
    let config = format!(
        "output:\n  elasticsearch:\n    hosts: [\"127.0.0.1:{}\"]\n    index: packets\n    username: elastic\n    password: ${{ES_PASSWORD}}\n",
        endpoint.port
    );
    let run = || {
        outputs::beat(&config, "es-setup.yml")
            .env("ES_PASSWORD", "s3cr3t-pw")
            .args(["setup", "--index-management"])
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("index template `packets` installed"),
        "{stderr}"
    );
    let request = &endpoint.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/_index_template/packets")
    );
    assert_eq!(
        request.header("authorization"),
        Some("Basic ZWxhc3RpYzpzM2NyM3QtcHc=")
    );
    let template: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(template["index_patterns"], json!(["packets*"]));
    assert!(template["data_stream"].is_object());
    let properties = &template["template"]["mappings"]["properties"];
    assert_eq!(properties["source"]["properties"]["ip"]["type"], "ip");
    // Refused: exit 1, Elasticsearch's reason, no password.
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 401") && stderr.contains("security_exception"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t-pw"));
}
