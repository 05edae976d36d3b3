//! Compile errors of `#[entity]`, pinned with their messages and spans (`TRYBUILD=overwrite`
//! to bless new output).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
