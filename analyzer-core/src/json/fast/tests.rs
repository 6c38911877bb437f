//! The direct writers against `serde_json`, for every type and shape they
//! handle.

use bytes::Bytes;
use proptest::prelude::*;
use serde::Serialize;

use super::*;

/// What `serde_json` gives for `value`.
fn serde<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("serializes")
}

/// What `WriteJson` gives.
fn direct<T: WriteJson + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    value.write_json(&mut out);
    String::from_utf8(out).expect("UTF-8")
}

fn same<T: WriteJson + Serialize + ?Sized>(value: &T) {
    assert_eq!(direct(value), serde(value));
}

fn net(bytes: &[u8]) -> NetString {
    NetString::from(Bytes::copy_from_slice(bytes))
}

#[test]
fn kinds_integers_booleans_strings_and_options() {
    for kind in [Kind::Request, Kind::Response, Kind::Error] {
        same(&kind);
        same(&Some(kind));
    }
    same(&None::<Kind>);
    same(&true);
    same(&false);
    same(&u8::MAX);
    same(&u16::MAX);
    same(&u32::MAX);
    same(&u64::MAX);
    same(&usize::MAX);
    same(&i8::MIN);
    same(&i16::MIN);
    same(&i32::MIN);
    same(&i64::MIN);
    same(&isize::MIN);
    same(&0u64);
    same(&-1i32);
    same("a \"quoted\"\n\\ é");
    same(&String::from("\u{1}\u{7f}"));
    same(&Some(String::from("x")));
    same(&None::<String>);
    same(&Some(Some(3u8)));
    same(&Some(None::<u8>));
    same(&&7u16);
    same(&Box::new(net(b"boxed")));
}

#[test]
fn netstrings_of_every_length_and_special_byte_position() {
    // Byte by byte, one or two words, blocks of sixteen and the overlapping
    // last block: every length up to five blocks, every position, escapes,
    // valid multi-byte text and invalid UTF-8.
    let specials: [&[u8]; 9] = [
        b"\"",
        b"\\",
        b"\n",
        b"\x1f",
        b"\x7f",
        "é".as_bytes(),
        b"\xff",
        b"\xe2\x82",
        b"\xc3",
    ];
    for len in 0..80 {
        same(&net(&vec![b'a'; len]));
        for at in 0..len {
            for special in specials {
                let mut bytes = vec![b'a'; len];
                bytes.splice(at..at + 1, special.iter().copied());
                same(&net(&bytes));
            }
        }
    }
}

#[test]
fn invalid_utf8_becomes_replacement_characters_as_from_utf8_lossy_does() {
    for bytes in [
        &b"\xf0\x9f\x98"[..],
        b"ok \xff",
        b"\xed\xa0\x80 surrogate",
        b"\xc0\xaf overlong",
        b"\xf4\x90\x80\x80 too high",
        b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80",
    ] {
        let netstring = net(bytes);
        same(&netstring);
        assert_eq!(
            direct(&netstring),
            serde(&String::from_utf8_lossy(bytes).into_owned())
        );
    }
}

#[test]
// The borrow is what picks `ViaWriteJson` when it applies, as in the
// generated code.
#[allow(clippy::needless_borrow)]
fn fields_of_other_types_go_through_serialize() {
    let written = |value: &dyn Fn(&mut Vec<u8>)| {
        let mut out = Vec::new();
        value(&mut out);
        String::from_utf8(out).unwrap()
    };
    // Known: written directly (and like serde_json).
    let kind = written(&|out| (&Field(&Kind::Error)).write_field(out));
    assert_eq!(kind, "\"error\"");
    // Sequences of known types: directly too.
    let list = vec![Some(1u8), None];
    assert_eq!(
        written(&|out| (&Field(&list)).write_field(out)),
        serde(&list)
    );
    // Unknown: through `Serialize`, into the fast serializer or, for what
    // it leaves (floats), serde_json.
    let map: std::collections::BTreeMap<&str, f64> = [("x", 1.5)].into();
    assert_eq!(written(&|out| (&Field(&map)).write_field(out)), serde(&map));
    assert_eq!(written(&|out| (&Field(&1.5f64)).write_field(out)), "1.5");
}

#[test]
fn sequences_cows_and_bytes() {
    same(&vec![net(b"a"), net(b"\xff")]);
    same(&Vec::<u8>::new());
    same(&std::borrow::Cow::Borrowed("c\"ow"));
    assert_eq!(
        direct(&Bytes::from_static(b"b\xffy")),
        serde(&String::from_utf8_lossy(b"b\xffy"))
    );
    assert_eq!(direct(&Kind::Greeting), "\"greeting\"");
}

proptest! {
    #[test]
    fn any_bytes_are_written_like_serde_json(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let netstring = net(&bytes);
        prop_assert_eq!(direct(&netstring), serde(&netstring));
    }

    #[test]
    fn mostly_ascii_bytes_are_written_like_serde_json(
        bytes in proptest::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => 0u8..0x20, 1 => 0x80u8..=0xff, 1 => Just(b'"')],
            0..200,
        )
    ) {
        let netstring = net(&bytes);
        prop_assert_eq!(direct(&netstring), serde(&netstring));
    }

    #[test]
    fn any_text_is_written_like_serde_json(text in any::<String>()) {
        let netstring = net(text.as_bytes());
        prop_assert_eq!(direct(&netstring), serde(&text));
        prop_assert_eq!(direct(text.as_str()), serde(&text));
    }
}
