//! Which addresses the fetcher may connect to: [`is_public`] judges an address, [`Allow`]
//! lists the exceptions (KIOSQUE_FETCH_ALLOW), and [`Guard`] resolves a URL's host, refuses
//! it with a readable reason when any of its addresses is neither public nor allowed, and
//! pins the addresses it checked so that the client's resolver ([`PinnedResolver`]) connects
//! only to those: a name cannot resolve to another address between the check and the connect.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use url::{Host, Url};

use crate::web::FetchError;

/// The setting that lists exceptions, named in refusals.
const SETTING: &str = "KIOSQUE_FETCH_ALLOW";

/// Host names and networks fetched even though they are not public (KIOSQUE_FETCH_ALLOW).
/// The default allows nothing beyond public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    /// Lower-case host names, without a trailing dot: allowed whatever they resolve to.
    names: Vec<String>,
    /// Networks: (first address, prefix length).
    nets: Vec<(IpAddr, u8)>,
}

impl Allow {
    /// Parses a comma-separated list of host names, addresses and CIDR networks, such as
    /// `"127.0.0.1, example.org, 10.0.0.0/8, ::1, fd00::/8"`. The error names the bad entry.
    pub fn parse(list: &str) -> Result<Allow, String> {
        let mut allow = Allow::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| format!("{SETTING}: {entry:?} is not {why}");
            if let Some((addr, prefix)) = entry.split_once('/') {
                let addr: IpAddr = unbracket(addr)
                    .parse()
                    .map_err(|_| bad("a network (the address before / is not an IP address)"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
                    bad(&format!("a network (the prefix length must be 0 to {max})"))
                })?;
                allow.nets.push((addr, prefix));
            } else if let Ok(addr) = unbracket(entry).parse::<IpAddr>() {
                let prefix = if addr.is_ipv4() { 32 } else { 128 };
                allow.nets.push((addr, prefix));
            } else {
                let name = entry.trim_end_matches('.').to_ascii_lowercase();
                let valid = !name.is_empty()
                    && name.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && label
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    });
                if !valid {
                    return Err(bad(
                        "a host name, an IP address or a network such as 10.0.0.0/8",
                    ));
                }
                allow.names.push(name);
            }
        }
        Ok(allow)
    }

    /// Whether the host name is listed (whatever it resolves to).
    pub fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.names.iter().any(|n| n.eq_ignore_ascii_case(host))
    }

    /// Whether the address is in a listed network (an IPv4-mapped IPv6 address counts as its
    /// IPv4 address).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets
            .iter()
            .any(|&(net, prefix)| in_net(ip, net, prefix))
    }
}

fn unbracket(s: &str) -> &str {
    s.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s)
}

fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Whether an address is public: reachable on the Internet and none of loopback, private,
/// link-local, shared (CGNAT), multicast, broadcast, unspecified, reserved, documentation or
/// benchmarking. IPv6 forms that embed an IPv4 address are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    not_public(ip).is_none()
}

/// Why an address is not public, or None when it is.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => not_public_v4(ip),
        IpAddr::V6(ip) => not_public_v6(ip),
    }
}

fn not_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let n = u32::from(ip);
    let within = |net: [u8; 4], prefix: u8| in_net(IpAddr::V4(ip), IpAddr::V4(net.into()), prefix);
    let reason = if n == 0 {
        "unspecified"
    } else if n == u32::MAX {
        "broadcast"
    } else if within([0, 0, 0, 0], 8) {
        "this network, 0.0.0.0/8"
    } else if within([127, 0, 0, 0], 8) {
        "loopback"
    } else if within([10, 0, 0, 0], 8)
        || within([172, 16, 0, 0], 12)
        || within([192, 168, 0, 0], 16)
    {
        "private"
    } else if within([169, 254, 0, 0], 16) {
        "link-local, where cloud metadata services answer"
    } else if within([100, 64, 0, 0], 10) {
        "shared address space (CGNAT)"
    } else if within([192, 0, 0, 0], 24) {
        "IETF protocol assignments"
    } else if within([192, 0, 2, 0], 24)
        || within([198, 51, 100, 0], 24)
        || within([203, 0, 113, 0], 24)
    {
        "documentation"
    } else if within([198, 18, 0, 0], 15) {
        "benchmarking"
    } else if within([224, 0, 0, 0], 4) {
        "multicast"
    } else if within([240, 0, 0, 0], 4) {
        "reserved"
    } else {
        return None;
    };
    Some(reason)
}

