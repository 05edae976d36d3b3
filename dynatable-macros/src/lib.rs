//! Procedural macros of dynatable. Use them through `dynatable-core`, which re-exports them and
//! documents every option; generated code reaches the runtime only through
//! `dynatable_core::__private`.

mod case;
mod collection;
mod ctxt;
mod entity;
mod item_macro;
mod key_segment;
mod meta_option;
mod migration;
mod projection;
mod suggest;

use proc_macro::TokenStream;

/// Registers a data migration. Documented in `dynatable_migrate::migration`.
#[proc_macro_attribute]
pub fn migration(args: TokenStream, input: TokenStream) -> TokenStream {
    migration::expand(args.into(), input.into()).into()
}

/// Declares a collection of entities sharing a partition. Documented in
/// `dynatable_core::collection`.
#[proc_macro_attribute]
pub fn collection(args: TokenStream, input: TokenStream) -> TokenStream {
    collection::expand(args.into(), input.into()).into()
}

/// Declares a projection of an entity. Documented in `dynatable_core::projection`.
#[proc_macro_attribute]
pub fn projection(args: TokenStream, input: TokenStream) -> TokenStream {
    projection::expand(args.into(), input.into()).into()
}

/// Declares a DynamoDB entity. Documented in `dynatable_core::entity`.
#[proc_macro_attribute]
pub fn entity(args: TokenStream, input: TokenStream) -> TokenStream {
    entity::expand(args.into(), input.into()).into()
}

/// Derives `KeySegment`, `ParseKeySegment` and `AttributeCodec` for an enum of unit variants.
/// Documented in `dynatable_core::KeySegment`.
#[proc_macro_derive(KeySegment, attributes(key_segment))]
pub fn key_segment(input: TokenStream) -> TokenStream {
    key_segment::derive(input.into()).into()
}
