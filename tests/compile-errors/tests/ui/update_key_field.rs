use dynatable_core::{entity, Table};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub username: String,
}

async fn rename(table: Table) {
    let _ = table.update::<User>(User::key("u1")).set(User::fields().user_id, "u2").send().await;
}

fn main() {
    let _ = rename;
}