fn not_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let n = u128::from(ip);
    let within = |net: u128, prefix: u32| n >> (128 - prefix) == net >> (128 - prefix);
    // The low 32 bits, for the forms that embed an IPv4 address there.
    let low_v4 = Ipv4Addr::from((n & 0xffff_ffff) as u32);
    if n == 0 {
        Some("unspecified")
    } else if n == 1 {
        Some("loopback")
    } else if within(0xffff_0000_0000, 96) {
        // IPv4-mapped ::ffff:a.b.c.d
        not_public_v4(low_v4)
    } else if within(0, 96) {
        // IPv4-compatible ::a.b.c.d (deprecated, still routed to the IPv4 address by some stacks)
        not_public_v4(low_v4)
    } else if within(0x0064_ff9b_u128 << 96, 96) {
        // NAT64 64:ff9b::a.b.c.d
        not_public_v4(low_v4)
    } else if within(0x2002_u128 << 112, 16) {
        // 6to4 2002:AABB:CCDD::/48 embeds a.b.c.d in bits 16 to 48
        not_public_v4(Ipv4Addr::from((n >> 80) as u32))
    } else if within(0xfc00_u128 << 112, 7) {
        Some("unique local")
    } else if within(0xfe80_u128 << 112, 10) {
        Some("link-local")
    } else if within(0xfec0_u128 << 112, 10) {
        Some("site-local")
    } else if within(0xff00_u128 << 112, 8) {
        Some("multicast")
    } else if within(0x2001_0db8_u128 << 96, 32) || within(0x3fff_u128 << 112, 20) {
        Some("documentation")
    } else if within(0x2001_0002_u128 << 96, 48) {
        Some("benchmarking")
    } else if within(0x2001_u128 << 112, 23) {
        // IETF protocol assignments, Teredo (2001::/32) among them
        Some("IETF protocol assignments")
    } else if !within(0x2000_u128 << 112, 3) {
        // Everything outside global unicast 2000::/3: NAT64 local use, discard-only, unassigned
        Some("reserved")
    } else {
        None
    }
}

/// A refusal raised inside the client's resolver, found again in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// Resolves hosts, judges their addresses and pins the addresses judged.
#[derive(Debug, Default)]
pub struct Guard {
    allow: Allow,
    /// Host name → the addresses last checked for it: what the client connects to.
    pins: Mutex<HashMap<String, Vec<IpAddr>>>,
}

