//! The item codec, key builders, constructor and schema, in memory.

use crate::everything;

use std::collections::HashSet;

use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use dynatable_core::{
    AttributeKind, DecodeError, Entity, Generator, Item, KeyError, PrimaryKey, ValueError, entity,
};
use everything::{Everything, sample};

#[entity(pk = "USER#{user_id}", sk = "NOTIFICATION#{notification_id}")]
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub user_id: String,
    #[entity(generate = "ulid")]
    pub notification_id: String,
    pub message: String,
    #[entity(default = false)]
    pub read: bool,
    #[entity(rename = "createdAt")]
    pub created_at: String,
    pub note: Option<String>,
    #[entity(default = 3)]
    pub priority: u8,
    #[entity(default)]
    pub labels: Vec<String>,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.to_owned())
}

#[test]
fn every_type_round_trips_in_memory() {
    let value = sample();
    let item = value.to_item().unwrap();
    assert_eq!(Everything::from_item(item).unwrap(), value);
}

#[test]
fn into_item_writes_the_same_item_as_to_item() {
    let value = sample();
    let by_ref = value.to_item().unwrap();
    assert_eq!(value.into_item().unwrap(), by_ref);
    let n = Notification::new("u1", "hi", "now");
    let by_ref = n.to_item().unwrap();
    assert_eq!(n.into_item().unwrap(), by_ref);
}

#[test]
fn item_layout_has_keys_type_and_exact_numbers() {
    let item = sample().to_item().unwrap();
    assert_eq!(item["PK"], s("ACCOUNT#a-1"));
    // Integers are zero-padded to their type's width, so keys sort numerically.
    assert_eq!(item["SK"], s("ALL#0000000007"));
    assert_eq!(item["GSI1PK"], s("EMAIL#ada@example.com"));
    assert_eq!(item["GSI1SK"], s("ACCOUNT#a-1"));
    assert_eq!(item["_type"], s("Everything"));
    // rename_all = camelCase
    assert_eq!(item["smallSigned"], n("-128"));
    assert_eq!(item["ulong"], n("18446744073709551615"));
    assert_eq!(item["long"], n("-9223372036854775808"));
    assert_eq!(item["uhuge"], n("34028236692093846346337460743176821145"));
    assert_eq!(item["huge"], n("-17014118346046923173168730371588410572"));
    assert_eq!(item["double"], n("1.0000000000000002"));
    assert_eq!(item["single"], n("0.1"));
    assert_eq!(item["flag"], AttributeValue::Bool(true));
    assert_eq!(item["letter"], s("é"));
    assert!(matches!(&item["tags"], AttributeValue::Ss(v) if v.len() == 2));
    assert!(matches!(&item["lucky"], AttributeValue::Ns(v) if *v == ["-7", "13"]));
    assert!(matches!(&item["blobs"], AttributeValue::Bs(v) if v.len() == 2));
    assert!(item["avatar"].is_b());
    assert_eq!(
        item["sparse"],
        AttributeValue::L(vec![n("1"), AttributeValue::Null(true), n("3")])
    );
    assert!(matches!(&item["address"], AttributeValue::M(m) if m["city"] == s("Springfield")));
    // None and the empty set are not written.
    assert!(!item.contains_key("nothing"));
    assert!(!item.contains_key("noTags"));
    // Fields + PK, SK, _type, GSI1PK, GSI1SK, less the two omitted.
    assert_eq!(item.len(), Everything::SCHEMA.attributes.len() + 5 - 2);
}

#[test]
fn constructor_applies_defaults_and_generates_ids() {
    let n1 = Notification::new("u1", "Welcome", "2026-01-01T00:00:00Z");
    assert_eq!(n1.user_id, "u1");
    assert_eq!(n1.message, "Welcome");
    assert!(!n1.read);
    assert_eq!(n1.priority, 3);
    assert_eq!(n1.note, None);
    assert!(n1.labels.is_empty());
    assert_eq!(n1.notification_id.len(), 26);
    let n2 = Notification::new("u1", "Again", "2026-01-01T00:00:01Z");
    assert!(n2.notification_id > n1.notification_id);
}

#[test]
fn ulids_are_unique_and_ordered_in_a_tight_loop() {
    let ids: Vec<String> = (0..20_000)
        .map(|_| Notification::new("u", "m", "t").notification_id)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids must strictly increase"
    );
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                (0..5_000)
                    .map(|_| Notification::new("u", "m", "t").notification_id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = HashSet::new();
    for t in threads {
        for id in t.join().unwrap() {
            assert!(all.insert(id), "duplicate ULID across threads");
        }
    }
    assert_eq!(all.len(), 20_000);
}

