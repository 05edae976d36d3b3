//! The compile errors of the macros, pinned with their messages and spans (`TRYBUILD=overwrite`
//! to bless new output). Compile-fail cases only: what must compile is tested as ordinary code
//! (`tests/tests/it/ui_pass.rs`), since a pass case makes trybuild build every dependency again.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
