use dynatable_core::entity;

// Items written before 0.2.0 have no `nickname`: it needs a default or an Option.
#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    #[entity(since = "0.2.0")]
    pub nickname: String,
}

fn main() {}
