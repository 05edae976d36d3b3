//! `#[projection(of = Entity)]` on a struct of some of an entity's fields: parse ([`attr`]) →
//! model and checks ([`ast`]) → [`expand`]. That each field is a field of the entity with the
//! same type is checked by the compiler, through the entity's typed field references.

mod ast;
mod attr;
mod expand;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    crate::item_macro::expand(
        "projection",
        args,
        input,
        attr::Container::parse,
        ast::build,
        expand::generate,
    )
}
