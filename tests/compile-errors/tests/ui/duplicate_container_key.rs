use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", pk = "ACCOUNT#{user_id}")]
pub struct User {
    pub user_id: String,
}

fn main() {}
