use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelcase")]
pub struct User {
    pub user_id: String,
}

fn main() {}
