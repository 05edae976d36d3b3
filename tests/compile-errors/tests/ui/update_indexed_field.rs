use dynatable_core::{entity, Table};

#[entity(pk = "USER#{user_id}", sk = "PROFILE", index(name = "GSI1", pk = "EMAIL#{email}"))]
pub struct User {
    pub user_id: String,
    pub email: String,
}

async fn change_email(table: Table) {
    let _ = table.update::<User>(User::key("u1")).set(User::fields().email, "new@example.com").send().await;
}

fn main() {
    let _ = change_email;
}
