//! Who the client is, behind the reverse proxy the README prescribes.
//!
//! The TCP peer of a portal behind a proxy is the proxy: every user would share one address,
//! and 20 wrong logins from anyone would lock everyone out. With `ECM_TRUSTED_PROXIES` (a
//! comma-separated list of addresses or CIDR blocks: `10.0.0.0/8, 127.0.0.1, fd00::/8`), a
//! request whose peer is a trusted proxy is attributed to the right-most `X-Forwarded-For` hop
//! that is *not* a trusted proxy: every hop to its right was appended by a proxy we trust,
//! every hop to its left may have been written by the client itself and is ignored. A request
//! from any other peer is attributed to the peer, whatever headers it sends.
//!
//! The result goes into the request's extensions as [`app::state::ClientAddress`], read by
//! `app::state::client_address` (login throttling, registration limits).

use std::net::IpAddr;

use app::state::ClientAddress;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// One trusted address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `ipv6/n`.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

/// IPv4 addresses seen as IPv4-mapped IPv6 (`::ffff:a.b.c.d`, a dual-stack socket) are IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The trusted proxies (`ECM_TRUSTED_PROXIES`); empty: nobody is trusted, the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// A comma-separated list; `Err` names the first entry that is not an address or block.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Cidr::parse(entry).ok_or_else(|| format!("{entry:?} is not an IP address or CIDR block")))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    /// The client of a request that came from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        // Every X-Forwarded-For header, in order, as one list of hops (left: farthest).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Not an address: not written by a proxy we trust. The hop to its right is
                // the farthest we can vouch for.
                return client;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// A hop as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).and_then(|ip| ip.parse().ok())
}

/// Middleware: puts the request's [`ClientAddress`] into its extensions.
pub async fn resolve_client(
    State(trusted): State<std::sync::Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().copied() {
        let client = trusted.client(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_and_single_addresses() {
        let cidr = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(cidr.contains(ip("10.255.1.2")));
        assert!(!cidr.contains(ip("11.0.0.1")));
        assert!(cidr.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped IPv6 is IPv4");
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("proxy.local"), None);
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense").unwrap_err().contains("nonsense"));
        assert_eq!(TrustedProxies::parse(" ").unwrap(), TrustedProxies::default());
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])), ip("203.0.113.9"));
        let proxy = TrustedProxies::parse("10.0.0.5").unwrap();
        assert_eq!(
            proxy.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])),
            ip("203.0.113.9"),
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client wrote a fake first hop; the proxy appended what it really saw.
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&["1.1.1.1, 198.51.100.7"])), ip("198.51.100.7"));
        // Two proxies, two headers.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &headers(&["6.6.6.6, 198.51.100.7", "10.0.0.9"])),
            ip("198.51.100.7")
        );
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&["198.51.100.7:51234"])), ip("198.51.100.7"));
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&["[2001:db8::7]:443"])), ip("2001:db8::7"));
        // No header: the proxy itself (a health check).
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&[])), ip("10.0.0.5"));
        // Garbage at the right: nothing a trusted proxy wrote; the proxy is what we know.
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&["198.51.100.7, unknown"])), ip("10.0.0.5"));
        // Every hop trusted: the farthest one.
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers(&["10.1.1.1, 10.2.2.2"])), ip("10.1.1.1"));
    }
}
