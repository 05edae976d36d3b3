use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    #[entity(default = Vec::<u8>::new())]
    pub bio: String,
}

fn main() {}
