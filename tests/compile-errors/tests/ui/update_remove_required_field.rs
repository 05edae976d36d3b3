use dynatable_core::{entity, Table};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub username: String,
}

async fn forget(table: Table) {
    let _ = table.update::<User>(User::key("u1")).remove(User::fields().username).send().await;
}

fn main() {
    let _ = forget;
}
