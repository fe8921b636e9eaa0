//! The client's IP address: the peer's, or — only when the peer is a proxy we trust — the one
//! the proxy reports in the one header its kind sets.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The header our proxy kind sets (`TRUSTED_PROXY_HEADER`). Only that one is read: a proxy
/// passes the others through from the client untouched, so believing all of them would let a
/// client name any address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `Fly-Client-IP` (Fly.io): one address.
    FlyClientIp,
    /// `CF-Connecting-IP` (Cloudflare): one address.
    CfConnectingIp,
    /// `X-Forwarded-For`: a chain, read from the right.
    #[default]
    XForwardedFor,
}

impl ProxyHeader {
    fn name(self) -> &'static str {
        match self {
            Self::FlyClientIp => "fly-client-ip",
            Self::CfConnectingIp => "cf-connecting-ip",
            Self::XForwardedFor => "x-forwarded-for",
        }
    }
}

/// A `TRUSTED_PROXY_HEADER` that is none of the supported ones.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not one of fly-client-ip, cf-connecting-ip, x-forwarded-for")]
pub struct UnknownProxyHeader(String);

impl FromStr for ProxyHeader {
    type Err = UnknownProxyHeader;

    fn from_str(name: &str) -> Result<Self, UnknownProxyHeader> {
        [Self::FlyClientIp, Self::CfConnectingIp, Self::XForwardedFor]
            .into_iter()
            .find(|header| header.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownProxyHeader(name.to_owned()))
    }
}

/// Proxies whose forwarding header we believe (`TRUSTED_PROXIES`: IPs or CIDR ranges).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ProxyHeader,
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
        Ok(Self { networks, header: ProxyHeader::default() })
    }
}

/// The address a rate limit counts a client under: IPv6 clients by their /64, the smallest
/// block a provider hands one subscriber, so one host cannot mint 2^64 buckets.
pub fn rate_key_address(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

impl TrustedProxies {
    /// Reads the client's address from `header` only.
    #[must_use]
    pub fn with_header(self, header: ProxyHeader) -> Self {
        Self { header, ..self }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks.iter().any(|network| network.contains(&ip))
    }

    /// The client's address for a request that arrived from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(value) = headers.get(self.header.name()).and_then(|value| value.to_str().ok())
        else {
            return peer;
        };
        if self.header != ProxyHeader::XForwardedFor {
            return value.trim().parse().unwrap_or(peer);
        }
        // The right-most address that is not one of our proxies is the one a proxy of ours
        // saw; anything left of it was written by the client and may be forged.
        let mut client = peer;
        for entry in value.rsplit(',') {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => break,
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
    fn a_trusted_proxy_names_the_client_in_its_own_header() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        let fly = headers(&[("fly-client-ip", "198.51.100.4"), ("x-forwarded-for", "1.1.1.1")]);
        let behind_fly = proxies.clone().with_header(ProxyHeader::FlyClientIp);
        assert_eq!(behind_fly.client_ip(ip("10.0.0.2"), &fly), ip("198.51.100.4"));
        let cloudflare = headers(&[("cf-connecting-ip", "2001:db8::1")]);
        let behind_cloudflare = proxies.with_header(ProxyHeader::CfConnectingIp);
        assert_eq!(behind_cloudflare.client_ip(ip("192.0.2.7"), &cloudflare), ip("2001:db8::1"));
    }

    #[test]
    fn only_the_configured_proxy_header_is_believed_never_the_others() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        // Behind Fly, a client-written X-Forwarded-For or CF-Connecting-IP is passed through.
        let forged = headers(&[("x-forwarded-for", "6.6.6.6"), ("cf-connecting-ip", "6.6.6.7")]);
        let behind_fly = proxies.clone().with_header(ProxyHeader::FlyClientIp);
        assert_eq!(behind_fly.client_ip(ip("10.0.0.2"), &forged), ip("10.0.0.2"));
        // Behind a X-Forwarded-For proxy, a client-written Fly-Client-IP is ignored.
        let forged = headers(&[("fly-client-ip", "6.6.6.6"), ("x-forwarded-for", "198.51.100.4")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &forged), ip("198.51.100.4"));
        assert_eq!("CF-Connecting-IP".parse::<ProxyHeader>().unwrap(), ProxyHeader::CfConnectingIp);
        assert!("x-real-ip".parse::<ProxyHeader>().is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_slash_64_and_ipv4_by_their_address() {
        let key = rate_key_address(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assert_eq!(key, ip("2001:db8:1:2::"));
        assert_eq!(rate_key_address(ip("2001:db8:1:2::ffff")), key);
        assert_ne!(rate_key_address(ip("2001:db8:1:3::1")), key);
        assert_eq!(rate_key_address(ip("198.51.100.4")), ip("198.51.100.4"));
        assert_eq!(rate_key_address(ip("::ffff:198.51.100.4")), ip("198.51.100.4"));
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
