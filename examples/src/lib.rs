//! The photo-sharing example app for dynatable: users and their photos in one DynamoDB table.
//!
//! Item shapes (they follow the seed document's patterns):
//!
//! | entity | `PK` | `SK` | attributes |
//! | --- | --- | --- | --- |
//! | [`User`] | `USER#{userId}` | `PROFILE` | `userId`, `username`, `email`, `createdAt` |
//! | [`Photo`] | `USER#{userId}` | `PHOTO#{photoId}` | `userId`, `photoId`, `url`, `createdAt` |

mod entities;

pub use entities::{Photo, User};

/// The table the example uses unless `DYNATABLE_TABLE` names another.
pub const DEFAULT_TABLE: &str = "photo-app";

/// The table name: `DYNATABLE_TABLE`, or [`DEFAULT_TABLE`].
pub fn table_name() -> String {
    std::env::var("DYNATABLE_TABLE")
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TABLE.to_owned())
}
