//! Every container and field option together.

use dynatable_core::{entity, Entity};

#[entity(
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}",
    index(name = "ByEmail", pk = "EMAIL#{email}", sk = "ORG#{org_id}", pk_attribute = "emailPk", sk_attribute = "emailSk"),
    index(name = "GSI2", pk = "ROLE#{role}"),
    name = "OrgMember",
    rename_all = "camelCase",
    constructor = "create",
)]
pub struct Member {
    pub org_id: String,
    #[entity(generate = "ulid")]
    pub member_id: String,
    pub email: String,
    #[entity(default = "viewer")]
    pub role: String,
    #[entity(rename = "joined")]
    pub joined_at: String,
    #[entity(default)]
    pub logins: u64,
    #[entity(serde)]
    pub settings: std::collections::BTreeMap<String, bool>,
}

fn main() {
    let m = Member::create("o1", "a@example.com", "2026-01-01", Default::default());
    assert_eq!(m.role, "viewer");
    assert_eq!(Member::SCHEMA.name, "OrgMember");
    assert_eq!(Member::by_email_partition_key("a@example.com"), "EMAIL#a@example.com");
    assert_eq!(Member::gsi2_partition_key("viewer"), "ROLE#viewer");
    let item = m.to_item().unwrap();
    assert!(item.contains_key("emailPk") && item.contains_key("GSI2PK") && item.contains_key("joined"));
}
