//! The item codec of `#[entity]` against `serde_dynamo` on the same 12-field struct.
//!
//! `cargo bench -p dynatable-tests --bench codec`. Our encoder also renders `PK`, `SK` and writes
//! `_type`; `serde_dynamo_with_keys` adds the same three attributes by hand (what single-table code
//! on serde_dynamo does), `serde_dynamo_fields_only` writes the fields alone.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dynatable_core::{Entity, entity};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

#[entity(
    pk = "USER#{user_id}",
    sk = "ORDER#{order_id}",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub user_id: String,
    pub order_id: String,
    pub status: String,
    pub total_cents: i64,
    pub currency: String,
    pub item_count: u32,
    pub created_at: String,
    pub updated_at: String,
    pub paid: bool,
    pub discount: f64,
    pub tags: Vec<String>,
    pub note: Option<String>,
}

fn order() -> Order {
    Order {
        user_id: "01J9Z8X7W6V5T4S3R2Q1P0N9M8".into(),
        order_id: "01J9Z8Y7W6V5T4S3R2Q1P0N9M9".into(),
        status: "SHIPPED".into(),
        total_cents: 129_990,
        currency: "EUR".into(),
        item_count: 3,
        created_at: "2026-11-24T06:20:47.123Z".into(),
        updated_at: "2026-11-24T07:01:02.456Z".into(),
        paid: true,
        discount: 0.15,
        tags: vec!["gift".into(), "express".into()],
        note: Some("Leave at the door".into()),
    }
}

/// What single-table code built on serde_dynamo writes: the fields, then the keys and the type.
fn serde_dynamo_item(value: &Order) -> dynatable_core::Item {
    let mut item: dynatable_core::Item = serde_dynamo::to_item(value).unwrap();
    let s = dynatable_core::aws_sdk_dynamodb::types::AttributeValue::S;
    item.insert("PK".to_owned(), s(format!("USER#{}", value.user_id)));
    item.insert("SK".to_owned(), s(format!("ORDER#{}", value.order_id)));
    item.insert("_type".to_owned(), s("Order".to_owned()));
    item
}

fn encode(c: &mut Criterion) {
    let value = order();
    assert_eq!(serde_dynamo_item(&value), value.to_item().unwrap());
    let mut group = c.benchmark_group("encode");
    group.bench_function("dynatable", |b| {
        b.iter(|| black_box(&value).to_item().unwrap())
    });
    group.bench_function("serde_dynamo_with_keys", |b| {
        b.iter(|| serde_dynamo_item(black_box(&value)))
    });
    group.bench_function("serde_dynamo_fields_only", |b| {
        b.iter(|| {
            let item: dynatable_core::Item = serde_dynamo::to_item(black_box(&value)).unwrap();
            item
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let item = order().to_item().unwrap();
    let mut group = c.benchmark_group("decode");
    group.bench_function("dynatable", |b| {
        b.iter_batched(
            || item.clone(),
            |item| Order::from_item(item).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || item.clone(),
            |item| serde_dynamo::from_item::<_, Order>(item).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
