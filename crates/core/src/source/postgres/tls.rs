//! TLS for PostgreSQL connections, with libpq's `sslmode` meanings (rustls, ring provider).
//!
//! `tokio-postgres` itself knows only `disable`, `prefer` and `require`, and rejects the other
//! libpq options, so `sslmode` and `sslrootcert` are taken out of the URL here:
//! - `prefer` (the default, as in libpq) and `require` encrypt whenever the server offers TLS
//!   but, like libpq, do not check the certificate: most self-hosted servers (Debian's default
//!   included) use a self-signed one, and refusing them would push people to `disable`.
//! - `verify-ca` checks the chain against the trusted roots; `verify-full` also the host name.
//!   Roots: the system's store, Mozilla's (webpki-roots), and `sslrootcert=` or `PGSSLROOTCERT`
//!   for a private CA.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode;

use crate::executor::ExecError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn parse(s: &str) -> Option<Self> {
        // libpq's names, and MariaDB's and MySQL's (`ssl-mode=VERIFY_IDENTITY`).
        Some(match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" => Self::Disable,
            "allow" | "prefer" | "preferred" => Self::Prefer,
            "require" | "required" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" | "verify-identity" => Self::VerifyFull,
            _ => return None,
        })
    }

    /// What `tokio-postgres` is told: verification modes insist on TLS.
    pub fn ssl_mode(self) -> SslMode {
        match self {
            Self::Disable => SslMode::Disable,
            Self::Prefer => SslMode::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => SslMode::Require,
        }
    }
}

/// The URL without `sslmode`/`sslrootcert` (which this module handles), and their values.
pub fn split_options(url: &str) -> Result<(String, TlsMode, Option<PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), TlsMode::Prefer, None));
    };
    let mut mode = TlsMode::Prefer;
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode" | "ssl-mode" | "ssl_mode", value)) => {
                mode = TlsMode::parse(value)
                    .ok_or_else(|| format!("sslmode={value} is not one of disable, prefer, require, verify-ca, verify-full"))?;
            }
            Some(("sslrootcert" | "ssl-ca" | "ssl_ca", value)) => {
                root = Some(PathBuf::from(percent_decode(value)));
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, mode, root))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client TLS configuration for `mode`.
pub fn client_config(mode: TlsMode, root: Option<PathBuf>) -> Result<ClientConfig, ExecError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ExecError::Connect(format!("TLS could not be set up: {e}")))?;
    let config = match mode {
        TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider())))
            .with_no_client_auth(),
        TlsMode::VerifyCa | TlsMode::VerifyFull => {
            let roots =
                Arc::new(trusted_roots(root.or_else(|| {
                    std::env::var_os("PGSSLROOTCERT").map(PathBuf::from)
                }))?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|e| ExecError::Connect(format!("TLS could not be set up: {e}")))?;
            if mode == TlsMode::VerifyCa {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            } else {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            }
        }
    };
    Ok(config)
}

pub(crate) fn trusted_roots(extra: Option<PathBuf>) -> Result<RootCertStore, ExecError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra {
        let unreadable = |why: String| {
            ExecError::Connect(format!(
                "the root certificate {} could not be read ({why})",
                path.display()
            ))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
            .map_err(|e| unreadable(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| unreadable(e.to_string()))?;
        if certs.is_empty() {
            return Err(unreadable("it holds no PEM certificate".into()));
        }
        roots.add_parsable_certificates(certs);
    }
    Ok(roots)
}

/// libpq's `prefer`/`require`: the connection is encrypted and the handshake's signatures are
/// checked, but the certificate's issuer and name are not.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
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
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_tls_options_are_taken_out_of_the_url() {
        let (url, mode, root) =
            split_options("postgres://u@h:5432/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.crt&connect_timeout=3").unwrap();
        assert_eq!(
            (url.as_str(), mode, root),
            (
                "postgres://u@h:5432/db?connect_timeout=3",
                TlsMode::VerifyFull,
                Some(PathBuf::from("/tmp/ca.crt"))
            )
        );
        assert_eq!(
            split_options("postgres://u@h/db").unwrap().1,
            TlsMode::Prefer,
            "libpq's default"
        );
        assert_eq!(
            split_options("postgres://u@h/db?sslmode=disable")
                .unwrap()
                .0,
            "postgres://u@h/db"
        );
        let err = split_options("postgres://u@h/db?sslmode=maybe").unwrap_err();
        assert!(err.contains("sslmode=maybe"), "{err}");
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let err = client_config(
            TlsMode::VerifyFull,
            Some(PathBuf::from("/nonexistent/ca.crt")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/nonexistent/ca.crt could not be read"),
            "{err}"
        );
    }
}