impl Guard {
    pub fn new(allow: Allow) -> Guard {
        Guard {
            allow,
            pins: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the URL's host before connecting: resolves a name (within the deadline), and
    /// refuses it when any address is neither public nor allowed. The addresses of a name are
    /// pinned for [`PinnedResolver`].
    pub fn check(
        &self,
        url: &Url,
        deadline: Instant,
        timeout: FetchError,
    ) -> Result<(), FetchError> {
        match url.host() {
            Some(Host::Ipv4(ip)) => self.judge_literal(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.judge_literal(IpAddr::V6(ip)),
            Some(Host::Domain(name)) => {
                let name = name.to_ascii_lowercase();
                let ips = lookup_within(&name, deadline, timeout)?;
                self.judge_name(&name, &ips)
                    .map_err(|r| FetchError::Refused(r.0))?;
                let mut pins = self.pins.lock().unwrap_or_else(|p| p.into_inner());
                if pins.len() > 4096 {
                    pins.clear();
                }
                pins.insert(name, ips);
                Ok(())
            }
            None => Err(FetchError::Refused("the URL has no host".into())),
        }
    }

    fn judge_literal(&self, ip: IpAddr) -> Result<(), FetchError> {
        match not_public(ip) {
            Some(why) if !self.allow.allows_ip(ip) => Err(FetchError::Refused(format!(
                "{ip} is not a public address ({why}); allow it with {SETTING}"
            ))),
            _ => Ok(()),
        }
    }

    fn judge_name(&self, name: &str, ips: &[IpAddr]) -> Result<(), Refusal> {
        if ips.is_empty() {
            return Err(Refusal(format!("{name} has no address")));
        }
        if self.allow.allows_name(name) {
            return Ok(());
        }
        for &ip in ips {
            if let Some(why) = not_public(ip).filter(|_| !self.allow.allows_ip(ip)) {
                return Err(Refusal(format!(
                    "{name} resolves to {ip}, which is not a public address ({why}); \
                     allow it with {SETTING}"
                )));
            }
        }
        Ok(())
    }

    /// The addresses the client may connect to for a name: those pinned by [`Guard::check`],
    /// or else (never expected) resolved and judged here.
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, Refusal> {
        let name = name.to_ascii_lowercase();
        let pinned = self
            .pins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&name)
            .cloned();
        let ips = match pinned {
            Some(ips) => ips,
            None => lookup(&name).map_err(|e| Refusal(e.to_string()))?,
        };
        self.judge_name(&name, &ips)?;
        Ok(ips)
    }
}

/// Resolves a name with the system resolver.
fn lookup(name: &str) -> Result<Vec<IpAddr>, FetchError> {
    let addrs = (name, 0u16)
        .to_socket_addrs()
        .map_err(|e| FetchError::Network(format!("cannot resolve {name}: {e}")))?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in addrs {
        if !ips.contains(&a.ip()) {
            ips.push(a.ip());
        }
    }
    Ok(ips)
}

/// [`lookup`] on a thread of its own, waiting until the deadline at most (`timeout` then):
/// the system resolver has no timeout of ours.
fn lookup_within(
    name: &str,
    deadline: Instant,
    timeout: FetchError,
) -> Result<Vec<IpAddr>, FetchError> {
    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
        return Err(timeout);
    };
    let (send, receive) = mpsc::channel();
    let owned = name.to_string();
    std::thread::Builder::new()
        .name("kiosque-resolve".into())
        .spawn(move || {
            // The receiver may have given up at its deadline: nothing to do then.
            let _ = send.send(lookup(&owned));
        })
        .map_err(|e| FetchError::Network(format!("cannot resolve {name}: {e}")))?;
    receive.recv_timeout(left).map_err(|_| timeout)?
}

/// The client's resolver: the addresses [`Guard::check`] pinned and judged, nothing else.
pub struct PinnedResolver(pub Arc<Guard>);

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = Arc::clone(&self.0);
        let name = name.as_str().to_string();
        Box::pin(async move {
            let ips = guard.resolve(&name)?;
            // Port 0: reqwest puts the URL's port, or the scheme's, in its place.
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_that_are_not_public() {
        let table = [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network, 0.0.0.0/8"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            (
                "169.254.169.254",
                "link-local, where cloud metadata services answer",
            ),
            ("100.64.0.1", "shared address space (CGNAT)"),
            ("100.127.255.255", "shared address space (CGNAT)"),
            ("192.0.0.8", "IETF protocol assignments"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.254", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("2001::1", "IETF protocol assignments"),
            ("100::1", "reserved"),
            ("64:ff9b:1::1", "reserved"),
            // IPv6 forms judged by the IPv4 address they embed
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            (
                "::ffff:169.254.169.254",
                "link-local, where cloud metadata services answer",
            ),
            ("::127.0.0.1", "loopback"),
            ("::10.0.0.1", "private"),
            ("64:ff9b::127.0.0.1", "loopback"),
            ("64:ff9b::192.168.0.1", "private"),
            ("2002:7f00:0001::1", "loopback"),
            (
                "2002:a9fe:a9fe::",
                "link-local, where cloud metadata services answer",
            ),
        ];
        for (addr, why) in table {
            assert_eq!(not_public(ip(addr)), Some(why), "{addr}");
            assert!(!is_public(ip(addr)), "{addr}");
        }
    }

    #[test]
    fn public_addresses() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4007::64",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(addr)), "{addr}: {:?}", not_public(ip(addr)));
        }
    }

