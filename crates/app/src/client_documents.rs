//! Client ID Metadata Documents (the MCP authorization specification's alternative to
//! registering): a client whose `client_id` is an https URL is described by the JSON document at
//! that URL. We fetch it on first use and keep it ten minutes.
//!
//! Fetching a URL a stranger names is a server-side request forgery risk, so the fetch is
//! narrow: https only, a host that resolves to public addresses only (and the connection is
//! pinned to the address we checked, so DNS cannot change between the check and the fetch), no
//! redirects, 5 seconds, 64 KiB. Such a client is public: no secret, PKCE always.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use persistence::ClientRecord;
use quick_cache::sync::Cache;
use serde::Deserialize;
use url::Url;

use crate::oauth_protocol::{OAuthError, check_redirect_uri};

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
const KEEP_FOR: Duration = Duration::from_secs(600);
const MAX_URL_LENGTH: usize = 255;

/// The fields of a metadata document we use; others are ignored.
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
}

/// Fetched documents, by client id.
#[derive(Clone)]
pub(crate) struct ClientDocuments {
    cache: Arc<Cache<String, (ClientRecord, Instant)>>,
    /// Tests serve documents over http from loopback; never set in production.
    allow_loopback_http: bool,
}

impl std::fmt::Debug for ClientDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientDocuments").field("cached", &self.cache.len()).finish()
    }
}

/// Whether an address is one anyone on the internet could reach (not this machine, its
/// network, or anything reserved).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [first, second, ..] = v4.octets();
            let shared = first == 100 && (64..128).contains(&second);
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || shared
                || first == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [first, ..] = v6.segments();
            let unique_local = first & 0xfe00 == 0xfc00;
            let link_local = first & 0xffc0 == 0xfe80;
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || unique_local
                || link_local)
        }
    }
}

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_client", why)
}

impl ClientDocuments {
    pub(crate) fn new(allow_loopback_http: bool) -> Self {
        Self { cache: Arc::new(Cache::new(10_000)), allow_loopback_http }
    }

    /// Whether `client_id` names a metadata document rather than a registered client.
    pub(crate) fn names_document(&self, client_id: &str) -> bool {
        client_id.starts_with("https://")
            || (self.allow_loopback_http && client_id.starts_with("http://127.0.0.1:"))
    }

    /// The client a metadata document describes, fetched or from the cache.
    pub(crate) async fn client(&self, client_id: &str) -> Result<ClientRecord, OAuthError> {
        if let Some((client, fetched_at)) = self.cache.get(client_id)
            && fetched_at.elapsed() < KEEP_FOR
        {
            return Ok(client);
        }
        let client = self.fetch(client_id).await?;
        self.cache.insert(client_id.to_owned(), (client.clone(), Instant::now()));
        Ok(client)
    }

    async fn fetch(&self, client_id: &str) -> Result<ClientRecord, OAuthError> {
        let url = Url::parse(client_id).map_err(|_| refused("The client_id is not a URL."))?;
        let loopback_test = self.allow_loopback_http && url.scheme() == "http";
        if client_id.len() > MAX_URL_LENGTH
            || !(url.scheme() == "https" || loopback_test)
            || url.path() == "/"
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(refused(
                "A client_id URL must be https, with a path, no fragment and no credentials, \
                 at most 255 characters.",
            ));
        }
        let host = url.host_str().ok_or_else(|| refused("The client_id URL has no host."))?;
        let port = url.port_or_known_default().unwrap_or(443);
        let address = self.public_address(host, port, loopback_test).await?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .resolve(host, address)
            .build()
            .map_err(|_| OAuthError::unavailable())?;
        let mut response = http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| {
                refused(format!("The client metadata document could not be fetched: {error}"))
            })?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(refused(format!(
                "The client metadata document answered {}.",
                response.status().as_u16()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| refused("The client metadata document could not be read."))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(refused("The client metadata document is larger than 64 KiB."));
            }
        }
        let document: Document = serde_json::from_slice(&body).map_err(|error| {
            refused(format!("The client metadata document is not valid: {error}"))
        })?;
        self.client_from(client_id, document)
    }

    /// The address to connect to: the host's first, once every address it has is public.
    async fn public_address(
        &self,
        host: &str,
        port: u16,
        loopback_test: bool,
    ) -> Result<SocketAddr, OAuthError> {
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| refused(format!("The client_id's host {host} does not resolve.")))?
            .collect();
        let first = addresses.first().copied().ok_or_else(|| refused("No address."))?;
        if !loopback_test && !addresses.iter().all(|address| is_public(address.ip())) {
            return Err(refused(format!("The client_id's host {host} is not a public address.")));
        }
        Ok(first)
    }

    fn client_from(&self, client_id: &str, document: Document) -> Result<ClientRecord, OAuthError> {
        if document.client_id != client_id {
            return Err(refused("The metadata document's client_id is not its own URL."));
        }
        if !matches!(document.token_endpoint_auth_method.as_deref(), None | Some("none")) {
            return Err(refused(
                "A client known by its metadata document is public: token_endpoint_auth_method \
                 must be none.",
            ));
        }
        if document.redirect_uris.is_empty() {
            return Err(refused("The metadata document lists no redirect_uris."));
        }
        for uri in &document.redirect_uris {
            check_redirect_uri(uri)
                .map_err(|error| refused(format!("The metadata document's {error}")))?;
        }
        let name = document.client_name.map(|name| name.trim().to_owned());
        let name = name
            .filter(|name| {
                (1..=100).contains(&name.chars().count())
                    && domain::check_text(name, domain::TextKind::Line).is_ok()
            })
            .unwrap_or_else(|| client_id.to_owned());
        Ok(ClientRecord {
            client_id: client_id.to_owned(),
            secret_hash: String::new(),
            name,
            redirect_uris: document.redirect_uris,
            created_at: Utc::now(),
            revoked_at: None,
            public: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_addresses_reachable_from_the_internet_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
