//! Which address a request comes from. A connection from a trusted reverse proxy (the
//! `trusted_proxies` setting) is believed about the client it forwards: the rightmost address in
//! its forwarding header that is not itself a trusted proxy. Any other connection is its own
//! client, whatever headers it sends. Every per-address limit takes its key from here.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && masked(ip, self.prefix) == self.network
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<IpNet, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or network such as 10.0.0.0/8"))?;
        let network = network.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0-{bits}"))?,
        };
        if masked(network, prefix) != network {
            return Err(format!(
                "{text:?} has bits set after the prefix; the network is {}/{prefix}",
                masked(network, prefix)
            ));
        }
        Ok(IpNet { network, prefix })
    }
}

/// `ip` with the bits after the first `prefix` cleared.
fn masked(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The header a trusted proxy names the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Caddy, HAProxy).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    /// From the setting's value: `x-forwarded-for` or `forwarded`.
    pub fn parse(text: &str) -> Option<ForwardedHeader> {
        match text.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ForwardedHeader::XForwardedFor),
            "forwarded" => Some(ForwardedHeader::Forwarded),
            _ => None,
        }
    }

    /// The hops the header lists, nearest the server first (the order they are walked in), read
    /// one at a time so a long header costs only the hops walked; `None` for one that names no
    /// address (`unknown`, an obfuscated name, garbage).
    fn hops_from_the_right(self, headers: &HeaderMap) -> impl Iterator<Item = Option<IpAddr>> {
        let name = match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        headers.get_all(name).iter().rev().flat_map(
            move |value| -> Box<dyn Iterator<Item = Option<IpAddr>>> {
                let Ok(value) = value.to_str() else {
                    return Box::new(std::iter::once(None));
                };
                Box::new(value.rsplit(',').map(move |element| {
                    match self {
                        ForwardedHeader::XForwardedFor => parse_node(element),
                        ForwardedHeader::Forwarded => element
                            .split(';')
                            .filter_map(|pair| pair.split_once('='))
                            .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                            .and_then(|(_, node)| parse_node(node)),
                    }
                }))
            },
        )
    }
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, optionally in quotes.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    text.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// The most hops read from a forwarding header, more than any real chain of trusted proxies has:
/// a header may hold thousands of client-written entries, and only the walk's end matters.
pub const MAX_TRUSTED_HOPS: usize = 16;

/// The reverse proxies whose forwarding header is believed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedProxies {
    pub networks: Vec<IpNet>,
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|net| net.contains(ip))
    }

    /// The client of a request that arrived from `peer` with `headers`: `peer` itself unless it
    /// is a trusted proxy; then the rightmost hop of the forwarding header that is not a trusted
    /// proxy (the addresses left of it were written by the client and prove nothing). A hop
    /// without an address stops the walk at the last address known, and so does the
    /// [`MAX_TRUSTED_HOPS`]th trusted hop.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in self
            .header
            .hops_from_the_right(headers)
            .take(MAX_TRUSTED_HOPS)
        {
            let Some(hop) = hop else {
                return client;
            };
            client = hop.to_canonical();
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn proxies(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies {
            networks: nets.iter().map(|n| n.parse().expect("net")).collect(),
            header,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("value"));
        }
        map
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: IpNet = "10.0.0.0/8".parse().expect("net");
        assert!(net.contains(ip("10.200.3.4")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        let one: IpNet = "192.0.2.7".parse().expect("address");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "2001:db8::/32".parse().expect("v6");
        assert!(v6.contains(ip("2001:db8:1::9")) && !v6.contains(ip("2001:db9::1")));
        assert!(
            "0.0.0.0/0"
                .parse::<IpNet>()
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        for bad in ["10.0.0.1/8", "10.0.0.0/33", "ten", "10.0.0.0/x", ""] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        let err = "10.0.0.1/8".parse::<IpNet>().expect_err("host bits");
        assert!(err.contains("10.0.0.0/8"), "{err}");
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let trusted = proxies(&["127.0.0.1"], ForwardedHeader::XForwardedFor);
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            trusted.client_address(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1"),
            "a stranger's header is ignored"
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &spoofed),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1"),
            "no header: the proxy itself"
        );
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client_address(ip("127.0.0.1"), &spoofed),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        // The client wrote "1.1.1.1" itself; the outer proxy 10.0.0.2 appended 203.0.113.5.
        let chain = headers(&[
            ("x-forwarded-for", "1.1.1.1, 203.0.113.5"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &chain),
            ip("203.0.113.5")
        );
        let garbage = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.0.0.3")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &garbage),
            ip("10.0.0.3"),
            "an unreadable hop stops the walk"
        );
        let with_port = headers(&[("x-forwarded-for", "[2001:db8::7]:4711")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &with_port),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn the_walk_stops_after_the_longest_chain_of_trusted_hops() {
        let trusted = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let proxy = |i: usize| IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]);
        // The client, then `n` trusted proxies; the last one is the peer.
        let chain = |n: usize| {
            let mut hops = vec!["203.0.113.5".to_owned()];
            hops.extend((0..n).map(|i| proxy(i).to_string()));
            headers(&[("x-forwarded-for", &hops.join(", "))])
        };
        let peer = ip("10.255.0.1");
        assert_eq!(
            trusted.client_address(peer, &chain(MAX_TRUSTED_HOPS - 1)),
            ip("203.0.113.5"),
            "a chain within the bound is walked to its client"
        );
        let long = 5000;
        assert_eq!(
            trusted.client_address(peer, &chain(long)),
            proxy(long - MAX_TRUSTED_HOPS),
            "the walk ends at the {MAX_TRUSTED_HOPS}th hop from the right"
        );
    }

    #[test]
    fn the_forwarded_header_is_read_when_chosen() {
        let trusted = proxies(&["127.0.0.0/8"], ForwardedHeader::Forwarded);
        let forwarded = headers(&[
            (
                "forwarded",
                "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"",
            ),
            ("x-forwarded-for", "198.51.100.3"),
        ]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &forwarded),
            ip("2001:db8::1"),
            "Forwarded is read, X-Forwarded-For ignored"
        );
        assert_eq!(
            ForwardedHeader::parse("Forwarded"),
            Some(ForwardedHeader::Forwarded)
        );
        assert_eq!(ForwardedHeader::parse("x-real-ip"), None);
    }
}
