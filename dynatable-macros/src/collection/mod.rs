//! `#[collection]` on an enum of entities: parse ([`attr`]) → model and checks ([`ast`]) →
//! [`expand`]. The check that the members share a partition runs at compile time in a constant
//! the expansion generates (templates are known only to each entity's own expansion).

mod ast;
mod attr;
mod expand;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    crate::item_macro::expand(
        "collection",
        args,
        input,
        attr::Container::parse,
        ast::build,
        expand::generate,
    )
}
