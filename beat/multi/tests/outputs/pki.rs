//! Certificates made for a test run (rcgen): an authority, a server
//! certificate for `localhost` and 127.0.0.1 signed by it, a client
//! certificate signed by it; written as PEM files for the beat's `ssl:`
//! settings, and a TLS server configuration that asks for the client's.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The files and the server side of one test's certificates.
pub struct Pki {
    /// The authority (PEM), for `ssl.certificate_authorities`.
    pub ca: PathBuf,
    /// The client's certificate and key (PEM), for `ssl.certificate` and
    /// `ssl.key`.
    pub client: PathBuf,
    pub client_key: PathBuf,
    /// The server: its certificate, and client certificates required,
    /// signed by the authority.
    pub server: Arc<rustls::ServerConfig>,
}

/// Makes the certificates of test `name` (files under the temporary
/// directory, named after it).
pub fn make(name: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "beat test authority");
    let ca = params.self_signed(&ca_key).unwrap();
    let leaf = |names: &[&str], usage: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        (cert, key)
    };
    let (server, server_key) = leaf(
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client, client_key) = leaf(&["beat"], ExtendedKeyUsagePurpose::ClientAuth);
    let file = |suffix: &str, text: String| {
        let path = super::common::temp(&format!("{name}-{suffix}"));
        std::fs::write(&path, text).unwrap();
        path
    };
    // ring, as the beat uses (see its `outputs::tls`).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(server.der().to_vec())], key)
        .unwrap();
    Pki {
        ca: file("ca.pem", ca.pem()),
        client: file("client.pem", client.pem()),
        client_key: file("client.key", client_key.serialize_pem()),
        server: Arc::new(server),
    }
}
