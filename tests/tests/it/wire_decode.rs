//! The direct reads' decoder against the SDK's path, on random items: each item is rendered as
//! DynamoDB's JSON, read back as a `WireItem`, and must give the SDK's item again; an entity with
//! a field of every type, its item changed at random (values of other types, attributes
//! removed, numbers at the edges of their types), must decode from the wire to the same value or
//! the same error as from the SDK's item. A property test on a fixed seed (set
//! `DYNATABLE_WIRE_SEED` to try others), with the failing case printed.

use dynatable_core::aws_sdk_dynamodb::primitives::Blob;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue as V;
use dynatable_core::codec::WireItem;
use dynatable_core::{Entity, Item};
use serde_json::{Map, Value, json};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::everything::{Everything, sample};

const CASES: usize = 3_000;

fn seed() -> u64 {
    std::env::var("DYNATABLE_WIRE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_d1ec7)
}

/// `item` as DynamoDB's JSON protocol carries it.
fn json_item(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), json_value(value)))
            .collect::<Map<_, _>>(),
    )
}

fn json_value(value: &V) -> Value {
    let b64 = |b: &Blob| STANDARD.encode(b.as_ref());
    match value {
        V::S(s) => json!({ "S": s }),
        V::N(n) => json!({ "N": n }),
        V::B(b) => json!({ "B": b64(b) }),
        V::Bool(b) => json!({ "BOOL": b }),
        V::Null(n) => json!({ "NULL": n }),
        V::Ss(v) => json!({ "SS": v }),
        V::Ns(v) => json!({ "NS": v }),
        V::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        V::M(m) => json!({ "M": json_item(m) }),
        V::L(l) => json!({ "L": l.iter().map(json_value).collect::<Vec<_>>() }),
        other => panic!("no JSON for {other:?}"),
    }
}

/// Text with what JSON must escape, unicode of every width, and plain runs.
fn text(rng: &mut fastrand::Rng) -> String {
    const PIECES: &[&str] = &[
        "a", "Zz", "\"", "\\", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "✓", "🦀", "/",
        "USER#", " ", "\u{2028}", "0",
    ];
    (0..rng.usize(0..12))
        .map(|_| PIECES[rng.usize(..PIECES.len())])
        .collect()
}

/// Number texts at the edges of Rust's types and DynamoDB's range, and some that fit nothing.
fn number(rng: &mut fastrand::Rng) -> String {
    const EDGES: &[&str] = &[
        "0",
        "-0",
        "1",
        "-1",
        "127",
        "128",
        "-128",
        "-129",
        "255",
        "256",
        "32767",
        "-32768",
        "65535",
        "65536",
        "2147483647",
        "-2147483648",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "170141183460469231731687303715884105727",
        "-170141183460469231731687303715884105728",
        "340282366920938463463374607431768211455",
        "1.5",
        "-2.25e3",
        "1E-130",
        "9.9e125",
        "3.4028235e38",
        "3.5e38",
        "1e400",
        "12345678901234567890123456789012345678",
        "abc",
        "",
    ];
    match rng.u8(..3) {
        0 => EDGES[rng.usize(..EDGES.len())].to_owned(),
        1 => rng.i64(..).to_string(),
        _ => format!("{}", rng.f64() * 1e6 - 5e5),
    }
}

fn blob(rng: &mut fastrand::Rng) -> Blob {
    Blob::new(
        (0..rng.usize(0..9))
            .map(|_| rng.u8(..))
            .collect::<Vec<u8>>(),
    )
}

/// A random value of a random type, nested at most `depth` deep.
fn value(rng: &mut fastrand::Rng, depth: u32) -> V {
    let kinds = if depth == 0 { 8 } else { 10 };
    match rng.u8(..kinds) {
        0 => V::S(text(rng)),
        1 => V::N(number(rng)),
        2 => V::B(blob(rng)),
        3 => V::Bool(rng.bool()),
        4 => V::Null(true),
        5 => V::Ss((0..rng.usize(1..4)).map(|_| text(rng)).collect()),
        6 => V::Ns((0..rng.usize(1..4)).map(|_| number(rng)).collect()),
        7 => V::Bs((0..rng.usize(1..4)).map(|_| blob(rng)).collect()),
        8 => V::M(item(rng, depth - 1)),
        _ => V::L(
            (0..rng.usize(0..4))
                .map(|_| value(rng, depth - 1))
                .collect(),
        ),
    }
}

fn item(rng: &mut fastrand::Rng, depth: u32) -> Item {
    (0..rng.usize(0..6))
        .map(|_| (text(rng), value(rng, depth)))
        .collect()
}

fn read_back(json: &str) -> WireItem<'_> {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn random_items_read_from_json_are_the_sdks_items() {
    let mut rng = fastrand::Rng::with_seed(seed());
    for case in 0..CASES {
        let item = item(&mut rng, 3);
        let json = json_item(&item).to_string();
        assert_eq!(
            read_back(&json).into_item(),
            item,
            "case {case} (seed {}): {json}",
            seed()
        );
    }
}

/// `sample()`'s item with one to three attributes changed: set to a random value, removed, or
/// set to a number at an edge.
fn changed_item(rng: &mut fastrand::Rng) -> Item {
    let mut item = sample().to_item().unwrap();
    let names: Vec<String> = item.keys().cloned().collect();
    for _ in 0..rng.usize(1..4) {
        let name = names[rng.usize(..names.len())].clone();
        match rng.u8(..4) {
            0 => {
                item.remove(&name);
            }
            1 => {
                item.insert(name, V::N(number(rng)));
            }
            _ => {
                item.insert(name, value(rng, 2));
            }
        }
    }
    item
}

#[test]
fn an_entity_decodes_from_the_wire_as_from_the_sdks_item_values_and_errors_alike() {
    let mut rng = fastrand::Rng::with_seed(seed());
    let (mut decoded, mut failed) = (0, 0);
    for case in 0..CASES {
        let item = match case {
            0 => sample().to_item().unwrap(),
            _ => changed_item(&mut rng),
        };
        let json = json_item(&item).to_string();
        let from_wire = Everything::from_wire(read_back(&json));
        let from_sdk = Everything::from_item(item);
        let context = || format!("case {case} (seed {}): {json}", seed());
        match (from_wire, from_sdk) {
            (Ok(wire), Ok(sdk)) => {
                assert_eq!(wire, sdk, "{}", context());
                decoded += 1;
            }
            // The error's text names the entity, the key, the attribute and the expected and
            // found types.
            (Err(wire), Err(sdk)) => {
                assert_eq!(
                    up_to_entry(&wire.to_string()),
                    up_to_entry(&sdk.to_string()),
                    "{}",
                    context()
                );
                failed += 1;
            }
            (wire, sdk) => panic!(
                "{}: from the wire {wire:?}, from the SDK {sdk:?}",
                context()
            ),
        }
    }
    // Both outcomes were exercised, not one of them only.
    assert!(
        decoded > CASES / 20 && failed > CASES / 20,
        "{decoded} decoded, {failed} failed"
    );
}

/// An error's text up to the map entry it names, if any: with several bad entries in a map, the
/// SDK's path names whichever its hash map gives first, which differs between two decodes of
/// the same item by the SDK's path itself.
fn up_to_entry(text: &str) -> &str {
    text.find(": entry ").map_or(text, |at| &text[..at])
}