#[test]
fn key_builders_prefixes_and_parse_back() {
    let key = Notification::key("u1", "01J0000000000000000000000A");
    assert_eq!(
        key,
        PrimaryKey::new("USER#u1", "NOTIFICATION#01J0000000000000000000000A")
    );
    assert_eq!(Notification::partition_key("u1"), "USER#u1");
    assert_eq!(Notification::sort_key("n1"), "NOTIFICATION#n1");
    assert_eq!(Notification::PARTITION_KEY_PREFIX, "USER#");
    assert_eq!(Notification::SORT_KEY_PREFIX, "NOTIFICATION#");
    assert_eq!(
        Notification::parse_key(&key).unwrap(),
        ("u1".to_owned(), "01J0000000000000000000000A".to_owned())
    );

    let value = sample();
    assert_eq!(value.primary_key(), Everything::key("a-1", 7));
    assert_eq!(
        Everything::parse_key(&value.primary_key()).unwrap(),
        ("a-1".to_owned(), 7)
    );
    assert_eq!(
        Everything::gsi1_partition_key("ada@example.com"),
        "EMAIL#ada@example.com"
    );
    assert_eq!(Everything::gsi1_sort_key("a-1"), "ACCOUNT#a-1");
}

#[test]
fn parse_key_rejects_other_shapes_and_bad_numbers() {
    let wrong = PrimaryKey::new("USER#u1", "PHOTO#p1");
    assert!(matches!(
        Notification::parse_key(&wrong),
        Err(KeyError::Mismatch {
            template: "NOTIFICATION#{notification_id}",
            ..
        })
    ));
    let not_a_number = PrimaryKey::new("ACCOUNT#a-1", "ALL#seven");
    let err = Everything::parse_key(&not_a_number).unwrap_err();
    assert!(
        matches!(
            &err,
            KeyError::InvalidSegment {
                field: "version",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        r#"key "ALL#seven" (template "ALL#{version}"): `version`: "seven" is not a valid u32"#
    );
}

fn notification_item() -> Item {
    Item::from([
        ("PK".to_owned(), s("USER#u1")),
        ("SK".to_owned(), s("NOTIFICATION#n1")),
        ("_type".to_owned(), s("Notification")),
        ("user_id".to_owned(), s("u1")),
        ("notification_id".to_owned(), s("n1")),
        ("message".to_owned(), s("hi")),
        ("createdAt".to_owned(), s("2026-01-01T00:00:00Z")),
    ])
}

#[test]
fn absent_attributes_take_defaults() {
    let n = Notification::from_item(notification_item()).unwrap();
    assert!(!n.read);
    assert_eq!(n.priority, 3);
    assert_eq!(n.note, None);
    assert!(n.labels.is_empty());

    // NULL reads like absent.
    let mut item = notification_item();
    item.insert("read".into(), AttributeValue::Null(true));
    item.insert("note".into(), AttributeValue::Null(true));
    let n = Notification::from_item(item).unwrap();
    assert!(!n.read);
    assert_eq!(n.note, None);

    // Attributes the entity does not declare are ignored.
    let mut item = notification_item();
    item.insert("legacy".into(), s("whatever"));
    assert!(Notification::from_item(item).is_ok());
}

#[test]
fn missing_required_attribute_is_an_error_naming_entity_key_and_attribute() {
    let mut item = notification_item();
    item.remove("message");
    let err = Notification::from_item(item).unwrap_err();
    assert_eq!(
        err,
        DecodeError::MissingAttribute {
            entity: "Notification",
            key: r#"PK="USER#u1" SK="NOTIFICATION#n1""#.into(),
            attribute: "message",
            expected: "S",
        }
    );
    assert_eq!(
        err.to_string(),
        r#"item PK="USER#u1" SK="NOTIFICATION#n1" of entity `Notification` has no attribute `message` (S), which is required: write it (a migration can backfill it) or give the field a default"#
    );
}

#[test]
fn generated_ids_are_required_when_reading() {
    let mut item = notification_item();
    item.remove("notification_id");
    let err = Notification::from_item(item).unwrap_err();
    assert_eq!(err.attribute(), "notification_id");
}

#[test]
fn wrong_type_is_an_error_with_expected_and_found() {
    let mut item = notification_item();
    item.insert("read".into(), s("yes"));
    let err = Notification::from_item(item).unwrap_err();
    assert_eq!(
        err,
        DecodeError::InvalidAttribute {
            entity: "Notification",
            key: r#"PK="USER#u1" SK="NOTIFICATION#n1""#.into(),
            attribute: "read",
            source: ValueError::TypeMismatch {
                expected: "BOOL",
                found: "S"
            },
        }
    );
    assert_eq!(
        err.to_string(),
        r#"item PK="USER#u1" SK="NOTIFICATION#n1" of entity `Notification`: attribute `read`: expected BOOL, found S"#
    );
}

#[test]
fn number_out_of_range_and_nested_errors_say_where() {
    let mut item = notification_item();
    item.insert("priority".into(), n("300"));
    let err = Notification::from_item(item).unwrap_err();
    assert!(
        err.to_string()
            .ends_with(r#"attribute `priority`: "300" is not a valid u8"#),
        "{err}"
    );

    let mut item = notification_item();
    item.insert("labels".into(), AttributeValue::L(vec![s("ok"), n("1")]));
    let err = Notification::from_item(item).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("attribute `labels`: element 1: expected S, found N"),
        "{err}"
    );

    let mut item = sample().to_item().unwrap();
    item.insert("address".into(), s("not a map"));
    let err = Everything::from_item(item).unwrap_err();
    assert_eq!(err.attribute(), "address");
    assert!(matches!(
        err,
        DecodeError::InvalidAttribute {
            source: ValueError::Serde { .. },
            ..
        }
    ));
}

#[test]
fn item_without_keys_still_names_what_is_missing() {
    let mut item = notification_item();
    item.remove("PK");
    item.remove("message");
    let err = Notification::from_item(item).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"item PK=<absent> SK="NOTIFICATION#n1""#),
        "{err}"
    );
}

#[test]
fn non_finite_floats_cannot_be_encoded() {
    let mut value = sample();
    value.double = f64::NAN;
    let err = value.to_item().unwrap_err();
    assert_eq!(err.entity, "Everything");
    assert_eq!(err.attribute, "double");
    assert!(
        err.to_string().contains("DynamoDB numbers are finite"),
        "{err}"
    );

    value.double = 1e300;
    let err = value.to_item().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot store attribute `double` of entity `Everything`: 1e300 is outside the range of \
         DynamoDB numbers (1e-130 to 1e126)"
    );
}

