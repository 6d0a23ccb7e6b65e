//! Secrets the server hands out: single-use enrollment codes and kiosk tokens. Only their
//! SHA-256 is stored (a fast hash suffices for high-entropy secrets).

use base64::Engine;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// 32 symbols without the look-alikes 0/O and 1/I: 5 bits each.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// 10 symbols: 50 bits.
const CODE_LEN: usize = 10;

/// A fresh enrollment code, shown as `XXXXX-XXXXX`.
pub fn new_enrollment_code() -> String {
    let mut rng = rand::rng();
    let symbols: String = (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect();
    format!("{}-{}", &symbols[..CODE_LEN / 2], &symbols[CODE_LEN / 2..])
}

/// The canonical form of a typed code: upper case, without spaces or dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The stored form of an enrollment code.
pub fn code_hash(code: &str) -> [u8; 32] {
    sha256(&normalize_code(code))
}

/// A new kiosk token: 256 random bits, base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new kiosk id.
pub fn new_kiosk_id() -> String {
    format!("kiosk-{}", uuid::Uuid::new_v4())
}

/// SHA-256 of a secret's text, as stored.
pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two hashes in time that does not depend on where they differ.
pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_symbols_and_normalize() {
        let code = new_enrollment_code();
        assert_eq!(code.len(), 11);
        let plain = normalize_code(&code);
        assert_eq!(plain.len(), CODE_LEN);
        assert!(plain.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(
            code_hash(&code),
            code_hash(&format!(" {} ", code.to_lowercase()))
        );
        assert_ne!(new_enrollment_code(), new_enrollment_code());
    }

    #[test]
    fn hashes_compare_equal_only_when_identical() {
        let a = sha256("one");
        let mut b = a;
        assert!(hashes_equal(&a, &b));
        b[31] ^= 1;
        assert!(!hashes_equal(&a, &b));
        assert!(!hashes_equal(&a, &sha256("two")));
    }

    #[test]
    fn tokens_carry_256_bits() {
        let token = new_token();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token)
            .expect("base64url");
        assert_eq!(bytes.len(), 32);
        assert_ne!(token, new_token());
    }
}
