//! The collection-decode bench (`collection_decode.rs`) with mimalloc as the global allocator,
//! as a binary may choose: freeing the SDK's items is most of a page's decoding time.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "collection_decode/canned.rs"]
mod canned;
#[path = "collection_decode/page.rs"]
mod page;

fn benches(c: &mut criterion::Criterion) {
    page::benches(c, "mimalloc");
}

criterion::criterion_group!(group, benches);
criterion::criterion_main!(group);
