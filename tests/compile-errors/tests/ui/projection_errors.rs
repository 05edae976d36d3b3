use dynatable_core::{entity, projection};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub name: String,
    pub logins: u64,
}

#[projection(of = User)]
pub struct Card {
    pub nickname: String,
    pub logins: String,
}

#[projection]
pub struct NoEntity {
    pub name: String,
}

#[projection(of = User, color = "red")]
pub struct Unknown {
    #[projection(default)]
    pub name: Option<String>,
}

fn main() {}
