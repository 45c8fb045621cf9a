//! Encryption at rest: every spool file is ChaCha20-Poly1305 sealed with the caller's key.
//!
//! File layout: `ARSPOOL1` magic, a big-endian `u32` header length, the header (JSON,
//! authenticated as associated data but readable without the key, so recovery can tell what
//! a file is), a 12-byte random nonce, then ciphertext + tag. The header names the
//! recording, track and segment, so a file moved to another place fails authentication.
//!
//! ChaCha20-Poly1305 rather than AES-GCM: constant-time and fast in software on agent PCs
//! without AES instructions; both are AEADs with 256-bit keys.

use std::fmt;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::error::SpoolError;

const MAGIC: &[u8; 8] = b"ARSPOOL1";
const NONCE_LEN: usize = 12;
const MAX_HEADER: usize = 64 * 1024;

/// The 256-bit key spool files are sealed with. The app keeps it in the OS keyring.
#[derive(Clone)]
pub struct SpoolKey([u8; 32]);

impl SpoolKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SpoolKey {
        SpoolKey(bytes)
    }

    /// A fresh random key (from the OS's random source).
    pub fn generate() -> Result<SpoolKey, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(SpoolKey(bytes))
    }

    /// Parses 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Option<SpoolKey> {
        let bytes = hex::decode(hex_key.trim()).ok()?;
        Some(SpoolKey(bytes.try_into().ok()?))
    }

    /// The key as 64 hex digits (to store it in a keyring).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

impl fmt::Debug for SpoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpoolKey(…)")
    }
}

/// Seals `plaintext` with `header` as associated data.
pub fn seal(key: &SpoolKey, header: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SpoolError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| SpoolError::Corrupt {
        path: "<random>".into(),
        reason: format!("no randomness for a nonce: {e}"),
    })?;
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: header,
            },
        )
        .map_err(|_| SpoolError::Corrupt {
            path: "<memory>".into(),
            reason: "encryption failed".into(),
        })?;
    let mut out = Vec::with_capacity(8 + 4 + header.len() + NONCE_LEN + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(
        &u32::try_from(header.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The header of a sealed file, without decrypting (unauthenticated until [`open`]).
pub fn peek_header<'a>(path: &Path, file: &'a [u8]) -> Result<&'a [u8], SpoolError> {
    let corrupt = |reason: &str| SpoolError::Corrupt {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if file.len() < 12 || &file[..8] != MAGIC {
        return Err(corrupt("not a spool file"));
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&file[8..12]);
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_HEADER || file.len() < 12 + len + NONCE_LEN + 16 {
        return Err(corrupt("truncated"));
    }
    Ok(&file[12..12 + len])
}

/// Authenticates and decrypts a sealed file; returns (header, plaintext).
pub fn open(key: &SpoolKey, path: &Path, file: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SpoolError> {
    let header = peek_header(path, file)?;
    let rest = &file[12 + header.len()..];
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let plaintext = key
        .cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| SpoolError::Decrypt {
            path: path.to_owned(),
        })?;
    Ok((header.to_vec(), plaintext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wrong_key_or_tampered_header_fails() {
        let key = SpoolKey::from_bytes([7; 32]);
        let sealed = seal(&key, b"{\"seq\":1}", b"media").unwrap();
        let p = Path::new("f");
        assert_eq!(open(&key, p, &sealed).unwrap().1, b"media");
        let other = SpoolKey::from_bytes([8; 32]);
        assert!(matches!(
            open(&other, p, &sealed),
            Err(SpoolError::Decrypt { .. })
        ));
        let mut tampered = sealed.clone();
        tampered[13] ^= 1; // inside the header
        assert!(open(&key, p, &tampered).is_err());
        assert!(open(&key, p, &sealed[..20]).is_err());
        assert!(format!("{key:?}").contains('…'));
        assert_eq!(SpoolKey::from_hex(&key.to_hex()).unwrap().0, key.0);
    }

    proptest! {
        #[test]
        fn seal_open_round_trips(header in proptest::collection::vec(any::<u8>(), 0..300),
                                 body in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let key = SpoolKey::from_bytes([1; 32]);
            let sealed = seal(&key, &header, &body).unwrap();
            prop_assert_eq!(peek_header(Path::new("f"), &sealed).unwrap(), &header[..]);
            let (h, b) = open(&key, Path::new("f"), &sealed).unwrap();
            prop_assert_eq!(h, header);
            prop_assert_eq!(b, body);
        }
    }
}
