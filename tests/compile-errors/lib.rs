//! Nothing: this package holds the macros' compile-fail cases (`tests/ui/`), which
//! `tests/compile_errors.rs` checks with trybuild.
