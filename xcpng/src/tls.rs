//! How the pool's certificate is checked: verified against the web's roots (and a CA file
//! of your own, such as the pool's), or pinned — the SHA-256 fingerprint of the pool's own
//! self-signed certificate, which XCP-ng installs by default. A pin stands for the CA and
//! the name both: a certificate with that fingerprint is the pool's, whatever it names.

use crate::error::{XapiError, XapiResult};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// The largest CA file read.
const CA_FILE_BYTES_MAX: u64 = 1 << 20;

/// How the pool's certificate is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsCheck {
    /// Verified: chained to the web's roots or to a certificate of `ca_file` (PEM), and
    /// naming the host.
    Verified {
        /// Extra roots (PEM).
        ca_file: Option<PathBuf>,
    },
    /// Pinned: the SHA-256 of the certificate's DER.
    Pinned([u8; 32]),
}

impl TlsCheck {
    /// A pin from its text: 64 hex digits, with or without colons between the bytes.
    pub fn pinned(text: &str) -> XapiResult<TlsCheck> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        let bad = || {
            XapiError::Config(format!(
                "tls_fingerprint_sha256 `{text}` is not a SHA-256 fingerprint (64 hex digits, colons allowed)"
            ))
        };
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut pin = [0u8; 32];
        for (k, byte) in pin.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).map_err(|_| bad())?;
        }
        Ok(TlsCheck::Pinned(pin))
    }

    /// The rustls configuration that checks this way (ring's algorithms).
    pub fn client_config(&self) -> XapiResult<Arc<ClientConfig>> {
        let provider = Arc::new(ring_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| XapiError::Config(format!("TLS: {e}")))?;
        let config = match self {
            TlsCheck::Verified { ca_file } => {
                let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
                if let Some(file) = ca_file {
                    for cert in read_ca_file(file)? {
                        roots.add(cert).map_err(|e| {
                            XapiError::Config(format!("tls_ca_file {}: a certificate is unusable: {e}", file.display()))
                        })?;
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            TlsCheck::Pinned(pin) => {
                let verifier = Pinned { pin: *pin, algorithms: provider.signature_verification_algorithms };
                builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
            }
        };
        Ok(Arc::new(config))
    }
}

/// The SHA-256 fingerprint of a certificate's DER, as `AB:CD:…` (what `openssl x509
/// -fingerprint -sha256` prints).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn read_ca_file(file: &PathBuf) -> XapiResult<Vec<CertificateDer<'static>>> {
    use std::io::Read;
    let mut pem = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(CA_FILE_BYTES_MAX).read_to_end(&mut pem))
        .map_err(|e| XapiError::Config(format!("tls_ca_file {}: {e}", file.display())))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| XapiError::Config(format!("tls_ca_file {}: not PEM certificates: {e}", file.display())))?;
    if certs.is_empty() {
        return Err(XapiError::Config(format!("tls_ca_file {}: no certificate in it", file.display())));
    }
    Ok(certs)
}

/// Accepts exactly the certificate whose fingerprint is pinned; signatures are still
/// checked, so the peer must hold that certificate's key.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if seen == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the pool's certificate has fingerprint {}, not the pinned one",
                fingerprint(end_entity.as_ref())
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// ring's algorithms: deprecated in rustls for want of post-quantum key exchange, which
/// only aws-lc-rs has — and BioXen builds no C crypto (no aws-lc, no OpenSSL).
#[allow(deprecated)]
pub fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
