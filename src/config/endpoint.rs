//! `kiosque serve-http`'s settings: where to listen, the application's public key and id, and
//! Discord's API base, each parsed into its type when clap reads it.

use std::net::SocketAddr;

use clap::Args;

use super::serve::{api_base, watch, ApiBase};
use super::ConfigError;

/// `kiosque serve-http`'s settings as clap read them; [`EndpointArgs::check`] makes them
/// [`Endpoint`] once the ones without a default are known to be there.
#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// Where to listen for Discord's interactions (put a TLS proxy such as nginx in front)
    #[arg(long, env = "KIOSQUE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The application's public key, 64 hexadecimal digits (Developer Portal > General Information)
    #[arg(long, env = "DISCORD_PUBLIC_KEY", value_parser = public_key)]
    pub public_key: Option<PublicKey>,
    /// The application's id (Developer Portal > General Information)
    #[arg(long, env = "DISCORD_APPLICATION_ID", value_parser = application_id)]
    pub application_id: Option<u64>,
    /// Base URL for every Discord HTTP call (a proxy, or a fake Discord in tests)
    #[arg(long, env = "DISCORD_API_BASE", default_value = "", hide_default_value = true, value_parser = api_base)]
    pub api_base: ApiBase,
    /// Reindex by itself when the corpus directory changes: on or off
    #[arg(long, env = "KIOSQUE_WATCH", default_value = "on", action = clap::ArgAction::Set, value_parser = watch)]
    pub watch: bool,
    /// Replicas share the writer's generations through NATS
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    pub cluster: super::NatsArgs,
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

/// Everything `kiosque serve-http` needs, checked.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub listen: SocketAddr,
    pub public_key: [u8; 32],
    pub application_id: u64,
    pub api_base: Option<String>,
    pub watch: bool,
    /// Set: a replica, answering from the generations the writer publishes through NATS.
    #[cfg(feature = "cluster")]
    pub cluster: Option<crate::cluster::Settings>,
}

impl EndpointArgs {
    pub fn check(&self) -> Result<Endpoint, ConfigError> {
        Ok(Endpoint {
            listen: self.listen,
            public_key: self
                .public_key
                .ok_or(ConfigError::Missing("DISCORD_PUBLIC_KEY"))?
                .0,
            application_id: self
                .application_id
                .ok_or(ConfigError::Missing("DISCORD_APPLICATION_ID"))?,
            api_base: self.api_base.0.clone(),
            watch: self.watch,
            #[cfg(feature = "cluster")]
            cluster: self.cluster.settings(),
        })
    }
}

fn public_key(value: &str) -> Result<PublicKey, String> {
    let value = value.trim();
    hex(value).map(PublicKey).ok_or_else(|| {
        super::serve::invalid(
            "DISCORD_PUBLIC_KEY",
            format!("{value:?} is not 64 hexadecimal digits"),
        )
    })
}

/// `N` bytes written as `2 N` hexadecimal digits (either case): a key here, a signature in
/// the interactions endpoint.
pub fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        *byte = (high * 16 + low) as u8;
    }
    Some(out)
}

fn application_id(value: &str) -> Result<u64, String> {
    super::serve::id("DISCORD_APPLICATION_ID", value)
}
