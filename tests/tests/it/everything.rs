//! An entity with a field of every supported type, shared by the codec tests.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use dynatable_core::{Bytes, entity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub zip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Plan {
    Free,
    Pro { seats: u32 },
}

#[entity(
    pk = "ACCOUNT#{account_id}",
    sk = "ALL#{version}",
    index(name = "GSI1", pk = "EMAIL#{email}", sk = "ACCOUNT#{account_id}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Everything {
    pub account_id: String,
    pub version: u32,
    pub email: String,
    pub small_signed: i8,
    pub short: i16,
    pub int: i32,
    pub long: i64,
    pub huge: i128,
    pub byte: u8,
    pub ushort: u16,
    pub uint: u32,
    pub ulong: u64,
    pub uhuge: u128,
    pub isize_value: isize,
    pub usize_value: usize,
    pub single: f32,
    pub double: f64,
    pub flag: bool,
    pub letter: char,
    pub text: String,
    pub maybe: Option<String>,
    pub nothing: Option<i64>,
    pub names: Vec<String>,
    pub scores: Vec<i64>,
    pub sparse: Vec<Option<i32>>,
    pub counters: HashMap<String, u64>,
    pub groups: BTreeMap<String, Vec<String>>,
    pub tags: HashSet<String>,
    pub lucky: BTreeSet<i64>,
    pub ids: HashSet<u64>,
    pub blobs: BTreeSet<Bytes>,
    pub no_tags: HashSet<String>,
    pub avatar: Bytes,
    #[entity(serde)]
    pub address: Address,
    #[entity(serde)]
    pub plan: Plan,
    #[entity(serde)]
    pub previous_plan: Option<Plan>,
}

pub fn sample() -> Everything {
    Everything {
        account_id: "a-1".into(),
        version: 7,
        email: "ada@example.com".into(),
        small_signed: i8::MIN,
        short: i16::MAX,
        int: -123_456,
        long: i64::MIN,
        huge: -(i128::MAX / 10), // 38 digits, DynamoDB's most
        byte: u8::MAX,
        ushort: 65_535,
        uint: u32::MAX,
        ulong: u64::MAX,
        uhuge: u128::MAX / 10,
        isize_value: -42,
        usize_value: 42,
        single: 0.1,
        double: 1.000_000_000_000_000_2,
        flag: true,
        letter: 'é',
        text: "Grüße, 世界 #1".into(),
        maybe: Some("here".into()),
        nothing: None,
        names: vec!["ada".into(), "grace".into()],
        scores: vec![1, -2, 9_007_199_254_740_993],
        sparse: vec![Some(1), None, Some(3)],
        counters: HashMap::from([("views".into(), 10), ("likes".into(), u64::MAX)]),
        groups: BTreeMap::from([
            ("admins".into(), vec!["ada".into()]),
            ("empty".into(), vec![]),
        ]),
        tags: HashSet::from(["x".into(), "y".into()]),
        lucky: BTreeSet::from([-7, 13]),
        ids: HashSet::from([1, u64::MAX]),
        blobs: BTreeSet::from([Bytes(vec![0, 1]), Bytes(vec![255])]),
        no_tags: HashSet::new(),
        avatar: Bytes(vec![0x89, b'P', b'N', b'G', 0]),
        address: Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            zip: None,
        },
        plan: Plan::Pro { seats: 5 },
        previous_plan: Some(Plan::Free),
    }
}