#[test]
fn integers_beyond_38_digits_cannot_be_encoded() {
    let mut value = sample();
    value.uhuge = u128::MAX;
    let err = value.to_item().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot store attribute `uhuge` of entity `Everything`: 340282366920938463463374607431768211455 \
         has more than 38 significant digits, the most a DynamoDB number holds"
    );
    // Trailing zeros are not significant.
    value.uhuge = 10u128.pow(38);
    assert!(value.to_item().is_ok());
}

#[test]
fn schema_describes_keys_indexes_and_attributes() {
    let schema = Notification::SCHEMA;
    assert_eq!(schema.name, "Notification");
    assert!(
        schema.rust_type.ends_with("entity_codec::Notification"),
        "{}",
        schema.rust_type
    );
    assert_eq!(schema.key.pk.source, "USER#{user_id}");
    assert_eq!(
        schema.key.sk.fields().collect::<Vec<_>>(),
        ["notification_id"]
    );
    assert!(schema.indexes.is_empty());

    let id = schema.attribute("notification_id").unwrap();
    assert_eq!(id.generated, Some(Generator::Ulid));
    assert!(!id.required);
    let read = schema.attribute("read").unwrap();
    assert_eq!(
        (read.kind, read.required, read.default),
        (AttributeKind::Bool, false, Some("false"))
    );
    let created = schema.attribute("createdAt").unwrap();
    assert_eq!(
        (created.field, created.kind, created.required),
        ("created_at", AttributeKind::String, true)
    );
    let note = schema.attribute("note").unwrap();
    assert_eq!((note.rust_type, note.required), ("Option<String>", false));
    assert_eq!(
        schema.attribute("labels").unwrap().default,
        Some("Default::default()")
    );

    let e = Everything::SCHEMA;
    let gsi = e.index("GSI1").unwrap();
    assert_eq!(
        (gsi.pk_attribute, gsi.sk_attribute),
        ("GSI1PK", Some("GSI1SK"))
    );
    assert_eq!(gsi.pk.prefix(), "EMAIL#");
    let kinds: Vec<_> = [
        "tags", "lucky", "blobs", "avatar", "address", "groups", "scores",
    ]
    .iter()
    .map(|name| e.attribute(name).unwrap().kind)
    .collect();
    assert_eq!(
        kinds,
        [
            AttributeKind::StringSet,
            AttributeKind::NumberSet,
            AttributeKind::BinarySet,
            AttributeKind::Binary,
            AttributeKind::Serde,
            AttributeKind::Map,
            AttributeKind::List,
        ]
    );
}

#[test]
fn typed_field_references_carry_attribute_names() {
    let fields = Notification::fields();
    assert_eq!(fields.created_at.name(), "createdAt");
    assert_eq!(fields.read.name(), "read");
    let _: dynatable_core::Field<Notification, bool> = fields.read;
    let _: dynatable_core::Field<Notification, Option<String>> = fields.note;
}
