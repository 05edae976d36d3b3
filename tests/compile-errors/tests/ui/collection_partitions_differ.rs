use dynatable_core::{collection, entity};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

#[entity(pk = "ALBUM#{album_id}", sk = "PHOTO#{photo_id}")]
pub struct Photo {
    pub album_id: String,
    pub photo_id: String,
}

#[collection]
pub enum UserPage {
    User(User),
    Photo(Photo),
}

fn main() {}
