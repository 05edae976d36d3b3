//! Procedural macros of dynatable. Use them through `dynatable-core`, which re-exports them and
//! documents every option; generated code reaches the runtime only through
//! `dynatable_core::__private`.

mod case;
mod ctxt;
mod entity;
mod suggest;

use proc_macro::TokenStream;

/// Declares a DynamoDB entity. Documented in `dynatable_core::entity`.
#[proc_macro_attribute]
pub fn entity(args: TokenStream, input: TokenStream) -> TokenStream {
    entity::expand(args.into(), input.into()).into()
}
