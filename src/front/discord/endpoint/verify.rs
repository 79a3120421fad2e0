//! Whether a request to the interactions endpoint comes from Discord: an Ed25519 signature
//! by the application's public key over the timestamp header followed by the body, checked
//! strictly (no malleable signature, no small-order key), a timestamp within
//! [`WINDOW_SECONDS`] of now, and a signature not seen before in that window (a replay).
//! Everything else is refused, with why in the log only: the answer is a bare 401.

use std::collections::HashMap;
use std::sync::Mutex;

use ed25519_dalek::{Signature, VerifyingKey};

use crate::config::hex;

/// How far the timestamp of a request may be from now, either way.
pub const WINDOW_SECONDS: i64 = 5;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no X-Signature-Ed25519 or X-Signature-Timestamp header")]
    Unsigned,
    #[error("the signature is not 128 hexadecimal digits")]
    BadHex,
    #[error("the timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the timestamp is more than {WINDOW_SECONDS} s from now")]
    Stale,
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("this signed request was already received")]
    Replayed,
}

/// The public key could not be a signer's.
#[derive(Debug, thiserror::Error)]
#[error("DISCORD_PUBLIC_KEY is not an Ed25519 public key")]
pub struct BadKey;

/// Checks requests against the application's public key.
pub struct Verifier {
    key: VerifyingKey,
    /// Signatures accepted, with their timestamp, while they could still be replayed.
    seen: Mutex<HashMap<[u8; 64], i64>>,
}

impl Verifier {
    pub fn new(public_key: [u8; 32]) -> Result<Verifier, BadKey> {
        let key = VerifyingKey::from_bytes(&public_key).map_err(|_| BadKey)?;
        if key.is_weak() {
            return Err(BadKey);
        }
        Ok(Verifier {
            key,
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// Accepts a request whose headers are `signature` and `timestamp`, received at `now`
    /// (seconds since the epoch), once.
    pub fn check(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), Refused> {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(Refused::Unsigned);
        };
        let signature: [u8; 64] = hex(signature.trim()).ok_or(Refused::BadHex)?;
        let at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Refused::BadTimestamp)?;
        if (now - at).abs() > WINDOW_SECONDS {
            return Err(Refused::Stale);
        }
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        self.key
            .verify_strict(&message, &Signature::from_bytes(&signature))
            .map_err(|_| Refused::BadSignature)?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 1024 {
            // a signature older than the window is refused as stale before it gets here
            seen.retain(|_, t| (now - *t).abs() <= WINDOW_SECONDS);
        }
        if seen.insert(signature, at).is_some() {
            return Err(Refused::Replayed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signer() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn verifier() -> Verifier {
        Verifier::new(signer().verifying_key().to_bytes()).unwrap()
    }

    fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
        let mut m = timestamp.as_bytes().to_vec();
        m.extend_from_slice(body);
        key.sign(&m)
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_signed_fresh_request_passes_once() {
        let v = verifier();
        let body = br#"{"type":1}"#;
        let sig = sign(&signer(), "1000", body);
        assert_eq!(v.check(Some(&sig), Some("1000"), body, 1003), Ok(()));
        assert_eq!(
            v.check(Some(&sig), Some("1000"), body, 1003),
            Err(Refused::Replayed)
        );
        let upper = sign(&signer(), "1001", body).to_uppercase();
        assert_eq!(v.check(Some(&upper), Some("1001"), body, 1001), Ok(()));
    }

    #[test]
    fn everything_else_is_refused() {
        let v = verifier();
        let body = br#"{"type":1}"#;
        let sig = sign(&signer(), "1000", body);
        assert_eq!(
            v.check(None, Some("1000"), body, 1000),
            Err(Refused::Unsigned)
        );
        assert_eq!(
            v.check(Some(&sig), None, body, 1000),
            Err(Refused::Unsigned)
        );
        assert_eq!(
            v.check(Some("zz"), Some("1000"), body, 1000),
            Err(Refused::BadHex)
        );
        assert_eq!(
            v.check(Some(&sig[..126]), Some("1000"), body, 1000),
            Err(Refused::BadHex)
        );
        assert_eq!(
            v.check(Some(&sig), Some("soon"), body, 1000),
            Err(Refused::BadTimestamp)
        );
        assert_eq!(
            v.check(Some(&sig), Some("1000"), body, 1006),
            Err(Refused::Stale)
        );
        assert_eq!(
            v.check(Some(&sig), Some("1000"), body, 994),
            Err(Refused::Stale)
        );
        assert_eq!(
            v.check(Some(&sig), Some("1000"), br#"{"type":2}"#, 1000),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            v.check(Some(&sig), Some("1001"), body, 1000),
            Err(Refused::BadSignature)
        );
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let forged = sign(&other, "1000", body);
        assert_eq!(
            v.check(Some(&forged), Some("1000"), body, 1000),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn a_malleable_signature_is_refused() {
        // S + L, the group's order, verifies non-strictly in some libraries; never here
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let v = verifier();
        let body = b"{}";
        let sig: [u8; 64] = hex(&sign(&signer(), "1000", body)).unwrap();
        let mut s = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = s[32 + i] as u16 + L[i] as u16 + carry;
            s[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        let malleated: String = s.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            v.check(Some(&malleated), Some("1000"), body, 1000),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn keys_that_cannot_sign_are_refused() {
        // the identity point is of small order
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(Verifier::new(identity).is_err());
        assert_eq!(hex::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(hex::<2>("0aF"), None);
        assert_eq!(hex::<1>("é"), None);
    }
}
