//! HTTPS for the remote services (AI providers, Daytona): rustls with the ring provider and the
//! same trusted roots as PostgreSQL's `verify-full`, HTTP/2 where the server offers it.

/// A `reqwest` builder with Plainsight's TLS set up; the caller adds timeouts and builds it.
pub(crate) fn https_builder() -> Result<reqwest::ClientBuilder, String> {
    let roots = crate::source::postgres::tls::trusted_roots(None).map_err(|e| e.to_string())?;
    let mut tls =
        rustls::ClientConfig::builder_with_provider(crate::source::postgres::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}

/// The most of a provider's reply that is read. A real completion is a few KB; a 1 GB body
/// (hostile or broken) would otherwise be held in memory several times over while parsed.
pub const MAX_PROVIDER_BODY: usize = 4 * 1024 * 1024;

/// The reply's text, reading at most [`MAX_PROVIDER_BODY`] bytes (a longer one is cut there, and
/// then fails to parse with a plain message instead of exhausting memory).
pub(crate) async fn capped_text(mut resp: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_PROVIDER_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_PROVIDER_BODY {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A server on this computer (Ollama, LM Studio): free, and needs no key. Decided from the
/// parsed URL, never from its text: `http://127.0.0.1@host/` is `host`, `http://127.evil.com/` is
/// a name, and a URL with a user name or password is never local.
pub fn is_local(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url) else {
        return false;
    };
    if !url.username().is_empty()
        || url.password().is_some()
        || !matches!(url.scheme(), "http" | "https")
    {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
