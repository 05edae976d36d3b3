use dynatable_core::entity;

/// A user's profile.
#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The user's id (a ULID).
    #[entity(generate = "ulid")]
    pub user_id: String,
    /// The display name, as typed at sign-up.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// When the user signed up (ISO-8601).
    pub created_at: String,
}

/// A photo a user uploaded.
#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{photo_id}",
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
    /// When it was uploaded (ISO-8601).
    pub created_at: String,
}
