//! The addresses a registry's name may lead to. The gateway runs in the host's network, so a
//! name on the allowlist that resolves to a loopback, private or link-local address (a
//! wildcard entry whose subdomains anyone can point anywhere, a rebinding name server) would
//! otherwise reach the host's own services or its local network.
//!
//! Invariant: the gateway connects a registry request only to an address [`is_public`]
//! accepts, and to the address it checked (the name is resolved once). The control plane and
//! the provider are exempt: they are named by the provider's configuration, not the sandbox.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether `ip` may be reached as a registry: not unspecified, loopback, private, shared
/// (carrier-grade NAT), link-local, multicast, broadcast or reserved, in IPv4 or IPv6 (an
/// IPv4 address embedded in IPv6 is judged as IPv4). The documentation ranges are allowed:
/// some test networks resolve public names into them.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let protocol_assignments = a == 192 && b == 0 && ip.octets()[2] == 0;
    !(a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || shared
        || protocol_assignments
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (`::a.b.c.d`, deprecated) and NAT64 (`64:ff9b::a.b.c.d`).
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return is_public_v4(embedded);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded);
    }
    // 6to4 (`2002:a.b.c.d::/48`).
    if s[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    let unique_local = (s[0] & 0xfe00) == 0xfc00;
    let link_local = (s[0] & 0xffc0) == 0xfe80;
    let site_local = (s[0] & 0xffc0) == 0xfec0;
    !(ip.is_unspecified() || ip.is_loopback() || unique_local || link_local || site_local || ip.is_multicast())
}

/// The public addresses among `resolved` (what `host` resolved to), or why there are none.
pub fn public_only(host: &str, resolved: impl IntoIterator<Item = SocketAddr>) -> Result<Vec<SocketAddr>, String> {
    let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved.into_iter().partition(|a| is_public(a.ip()));
    match (public.is_empty(), private.first()) {
        (false, _) => Ok(public),
        (true, Some(private)) => {
            Err(format!("{host} resolves to {}, a loopback, private or link-local address", private.ip()))
        }
        (true, None) => Err(format!("{host} does not resolve")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for (ip, public) in [
            ("104.16.0.35", true),
            ("8.8.8.8", true),
            ("203.0.113.80", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", false),
            ("127.8.8.8", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("100.128.0.1", true),
            ("192.0.0.8", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700::6810:23", true),
            ("::", false),
            ("::1", false),
            ("fc00::1", false),
            ("fd00::2", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::808:808", true),
            ("2002:7f00:1::1", false),
            ("2002:808:808::1", true),
        ] {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn a_name_with_only_private_addresses_is_refused_with_one_of_them() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            public_only("cdn.example", [addr("127.0.0.1:443"), addr("104.16.0.35:443")]),
            Ok(vec![addr("104.16.0.35:443")])
        );
        let e = public_only("evil.example-cdn.net", [addr("169.254.169.254:443")]).unwrap_err();
        assert!(e.contains("evil.example-cdn.net resolves to 169.254.169.254"), "{e}");
        assert!(public_only("nothing.example", []).unwrap_err().contains("does not resolve"));
    }
}