    proptest! {
        #[test]
        fn embedded_ipv4_judged_as_itself(n in any::<u32>()) {
            let v4 = Ipv4Addr::from(n);
            let public = is_public(IpAddr::V4(v4));
            prop_assert_eq!(is_public(IpAddr::V6(v4.to_ipv6_mapped())), public);
            let nat64 = Ipv6Addr::from((0x0064_ff9b_u128 << 96) | u128::from(n));
            prop_assert_eq!(is_public(IpAddr::V6(nat64)), public);
            let six_to_four = Ipv6Addr::from((0x2002_u128 << 112) | (u128::from(n) << 80) | 1);
            prop_assert_eq!(is_public(IpAddr::V6(six_to_four)), public);
        }
    }

    #[test]
    fn allow_lists_parse() {
        let allow =
            Allow::parse(" 127.0.0.1, Example.org., 10.0.0.0/8 ,::1, fd00::/8, [::2],").unwrap();
        assert!(allow.allows_ip(ip("127.0.0.1")));
        assert!(!allow.allows_ip(ip("127.0.0.2")));
        assert!(allow.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(allow.allows_ip(ip("10.200.3.4")));
        assert!(!allow.allows_ip(ip("11.0.0.1")));
        assert!(allow.allows_ip(ip("::1")));
        assert!(allow.allows_ip(ip("::2")));
        assert!(allow.allows_ip(ip("fd00::5")));
        assert!(!allow.allows_ip(ip("fc00::5")));
        assert!(allow.allows_name("example.org"));
        assert!(allow.allows_name("EXAMPLE.ORG."));
        assert!(!allow.allows_name("www.example.org"));
        let everything = Allow::parse("0.0.0.0/0, ::/0").unwrap();
        assert!(everything.allows_ip(ip("192.168.0.1")) && everything.allows_ip(ip("fe80::1")));
        assert_eq!(Allow::parse("").unwrap(), Allow::default());
        assert!(!Allow::default().allows_ip(ip("127.0.0.1")));
    }

    #[test]
    fn allow_list_errors_name_the_entry() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "300.1.1.1/8",
            "foo bar",
            "http://x.org",
            "a..b",
            "/8",
        ] {
            let err = Allow::parse(&format!("127.0.0.1, {bad}")).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
            assert!(err.contains("KIOSQUE_FETCH_ALLOW"), "{err}");
        }
    }

    #[test]
    fn literals_and_names_are_judged_with_readable_reasons() {
        let far = Instant::now() + std::time::Duration::from_secs(5);
        let guard = Guard::new(Allow::parse("127.0.0.1").unwrap());
        let check = |u: &str| guard.check(&Url::parse(u).unwrap(), far, FetchError::Timeout(5));
        assert_eq!(check("http://127.0.0.1:9/"), Ok(()));
        assert_eq!(
            check("http://127.0.0.2/"),
            Err(FetchError::Refused(
                "127.0.0.2 is not a public address (loopback); allow it with KIOSQUE_FETCH_ALLOW"
                    .into()
            ))
        );
        assert!(matches!(
            check("http://[::1]/"),
            Err(FetchError::Refused(_))
        ));
        // localhost resolves to 127.0.0.1 (allowed) here, and maybe ::1 (not allowed)
        let names = Guard::new(Allow::default());
        let err = names
            .judge_name("intranet.example", &[ip("93.184.216.34"), ip("10.0.0.1")])
            .unwrap_err();
        assert_eq!(
            err.0,
            "intranet.example resolves to 10.0.0.1, which is not a public address (private); \
             allow it with KIOSQUE_FETCH_ALLOW"
        );
        let named = Guard::new(Allow::parse("intranet.example").unwrap());
        assert!(named
            .judge_name("intranet.example", &[ip("10.0.0.1")])
            .is_ok());
        assert!(named
            .judge_name("other.example", &[ip("10.0.0.1")])
            .is_err());
        assert!(names.judge_name("empty.example", &[]).is_err());
    }
}
