use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", index(pk = "EMAIL#{email}", sk = "USER"))]
pub struct User {
    pub user_id: String,
    pub email: String,
}

fn main() {}
