//! The client's address: the peer, or — when the peer is a proxy the operator trusts
//! (`server.trusted_proxies`) — the hop that proxy added to `X-Forwarded-For`. Used for
//! per-IP rate limits, sessions and the audit trail.

use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage, HttpRequest};
use ipnet::IpNet;
use std::net::IpAddr;

/// `X-Forwarded-For`.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The networks whose `X-Forwarded-For` hops are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) and single addresses; the error names the bad entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is neither a CIDR nor an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether `peer` is a trusted proxy (whose `X-Forwarded-*` headers are believed).
    pub fn trusts_peer(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusts(ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right, each hop added by
    /// a trusted proxy is believed, up to the first address that is not a trusted proxy. A
    /// malformed hop stops the walk at the last trusted address.
    ///
    /// ```
    /// use castellan_api::client_ip::TrustedProxies;
    /// let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
    /// let peer = "10.0.0.2".parse().ok();
    /// let client = proxies.client(peer, Some("198.51.100.1, 203.0.113.7, 10.0.0.9"));
    /// assert_eq!(client, "203.0.113.7".parse().ok());
    /// // Not from a trusted proxy: the header is ignored.
    /// let stranger = "192.0.2.5".parse().ok();
    /// assert_eq!(proxies.client(stranger, Some("203.0.113.7")), stranger);
    /// ```
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let mut client = peer?;
        let Some(header) = forwarded_for else {
            return Some(client);
        };
        let mut hops = header.rsplit(',').map(str::trim);
        while self.trusts(client) {
            match hops.next().and_then(|hop| hop.parse::<IpAddr>().ok()) {
                Some(hop) => client = hop,
                None => break,
            }
        }
        Some(client)
    }
}

/// The client's address, worked out once per request by the request middleware.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// Works out and stores the client's address of `req` (see [`TrustedProxies::client`]).
pub fn resolve(req: &ServiceRequest, proxies: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|addr| addr.ip());
    let header = req
        .headers()
        .get(FORWARDED_FOR)
        .and_then(|v| v.to_str().ok());
    let client = proxies.client(peer, header);
    req.extensions_mut().insert(ClientIp(client));
    client
}

/// The client's address of a request the middleware has seen (else the peer).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    match req.extensions().get::<ClientIp>() {
        Some(ClientIp(ip)) => *ip,
        None => req.peer_addr().map(|addr| addr.ip()),
    }
}

#[cfg(test)]
mod tests {
    use super::TrustedProxies;

    #[test]
    fn nothing_trusted_means_the_peer() {
        let none = TrustedProxies::default();
        let peer = "10.0.0.2".parse().ok();
        assert_eq!(none.client(peer, Some("203.0.113.7")), peer);
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "192.168.1.1"]).unwrap();
        let peer = "10.1.1.1".parse().ok();
        let got = proxies.client(peer, Some("203.0.113.7, 192.168.1.1"));
        assert_eq!(got, "203.0.113.7".parse().ok());
        // A forged leftmost hop is never reached.
        let got = proxies.client(peer, Some("1.2.3.4, 203.0.113.7"));
        assert_eq!(got, "203.0.113.7".parse().ok());
    }

    #[test]
    fn garbage_stops_the_walk() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let peer = "10.1.1.1".parse().ok();
        assert_eq!(proxies.client(peer, Some("not-an-ip")), peer);
        assert_eq!(proxies.client(peer, Some("")), peer);
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(&["10.0.0.0/8", "ten"]).unwrap_err();
        assert!(err.contains("\"ten\""), "{err}");
    }
}
