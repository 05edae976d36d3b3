//! Compile errors of the macros, pinned with their messages and spans (`TRYBUILD=overwrite` to
//! bless new output). Compile-fail cases only: trybuild checks them without building the
//! dependencies again; what must compile is tested as ordinary code (`ui_pass`).

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
