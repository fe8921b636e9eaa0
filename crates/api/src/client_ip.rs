//! The client's IP address: the peer's, or — only when the peer is a proxy we trust — the one
//! the proxy reports.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// Headers a trusted proxy sets, in the order we believe them: Fly.io's and Cloudflare's name
/// one address; `X-Forwarded-For` is a chain.
const SINGLE_ADDRESS_HEADERS: [&str; 2] = ["fly-client-ip", "cf-connecting-ip"];

/// Proxies whose forwarding headers we believe (`TRUSTED_PROXIES`: IPs or CIDR ranges).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// A `TRUSTED_PROXIES` entry that is neither an IP address nor a CIDR range.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR range")]
pub struct InvalidProxy(String);

impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    /// Comma- or space-separated entries, e.g. `10.0.0.0/8, 172.16.0.1`.
    fn from_str(list: &str) -> Result<Self, InvalidProxy> {
        let networks = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| InvalidProxy(entry.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { networks })
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks.iter().any(|network| network.contains(&ip))
    }

    /// The client's address for a request that arrived from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        for name in SINGLE_ADDRESS_HEADERS {
            if let Some(ip) = header(name).and_then(|value| value.trim().parse().ok()) {
                return ip;
            }
        }
        // The right-most address that is not one of our proxies is the one a proxy of ours
        // saw; anything left of it was written by the client and may be forged.
        let mut client = peer;
        if let Some(chain) = header("x-forwarded-for") {
            for entry in chain.rsplit(',') {
                match entry.trim().parse::<IpAddr>() {
                    Ok(ip) if self.trusts(ip) => client = ip,
                    Ok(ip) => return ip,
                    Err(_) => break,
                }
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("fly-client-ip", "1.2.3.4")]);
        assert_eq!(proxies.client_ip(ip("203.0.113.9"), &forged), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client_ip(ip("10.1.1.1"), &forged), ip("10.1.1.1"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        let fly = headers(&[("fly-client-ip", "198.51.100.4"), ("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &fly), ip("198.51.100.4"));
        let cloudflare = headers(&[("cf-connecting-ip", "2001:db8::1")]);
        assert_eq!(proxies.client_ip(ip("192.0.2.7"), &cloudflare), ip("2001:db8::1"));
    }

    #[test]
    fn the_forwarded_chain_is_read_from_the_right_past_trusted_hops() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.4, 10.0.0.3")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &chain), ip("198.51.100.4"));
        let garbage = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &garbage), ip("10.0.0.2"));
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_text() {
        let error = "10.0.0.0/8, nonsense".parse::<TrustedProxies>().unwrap_err();
        assert!(error.to_string().contains("nonsense"));
        assert!("".parse::<TrustedProxies>().unwrap().networks.is_empty());
    }
}
