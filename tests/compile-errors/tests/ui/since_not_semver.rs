use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", since = "v4")]
pub struct User {
    pub user_id: String,
    #[entity(since = "0.2", default)]
    pub nickname: String,
}

fn main() {}
