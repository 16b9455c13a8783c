//! HTTPS for the remote services (AI providers, Daytona): rustls with the ring provider and the
//! same trusted roots as PostgreSQL's `verify-full`, HTTP/2 where the server offers it.

/// A `reqwest` builder with Plainsight's TLS set up; the caller adds timeouts and builds it.
pub(crate) fn https_builder() -> Result<reqwest::ClientBuilder, String> {
    let roots = crate::source::postgres::tls::trusted_roots(None).map_err(|e| e.to_string())?;
    let mut tls = rustls::ClientConfig::builder_with_provider(crate::source::postgres::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}
