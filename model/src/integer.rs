//! The wire format's integers as JSON Schema counts them: a number whose fractional part is zero
//! is an integer, so `4961444.0` is read as 4961444, as the OpenAPI document promises. Fractions
//! (`4.5`), non-numbers and values outside the field's range are still refused. The number is the
//! double nearest its text (serde_json's `float_roundtrip`, set for the workspace), as in every
//! JSON Schema validator, so the server and the document agree on which numbers are integral.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// 2^64: every integral `f64` below it in magnitude fits an `i128`.
const TWO_TO_THE_64: f64 = 18_446_744_073_709_551_616.0;

struct Integer;

impl Visitor<'_> for Integer {
    type Value = i128;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i128, E> {
        Ok(value.into())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i128, E> {
        Ok(value.into())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<i128, E> {
        if value.fract() == 0.0 && value.abs() < TWO_TO_THE_64 {
            // Exact: the value is integral and within i128.
            Ok(value as i128)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(value), &self))
        }
    }
}

fn whole<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    deserializer: D,
    expected: &'static str,
) -> Result<T, D::Error> {
    let value = deserializer.deserialize_any(Integer)?;
    T::try_from(value).map_err(|_| {
        de::Error::invalid_value(de::Unexpected::Other("an integer out of range"), &expected)
    })
}

/// An `i64` field.
pub fn signed<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    whole(deserializer, "an i64")
}

/// A `u64` field.
pub fn unsigned<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    whole(deserializer, "a u64")
}

/// An `Option<i64>` field (with `#[serde(default)]`, so a missing field stays `None`).
pub fn optional_signed<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Signed(#[serde(deserialize_with = "signed")] i64);
    Ok(Option::<Signed>::deserialize(deserializer)?.map(|s| s.0))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "super::signed")]
        signed: i64,
        #[serde(deserialize_with = "super::unsigned")]
        unsigned: u64,
        #[serde(default, deserialize_with = "super::optional_signed")]
        optional: Option<i64>,
    }

    fn read(json: &str) -> Result<Fields, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_are_integers_whatever_their_notation() {
        assert_eq!(
            read(r#"{"signed": -4961444.0, "unsigned": 2801015.0, "optional": 1e3}"#),
            Ok(Fields {
                signed: -4_961_444,
                unsigned: 2_801_015,
                optional: Some(1000)
            })
        );
        assert_eq!(
            read(r#"{"signed": 9223372036854775807, "unsigned": 18446744073709551615}"#),
            Ok(Fields {
                signed: i64::MAX,
                unsigned: u64::MAX,
                optional: None
            })
        );
    }

    #[test]
    fn integral_numbers_near_the_doubles_precision_are_read_exactly() {
        // Written as Python writes an integral float; a parse one step off reads
        // 2251799813685247.25 and refuses it as a fraction (found by schemathesis).
        assert_eq!(
            read(r#"{"signed": 2251799813685247.0, "unsigned": 4503599627370495.0}"#),
            Ok(Fields {
                signed: 2_251_799_813_685_247,
                unsigned: 4_503_599_627_370_495,
                optional: None
            })
        );
        assert!(read(r#"{"signed": 2251799813685247.25, "unsigned": 1}"#).is_err());
    }

    #[test]
    fn fractions_and_out_of_range_values_are_refused() {
        for json in [
            r#"{"signed": 4.5, "unsigned": 1}"#,
            r#"{"signed": 1, "unsigned": -1}"#,
            r#"{"signed": 9223372036854775808, "unsigned": 1}"#,
            r#"{"signed": 1, "unsigned": 1e300}"#,
            r#"{"signed": "1", "unsigned": 1}"#,
            r#"{"signed": 1, "unsigned": 1, "optional": 0.5}"#,
        ] {
            assert!(read(json).is_err(), "{json} was accepted");
        }
    }
}
