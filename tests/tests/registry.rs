//! The registry of every entity in a binary, and the check that keeps their keys apart.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dynatable_core::registry::{self, RegistryError};
use dynatable_core::{Entity, entity};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

#[entity(pk = "USER#{user_id}", sk = "PHOTO#{photo_id}")]
pub struct Photo {
    pub user_id: String,
    pub photo_id: String,
}

/// Its sort key `MEMBER#{id}` can render `MEMBER#x#ADMIN`, which `Admin`'s renders too.
#[entity(pk = "GROUP#{group_id}", sk = "MEMBER#{member_id}")]
pub struct Member {
    pub group_id: String,
    pub member_id: String,
}

#[entity(pk = "GROUP#{group_id}", sk = "MEMBER#{member_id}#ADMIN")]
pub struct Admin {
    pub group_id: String,
    pub member_id: String,
}

/// Same entity name as `User`, another Rust type.
mod legacy {
    use dynatable_core::entity;

    #[entity(pk = "LEGACY#{id}", sk = "LEGACY", name = "User")]
    pub struct OldUser {
        pub id: String,
    }
}

#[test]
fn lists_every_entity_of_the_binary_sorted_by_name() {
    let names: Vec<_> = registry::entities().iter().map(|e| e.name).collect();
    assert_eq!(names, ["Admin", "Member", "Photo", "User", "User"]);
}

#[test]
fn distinct_literals_keep_entities_apart() {
    assert_eq!(
        registry::check_schemas(&[User::SCHEMA, Photo::SCHEMA]),
        Ok(())
    );
}

#[test]
fn indistinguishable_keys_are_reported() {
    let errors = registry::check_schemas(&[Member::SCHEMA, Admin::SCHEMA]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(matches!(
        &errors[0],
        RegistryError::OverlappingKeys {
            first: "Member",
            second: "Admin",
            ..
        }
    ));
    assert_eq!(
        errors[0].to_string(),
        "entities `Member` (PK \"GROUP#{group_id}\", SK \"MEMBER#{member_id}\") and `Admin` (PK \
         \"GROUP#{group_id}\", SK \"MEMBER#{member_id}#ADMIN\") can produce the same primary key, so \
         one can overwrite or be read as the other: make a literal part of the partition or sort \
         key templates differ"
    );
}

#[test]
fn the_whole_binary_is_checked() {
    let errors = registry::check().unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, RegistryError::OverlappingKeys { .. }))
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, RegistryError::DuplicateName { name: "User", .. }))
    );
    let _ = legacy::OldUser { id: String::new() };
}
