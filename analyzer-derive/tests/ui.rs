//! Misuses of `#[derive(Protocol)]` are compile errors pointing at the
//! offending attribute, key, literal or field.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
