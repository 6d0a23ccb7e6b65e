//! Reads the length of WAV audio from its header: enough to tell real speech from silence or an
//! empty file in tests and in the hardware self-test.

use std::time::Duration;

/// The duration of a RIFF/WAVE file's sound data, or `None` if `bytes` is not one. A streamed
/// WAV (espeak-ng's `--stdout`) may declare an unknown data size; then the bytes present count.
pub fn duration(bytes: &[u8]) -> Option<Duration> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut byte_rate = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = at + 8;
        if id == b"fmt " && body + 12 <= bytes.len() {
            byte_rate = Some(u32::from_le_bytes(
                bytes[body + 8..body + 12].try_into().ok()?,
            ));
        }
        if id == b"data" {
            let present = bytes.len() - body;
            let data = if size == 0 || size > present {
                present
            } else {
                size
            };
            let rate = u64::from(byte_rate.filter(|&r| r > 0)?);
            return Some(Duration::from_millis(data as u64 * 1_000 / rate));
        }
        at = body + size + size % 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PCM WAV header for 16-bit mono at `rate` Hz followed by `samples` silent samples.
    fn wav(rate: u32, samples: usize, declared: Option<u32>) -> Vec<u8> {
        let data_len = u32::try_from(samples * 2).expect("small");
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&declared.unwrap_or(data_len).to_le_bytes());
        out.resize(out.len() + samples * 2, 0);
        out
    }

    #[test]
    fn reads_the_duration_of_declared_and_streamed_data() {
        assert_eq!(
            duration(&wav(22_050, 22_050, None)),
            Some(Duration::from_secs(1))
        );
        // espeak-ng's stream declares a huge size it does not know yet.
        assert_eq!(
            duration(&wav(22_050, 11_025, Some(0x7fff_ffff))),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn other_bytes_are_not_wav() {
        assert_eq!(duration(b""), None);
        assert_eq!(duration(b"RIFF....AVI LIST"), None);
        assert_eq!(
            duration(&wav(22_050, 10, None)[..30]),
            None,
            "cut before data"
        );
    }
}
