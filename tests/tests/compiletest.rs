//! Compile errors of `#[entity]`, pinned with their messages and spans (`TRYBUILD=overwrite`
//! to bless new output).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
