//! What the macros must accept: every container and field option of `#[entity]` together, and a
//! `crate = "..."` override for a crate that reaches dynatable_core under another path.

mod every_option {
    use dynatable_core::{Entity, entity};

    #[entity(
        pk = "ORG#{org_id}",
        sk = "MEMBER#{member_id}",
        index(
            name = "ByEmail",
            pk = "EMAIL#{email}",
            sk = "ORG#{org_id}",
            pk_attribute = "emailPk",
            sk_attribute = "emailSk"
        ),
        index(name = "GSI2", pk = "ROLE#{role}"),
        name = "OrgMember",
        rename_all = "camelCase",
        constructor = "create"
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

    #[test]
    fn every_container_and_field_option_together() {
        let m = Member::create("o1", "a@example.com", "2026-01-01", Default::default());
        assert_eq!(m.role, "viewer");
        assert_eq!(m.logins, 0);
        assert_eq!(m.member_id.len(), 26, "a generated ULID");
        assert_eq!(Member::SCHEMA.name, "OrgMember");
        assert_eq!(
            Member::by_email_partition_key("a@example.com"),
            "EMAIL#a@example.com"
        );
        assert_eq!(Member::gsi2_partition_key("viewer"), "ROLE#viewer");
        let item = m.to_item().unwrap();
        assert!(item.contains_key("emailPk"));
        assert!(item.contains_key("GSI2PK"));
        assert!(item.contains_key("joined"));
    }
}

mod crate_override {
    mod reexport {
        pub use dynatable_core as dynatable;
    }

    use reexport::dynatable::Entity;

    #[reexport::dynatable::entity(
        crate = "crate::ui_pass::crate_override::reexport::dynatable",
        pk = "USER#{user_id}",
        sk = "PROFILE"
    )]
    pub struct User {
        pub user_id: String,
    }

    #[test]
    fn entity_reaches_the_runtime_through_the_named_path() {
        let user = User::new("u1");
        assert_eq!(user.primary_key().pk, "USER#u1");
    }
}
