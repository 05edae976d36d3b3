use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub username: String,
}

fn main() {
    let _ = User::fields().email;
}
