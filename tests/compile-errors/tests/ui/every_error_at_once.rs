use dynatable_core::entity;

#[entity(pk = "USER#{user}", sk = "PROFILE#{", colour = "blue")]
pub struct User {
    pub user_id: String,
    #[entity(default = 1.5)]
    pub verified: bool,
}

fn main() {}
