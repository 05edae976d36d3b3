use dynatable_core::{entity, Table};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub username: String,
}

#[entity(pk = "TEAM#{team_id}", sk = "TEAM")]
pub struct Team {
    pub team_id: String,
    pub name: String,
}

async fn mix(table: Table) {
    let _ = table.update::<User>(User::key("u1")).set(Team::fields().name, "x").send().await;
}

fn main() {
    let _ = mix;
}
