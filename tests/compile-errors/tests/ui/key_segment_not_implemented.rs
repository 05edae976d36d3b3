use dynatable_core::entity;

pub struct TeamId(String);

#[entity(pk = "TEAM#{team_id}", sk = "TEAM")]
pub struct Team {
    pub team_id: TeamId,
}

fn main() {}
