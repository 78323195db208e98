//! Who is calling, by address: the client's IP, taken from the peer of the TCP connection, or from
//! `X-Forwarded-For` when (and only when) that peer is a proxy the operator trusts. Anonymous
//! callers are rate-limited by it.
use std::net::IpAddr;
use std::str::FromStr;

/// The caller's IP address, attached to every request and connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// An address or a CIDR block (`10.0.0.0/8`, `::1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` lies in the block (an IPv4 peer seen as IPv6-mapped counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not an IP address or CIDR block");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let network = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }
}

/// Parses a comma-separated list of addresses and CIDR blocks.
pub fn parse_cidrs(list: &str) -> Result<Vec<Cidr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: `peer`, unless `peer` is a trusted proxy; then the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it saw,
/// so everything left of the last untrusted hop may be forged by the client).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Cidr]) -> ClientIp {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|cidr| cidr.contains(ip));
    if !is_trusted(peer) {
        return ClientIp(peer);
    }
    let hops = forwarded_for.unwrap_or_default().split(',').rev();
    let mut client = peer;
    for hop in hops {
        let Ok(ip) = hop.trim().parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    ClientIp(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_hold_what_they_say() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.1.2.3")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.9")));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert_eq!(parse_cidrs("127.0.0.1, 10.0.0.0/8").unwrap().len(), 2);
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_peer() {
        let trusted = parse_cidrs("10.0.0.0/8").unwrap();
        let xff = Some("6.6.6.6, 1.2.3.4, 10.0.0.7");
        assert_eq!(client_ip(ip("10.0.0.1"), xff, &trusted).0, ip("1.2.3.4"));
        assert_eq!(client_ip(ip("9.9.9.9"), xff, &trusted).0, ip("9.9.9.9"));
        assert_eq!(client_ip(ip("10.0.0.1"), None, &trusted).0, ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some("junk"), &trusted).0,
            ip("10.0.0.1")
        );
    }
}
