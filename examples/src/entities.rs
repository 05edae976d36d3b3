//! The example's entities: users, their photos and notifications, in one partition per user.

use dynatable_core::entity;

use crate::Timestamp;

/// A user's profile.
#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The user's id (a ULID).
    #[entity(generate = "ulid")]
    pub user_id: String,
    /// The display name (lowercase since 0.2.0).
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// When the user signed up.
    pub created_at: Timestamp,
    /// A short self-description (empty unless written; added by 0.1.0).
    #[entity(default, since = "0.1.0")]
    pub bio: String,
    /// When the item last changed (added by 0.5.0).
    #[entity(since = "0.5.0")]
    pub updated_at: Option<Timestamp>,
}

/// A photo a user uploaded, sorted by upload time within the user's partition (since 0.3.0,
/// which re-keys the photos stored before under `PHOTO#{photoId}`).
#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{created_at}#{photo_id}",
    previous_key(until = "0.3.0", sk = "PHOTO#{photo_id}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    /// The owner.
    pub user_id: String,
    /// The photo's id (a ULID).
    #[entity(generate = "ulid")]
    pub photo_id: String,
    /// Where the image is stored.
    pub url: String,
    /// When it was uploaded (milliseconds since the epoch in the sort key).
    pub created_at: Timestamp,
    /// When the item last changed (added by 0.5.0).
    #[entity(since = "0.5.0")]
    pub updated_at: Option<Timestamp>,
}

/// Something to tell a user (added by 0.4.0).
#[entity(
    pk = "USER#{user_id}",
    sk = "NOTIFICATION#{notification_id}",
    rename_all = "camelCase",
    since = "0.4.0"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The user notified.
    pub user_id: String,
    /// The notification's id (a ULID).
    #[entity(generate = "ulid")]
    pub notification_id: String,
    /// What to tell.
    pub message: String,
    /// Whether the user has seen it.
    #[entity(default = false)]
    pub read: bool,
    /// When it was created (added by 0.5.0).
    #[entity(since = "0.5.0")]
    pub created_at: Option<Timestamp>,
    /// When the item last changed (added by 0.5.0).
    #[entity(since = "0.5.0")]
    pub updated_at: Option<Timestamp>,
}
