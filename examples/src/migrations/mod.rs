//! The app's migrations: the seed document's five patterns, in version order.

mod v0_1_0_add_user_bio;
mod v0_2_0_normalize_usernames;
mod v0_3_0_change_photo_sort_key;
mod v0_4_0_add_notification_entity;
mod v0_5_0_add_timestamps;

pub use v0_1_0_add_user_bio::AddUserBio;
pub use v0_2_0_normalize_usernames::NormalizeUsernames;
pub use v0_3_0_change_photo_sort_key::ChangePhotoSortKey;
pub use v0_4_0_add_notification_entity::AddNotificationEntity;
pub use v0_5_0_add_timestamps::AddTimestamps;
