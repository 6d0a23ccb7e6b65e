//! Which address a request is counted under (`TrustedProxies::client_address`, the key of every
//! per-address limit) on any `trusted_proxies` list and any forwarding headers. The first line is
//! the list (networks separated by spaces; those `IpNet` refuses are skipped); every further line
//! is one header value, raw bytes. The answer is the peer itself unless the peer is trusted, and
//! otherwise the peer or an address the headers name; a network that parses prints as itself.
//! Headers longer than any real chain must cost no more than the walk's bound.

#![no_main]

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sync_server::proxies::{ForwardedHeader, IpNet, TrustedProxies};

/// The peers tried: a trusted proxy's usual addresses and a stranger's.
const PEERS: [&str; 4] = ["127.0.0.1", "10.0.0.1", "::1", "203.0.113.9"];

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let networks: Vec<IpNet> = first
        .split_whitespace()
        .filter_map(|text| text.parse().ok())
        .collect();
    for network in &networks {
        assert_eq!(network.to_string().parse::<IpNet>(), Ok(*network));
    }
    let (header, name) = if data.len() % 2 == 0 {
        (ForwardedHeader::XForwardedFor, "x-forwarded-for")
    } else {
        (ForwardedHeader::Forwarded, "forwarded")
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(name, value);
        }
    }
    let named = addresses_in(&headers, name);
    let proxies = TrustedProxies { networks, header };
    for peer in PEERS {
        let peer: IpAddr = peer.parse().expect("an address");
        let client = proxies.client_address(peer, &headers);
        let trusted = proxies.networks.iter().any(|net| net.contains(peer));
        if !trusted {
            assert_eq!(client, peer, "an untrusted peer is its own client");
        } else {
            assert!(
                client == peer || named.contains(&client),
                "{client} is neither the peer nor named in a header"
            );
        }
    }
});

/// Every address any token of the `name` headers could be read as (a superset of the hops).
fn addresses_in(headers: &HeaderMap, name: &str) -> Vec<IpAddr> {
    let tokens = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split([',', ';', '=', ' ', '\t', '"']));
    tokens
        .filter_map(|token| {
            let token = token.trim();
            let bracketed = token
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .map(|(inside, _)| inside);
            token
                .parse::<IpAddr>()
                .ok()
                .or_else(|| bracketed?.parse().ok())
                .or_else(|| token.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        })
        .map(|ip| ip.to_canonical())
        .collect()
}
