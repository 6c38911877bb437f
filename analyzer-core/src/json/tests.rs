use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Serialize;

use super::*;

/// What the fast writer gives, or `None` when it leaves the value to
/// `serde_json`.
fn fast<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = Vec::new();
    value.serialize(Writer { out: &mut out }).ok()?;
    Some(String::from_utf8(out).expect("UTF-8"))
}

fn same<T: Serialize + ?Sized>(value: &T) {
    let expected = serde_json::to_string(value).expect("serializes");
    assert_eq!(fast(value).as_deref(), Some(expected.as_str()));
}

#[test]
fn an_escape_anywhere_in_strings_of_any_block_count_is_found() {
    // Words of eight, blocks of sixteen, the overlapping last block: every
    // length up to five blocks, every position, each kind of escape.
    for len in 1..80 {
        for at in 0..len {
            for special in ['"', '\\', '\n', '\u{1f}', 'é'] {
                let s: String = (0..len)
                    .map(|i| if i == at { special } else { 'a' })
                    .collect();
                same(&s);
            }
        }
    }
}

#[test]
fn strings_are_escaped_like_serde_json() {
    let every: String = (0u32..0x80).filter_map(char::from_u32).collect();
    for s in [
        "",
        "plain",
        "exactly8",
        "sixteen bytes!!!",
        "quote \" backslash \\ end",
        "\u{7f}\u{80}é€😀 tail",
        "\n",
        "12345678\n",
        "1234567\"",
        &every,
        &every[3..],
    ] {
        same(s);
    }
    for byte in 0u8..0x80 {
        let s = format!("abcdefg{}hijklmnop", byte as char);
        same(&s);
        same(&s[7..]);
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Variant {
    Unit,
    Newtype(u32),
    Tuple(i8, String),
    Struct {
        a: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<&'static str>,
    },
}

#[derive(Serialize)]
struct Nested<'a> {
    name: &'a str,
    kind: Variant,
    list: Vec<Variant>,
    empty: Vec<u8>,
    unit: (),
    none: Option<u8>,
    some: Option<i64>,
    tuple: (u16, char),
    map: BTreeMap<&'a str, Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u8>,
    big: u64,
    small: i64,
}

#[test]
fn shapes_are_written_like_serde_json() {
    let mut map = BTreeMap::new();
    map.insert("k\"ey", vec!["a", "b\n"]);
    map.insert("empty", vec![]);
    same(&Nested {
        name: "n",
        kind: Variant::Unit,
        list: vec![
            Variant::Newtype(7),
            Variant::Tuple(-3, "x".into()),
            Variant::Struct { a: true, b: None },
            Variant::Struct {
                a: false,
                b: Some("y"),
            },
        ],
        empty: vec![],
        unit: (),
        none: None,
        some: Some(-9),
        tuple: (65535, '"'),
        map,
        skipped: None,
        big: u64::MAX,
        small: i64::MIN,
    });
    same(&BTreeMap::<String, u8>::new());
    same(&[Some(1u8), None]);
}

#[test]
fn other_values_are_left_to_serde_json() {
    assert_eq!(fast(&1.5f64), None);
    assert_eq!(fast(&serde_bytes_like()), None);
    let mut by_number = BTreeMap::new();
    by_number.insert(1u8, "one");
    assert_eq!(fast(&by_number), None);
}

/// A value that serializes as bytes.
fn serde_bytes_like() -> impl Serialize {
    struct Raw;
    impl Serialize for Raw {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(b"ab")
        }
    }
    Raw
}

proptest! {
    #[test]
    fn any_string_is_escaped_like_serde_json(s in any::<String>()) {
        let mut out = Vec::new();
        write_str(&mut out, &s);
        prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn ascii_with_controls_is_escaped_like_serde_json(
        bytes in proptest::collection::vec(0u8..0x80, 0..64)
    ) {
        let s = String::from_utf8(bytes).unwrap();
        let mut out = Vec::new();
        write_str(&mut out, &s);
        prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
    }
}
