//! The photo-sharing example app for dynatable: users, their photos and notifications in one
//! DynamoDB table, and the migrations that took its data from the seed document's first shape to
//! this one.
//!
//! Item shapes:
//!
//! | entity | `PK` | `SK` | attributes |
//! | --- | --- | --- | --- |
//! | [`User`] | `USER#{userId}` | `PROFILE` | `userId`, `username`, `email`, `createdAt`, `bio` (0.1.0), `updatedAt` (0.5.0) |
//! | [`Photo`] | `USER#{userId}` | `PHOTO#{timestampMs}#{photoId}` (0.3.0; before: `PHOTO#{photoId}`) | `userId`, `photoId`, `url`, `createdAt`, `updatedAt` (0.5.0) |
//! | [`Notification`] (0.4.0) | `USER#{userId}` | `NOTIFICATION#{notificationId}` | `userId`, `notificationId`, `message`, `read`, `createdAt`, `updatedAt` (0.5.0) |
//!
//! Migrations ([`migrations`]), the seed document's five patterns:
//!
//! | version | name | what it does |
//! | --- | --- | --- |
//! | 0.1.0 | `add_user_bio` | `bio = ""` on every user; down removes it |
//! | 0.2.0 | `normalize_usernames` | lowercases usernames, writing only changed users; irreversible |
//! | 0.3.0 | `change_photo_sort_key` | re-keys photos by delete + put transactions; down restores the old keys |
//! | 0.4.0 | `add_notification_entity` | schema only (recorded automatically); down deletes every notification |
//! | 0.5.0 | `add_timestamps` | `createdAt` where missing, `updatedAt` on every item; down removes `updatedAt` only |
//!
//! Reads: [`user_page`], a user's profile, latest photos and unread notifications in one
//! collection query.
//!
//! Binaries: `migrate` (the `dynatable_migrate::cli` command line), `seed` (fills the table
//! with data in the pre-0.1.0 shape) and `user-page` (prints a user's page).

mod entities;
pub mod migrations;
pub mod seed;
pub mod table_args;
pub mod user_page;

pub use dynatable_core::Timestamp;
pub use entities::{Notification, Photo, User};

/// The table the example uses unless `--table` or `DYNATABLE_TABLE` names another.
pub const DEFAULT_TABLE: &str = "photo-app";
