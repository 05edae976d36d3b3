use dynatable_core::{collection, entity, Item};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

#[collection(indx = "GSI1")]
pub enum Page {
    User(User),
    Again(User),
    Named { user: User },
    Empty,
    #[collection(other)]
    Other(Item),
    #[collection(other, fallback)]
    Rest(Item),
}

#[collection]
pub struct NotAnEnum {
    pub user: User,
}

fn main() {}
