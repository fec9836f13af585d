//! Who the client is, for rate limits and logs: the peer address of the connection, unless the
//! peer is one of the `ATELIER_TRUSTED_PROXIES`; then the address that proxy reports in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`, read from the right and skipping further trusted
//! proxies. A header from an untrusted peer is never believed, so a client cannot pick its own
//! address and dodge its limits.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Hops as each proxy appended them, the nearest last. `Forwarded` wins when present.
    let mut hops: Vec<IpAddr> = forwarded_for(headers);
    if hops.is_empty() {
        hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(parse_node)
            .collect();
    }
    for hop in hops.iter().rev() {
        if !is_trusted(hop) {
            return *hop;
        }
    }
    // Every hop is a trusted proxy (or there were none): the farthest one is the best we know.
    hops.first().copied().unwrap_or(peer)
}

/// The `for=` parameters of every `Forwarded` element, in order.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all(http::header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value))
                    .flatten()
            })
        })
        .collect()
}

/// One node: `203.0.113.7`, `"[2001:db8::1]:4711"`, `198.51.100.2:8080`. Obfuscated or
/// `unknown` nodes are not addresses.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    let inner = text.strip_prefix('[')?.split(']').next()?;
    inner.parse().ok()
}

/// Parses `ATELIER_TRUSTED_PROXIES`: CIDRs or single addresses, separated by commas or spaces.
pub fn parse_trusted(text: &str) -> Result<Vec<IpNet>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{part:?} is not an address or CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &[]),
            ip("203.0.113.9")
        );
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client prepended a forged hop; the proxy appended the real one.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https, for=192.168.1.1",
        )]);
        assert_eq!(
            client_ip(ip("192.168.1.1"), &forwarded, &trusted),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn trusted_proxy_lists_are_checked() {
        assert!(parse_trusted("").unwrap().is_empty());
        assert_eq!(parse_trusted("127.0.0.1 ::1/128").unwrap().len(), 2);
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.internal").is_err());
    }
}
