//! The test entities several test modules share, declared once: a user with a name and a bio,
//! and a user a backfill marks, with the shape a faulty writer leaves it in.

use dynatable_core::entity;

/// A user: a name and, once a migration fills it, a bio.
#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub username: String,
    /// The bio, which a migration fills.
    pub bio: Option<String>,
}

/// A user a backfill marks (`marked`), in the tests of shared backfills.
#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    name = "User",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct MarkedUser {
    /// The user's id.
    pub user_id: String,
    /// Set by the backfill.
    pub marked: Option<bool>,
}

/// A [`MarkedUser`] as a faulty writer left it: `marked` is not a boolean, so the item does not
/// decode.
#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    name = "User",
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedUser {
    /// The user's id.
    pub user_id: String,
    /// Not a boolean.
    pub marked: String,
}
