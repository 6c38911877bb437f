//! TLS of the network outputs (rustls, ring): the authorities trusted, the
//! client certificate, and how the server's certificate is checked
//! (`ssl.verification_mode`, as Beats have it).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::settings::{SslSettings, VerificationMode};

/// The client configuration of `ssl`: Mozilla's roots (built in) and
/// `certificate_authorities`, the client certificate if one is given, the
/// server's certificate checked as `verification_mode` says.
pub fn client_config(ssl: &SslSettings) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in &ssl.certificate_authorities {
        let certs = certificates(path)?;
        if certs.is_empty() {
            return Err(at(path, "no certificate in the file (PEM expected)"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| at(path, e))?;
        }
    }
    // ring, as ureq 2 builds rustls with (aws-lc would need cmake); its
    // deprecation is about post-quantum key exchange, not soundness.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("ssl: {e}"))?;
    let builder = match ssl.verification_mode {
        VerificationMode::Full => builder.with_webpki_verifier(webpki),
        mode => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Relaxed { webpki, mode })),
    };
    match (&ssl.certificate, &ssl.key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(certificate), Some(key)) => {
            let chain = certificates(certificate)?;
            if chain.is_empty() {
                return Err(at(certificate, "no certificate in the file (PEM expected)"));
            }
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| at(key, e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("ssl.certificate and ssl.key: {e}"))
        }
        _ => Err("ssl.certificate and ssl.key go together: give both or neither".into()),
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .map_err(|e| at(path, e))?
        .map(|cert| cert.map_err(|e| at(path, e)))
        .collect()
}

fn at(path: &Path, error: impl std::fmt::Display) -> String {
    format!("{}: {error}", path.display())
}

/// The checks of `certificate` (a name that does not match is accepted)
/// and `none` (nothing about the certificate is checked; the handshake's
/// signatures still are, so the peer holds the key of what it shows).
#[derive(Debug)]
struct Relaxed {
    webpki: Arc<WebPkiServerVerifier>,
    mode: VerificationMode,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.mode == VerificationMode::None {
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
