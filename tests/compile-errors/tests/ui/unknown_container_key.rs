use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_al = "camelCase")]
pub struct User {
    pub user_id: String,
}

fn main() {}
