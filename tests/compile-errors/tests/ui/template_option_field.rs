use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "TEAM#{team_id}")]
pub struct Membership {
    pub user_id: String,
    pub team_id: Option<String>,
}

fn main() {}
