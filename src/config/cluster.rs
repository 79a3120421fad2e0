//! The settings of machines that share one index through NATS (`kiosque writer`, and
//! `kiosque serve-http` as a replica): where the servers are, how many copies JetStream keeps,
//! and the name this process goes by.

use clap::Args;

use super::serve::invalid;
use crate::cluster::Settings;

/// NATS settings, shared by the writer and the replicas.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS servers the writer and the replicas share, comma-separated
    /// (nats://127.0.0.1:4222); unset or empty: one machine, no NATS
    #[arg(long = "nats", env = "KIOSQUE_NATS_URL", default_value = "", hide_default_value = true, value_parser = nats_urls)]
    pub nats: NatsUrls,
    /// Copies JetStream keeps of each shared bucket: 1, or 3 on a three-node cluster
    #[arg(long, env = "KIOSQUE_NATS_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub nats_replicas: u8,
    /// This process's name in the writer's lease and the replicas' reports (default: the
    /// host's name and the process id)
    #[arg(long, env = "KIOSQUE_NAME")]
    pub name: Option<String>,
}

/// NATS servers' URLs; none: one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsUrls(pub Vec<String>);

impl NatsArgs {
    /// The cluster's settings; None when no server is set (one machine).
    pub fn settings(&self) -> Option<Settings> {
        if self.nats.0.is_empty() {
            return None;
        }
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}-{}", host(), std::process::id()));
        Some(Settings {
            urls: self.nats.0.clone(),
            replicas: usize::from(self.nats_replicas),
            name,
        })
    }
}

/// This machine's name, as the kernel has it.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "kiosque".to_string())
}

/// Comma-separated `nats://host:port` (or `host:port`) URLs.
fn nats_urls(value: &str) -> Result<NatsUrls, String> {
    let mut urls = Vec::new();
    for url in value.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let hostport = url.strip_prefix("nats://").unwrap_or(url);
        let bad = || {
            invalid(
                "KIOSQUE_NATS_URL",
                format!("{url:?} is not nats://host:port"),
            )
        };
        let (host, port) = hostport.rsplit_once(':').ok_or_else(bad)?;
        if host.is_empty() || host.contains(['/', '@', ' ']) || port.parse::<u16>().is_err() {
            return Err(bad());
        }
        urls.push(format!("nats://{hostport}"));
    }
    Ok(NatsUrls(urls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nats_urls_are_read_and_checked() {
        assert_eq!(nats_urls("").unwrap(), NatsUrls::default());
        assert_eq!(
            nats_urls("nats://127.0.0.1:14221, 127.0.0.1:14222")
                .unwrap()
                .0,
            ["nats://127.0.0.1:14221", "nats://127.0.0.1:14222"]
        );
        for bad in [
            "nats://",
            "127.0.0.1",
            "nats://h:notaport",
            "http://x/y:1",
            "u@h:1",
        ] {
            let e = nats_urls(bad).unwrap_err();
            assert!(e.contains("Invalid KIOSQUE_NATS_URL"), "{bad}: {e}");
        }
    }
}
