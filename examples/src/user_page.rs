//! A user's page, the read the app's users would write first: the profile, the latest photos
//! newest first, and the unread notifications, in one collection query.

use dynatable_core::{Error, Table, collection};
use futures::TryStreamExt as _;

use crate::entities::{Notification, Photo, User};

/// How many photos a page shows.
pub const PAGE_PHOTOS: usize = 20;

/// Every entity of a user's partition (`USER#{userId}`).
#[collection]
#[derive(Debug, Clone, PartialEq)]
pub enum UserItem {
    /// The profile (`SK = PROFILE`).
    User(User),
    /// A photo (`SK = PHOTO#{ms}#{photoId}`).
    Photo(Photo),
    /// A notification (`SK = NOTIFICATION#{notificationId}`).
    Notification(Notification),
}

/// What a user's page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserPage {
    /// The profile; `None` for an unknown user.
    pub user: Option<User>,
    /// The latest [`PAGE_PHOTOS`] photos, newest first.
    pub photos: Vec<Photo>,
    /// The notifications not read yet.
    pub unread: Vec<Notification>,
}

/// Reads the page of user `user_id` with one collection query: the partition newest sort key
/// first (the profile, then photos newest first, then notifications), read notifications left
/// out by a filter. The photos past the first [`PAGE_PHOTOS`] are read and dropped: for users
/// with thousands of photos, a second query for the notifications would read less.
///
/// # Errors
/// The query's [`Error`]: a request that failed, or an item that does not decode.
pub async fn read_user_page(table: &Table, user_id: &str) -> Result<UserPage, Error> {
    let n = Notification::fields();
    table
        .query_collection::<UserItem>(User::partition_key(user_id))
        .descending()
        .filter(n.read.eq(false).or(n.read.not_exists()))
        .stream()
        .try_fold(UserPage::default(), |mut page, item| async move {
            match item {
                UserItem::User(user) => page.user = Some(user),
                UserItem::Photo(photo) if page.photos.len() < PAGE_PHOTOS => {
                    page.photos.push(photo);
                }
                UserItem::Photo(_) => {}
                UserItem::Notification(notification) => page.unread.push(notification),
            }
            Ok(page)
        })
        .await
}
