//! Decoding one 1 MB query page of the example's user collection (`UserItem`: a profile, photos
//! with 80-character URLs, every fifth item a notification) from the SDK's items into the enum,
//! with the system allocator.
//!
//! `cargo bench -p dynatable-example --bench collection_decode --bench collection_decode_mimalloc`
//! runs it beside the same bench with mimalloc. The page is built once; each iteration decodes a
//! fresh copy (the copy is not timed). For scale, the bench also times the SDK's query of the
//! same page and `query_collection` of it, from a local server that answers with the page.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "collection_decode/canned.rs"]
mod canned;
#[path = "collection_decode/page.rs"]
mod page;

fn benches(c: &mut criterion::Criterion) {
    page::benches(c, "system");
}

criterion::criterion_group!(group, benches);
criterion::criterion_main!(group);
