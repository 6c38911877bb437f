//! `output.elasticsearch` over TLS: the `ssl:` settings (authorities, a
//! client certificate, `verification_mode`) against a server whose
//! certificates are made for the run, handshake by handshake in memory,
//! then the beat delivering to an HTTPS endpoint.

mod outputs;

use std::sync::Arc;

use analyzer_beat::outputs::settings::{SslSettings, VerificationMode};
use analyzer_beat::outputs::tls::client_config;
use rustls::pki_types::ServerName;

use outputs::bulk_endpoint::{items, Endpoint};
use outputs::pki::{self, Pki};
use outputs::{common, counted, Delivered};

/// A TLS handshake between `client` and `server` for `name`, in memory:
/// `Err` with the first side's error.
fn handshake(
    client: rustls::ClientConfig,
    server: &Arc<rustls::ServerConfig>,
    name: &str,
) -> Result<(), String> {
    let name = ServerName::try_from(name.to_string()).unwrap();
    let mut c = rustls::ClientConnection::new(Arc::new(client), name).unwrap();
    let mut s = rustls::ServerConnection::new(server.clone()).unwrap();
    for _ in 0..10 {
        let mut bytes = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut bytes).unwrap();
        }
        s.read_tls(&mut &bytes[..]).unwrap();
        s.process_new_packets()
            .map_err(|e| format!("server: {e}"))?;
        let mut bytes = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut bytes).unwrap();
        }
        c.read_tls(&mut &bytes[..]).unwrap();
        c.process_new_packets()
            .map_err(|e| format!("client: {e}"))?;
        if !c.is_handshaking() && !s.is_handshaking() {
            return Ok(());
        }
    }
    Err("no end to the handshake".into())
}

fn ssl(pki: &Pki, ca: bool, client: bool, mode: VerificationMode) -> SslSettings {
    SslSettings {
        certificate_authorities: if ca { vec![pki.ca.clone()] } else { vec![] },
        certificate: client.then(|| pki.client.clone()),
        key: client.then(|| pki.client_key.clone()),
        verification_mode: mode,
    }
}

#[test]
fn verification_modes_and_client_certificates() {
    use VerificationMode::{Certificate, Full, None};
    let pki = pki::make("tls-modes");
    let run = |ca, client, mode, name: &str| {
        let config = client_config(&ssl(&pki, ca, client, mode)).unwrap();
        handshake(config, &pki.server, name)
    };
    // Trusted authority, the right name, a client certificate: through.
    assert_eq!(run(true, true, Full, "localhost"), Ok(()));
    assert_eq!(run(true, true, Full, "127.0.0.1"), Ok(()));
    // An authority not trusted: refused, unless nothing is checked.
    let refused = run(false, true, Full, "localhost").unwrap_err();
    assert!(refused.contains("UnknownIssuer"), "{refused}");
    assert!(run(false, true, Certificate, "localhost").is_err());
    assert_eq!(run(false, true, None, "localhost"), Ok(()));
    // Another name: refused by `full`, taken by `certificate`.
    let refused = run(true, true, Full, "elastic.example").unwrap_err();
    assert!(refused.contains("not valid for name"), "{refused}");
    assert_eq!(run(true, true, Certificate, "elastic.example"), Ok(()));
    // No client certificate where the server asks for one.
    let refused = run(true, false, Full, "localhost").unwrap_err();
    assert!(refused.contains("server:"), "{refused}");
}

#[test]
fn bad_ssl_settings_are_clear_errors() {
    let pki = pki::make("tls-errors");
    let mut settings = ssl(&pki, true, true, VerificationMode::Full);
    settings.key = None;
    let error = client_config(&settings).unwrap_err();
    assert!(error.contains("give both or neither"), "{error}");
    let mut settings = ssl(&pki, true, true, VerificationMode::Full);
    settings.key = Some(pki.ca.clone());
    let error = client_config(&settings).unwrap_err();
    assert!(error.contains(&pki.ca.display().to_string()), "{error}");
    let mut settings = ssl(&pki, true, false, VerificationMode::Full);
    settings.certificate_authorities = vec![common::workspace("README.md")];
    let error = client_config(&settings).unwrap_err();
    assert!(
        error.contains("README.md") && error.contains("no certificate"),
        "{error}"
    );
}

#[test]
fn the_beat_delivers_over_https_with_a_client_certificate() {
    let pki = pki::make("tls-beat");
    let endpoint = Endpoint::start_tls(
        pki.server.clone(),
        Box::new(|_, request| (200, items(&vec![201; request.bulk().len()]))),
    );
    let config = format!(
        "output:\n  elasticsearch:\n    hosts: [\"https://127.0.0.1:{}\"]\n    ssl:\n      certificate_authorities: [\"{}\"]\n      certificate: \"{}\"\n      key: \"{}\"\n",
        endpoint.port,
        pki.ca.display(),
        pki.client.display(),
        pki.client_key.display()
    );
    let Delivered { stderr, delivery } =
        outputs::deliver(&mut outputs::beat(&config, "es-tls.yml"));
    assert_eq!(delivery["acknowledged"], 15, "{stderr}");
    let delivered: Vec<Vec<u8>> = endpoint
        .requests()
        .iter()
        .flat_map(|r| r.bulk().into_iter().map(|(_, doc)| doc))
        .collect();
    let expected = outputs::console_events(&outputs::capture(), false);
    assert_eq!(
        counted(delivered.iter().map(Vec::as_slice)),
        counted(expected.iter().map(Vec::as_slice))
    );
}
