use dynatable_core::{entity, Table};

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "INVITE#{invite_code}", sk = "USER#{user_id}")
)]
pub struct Member {
    pub user_id: String,
    pub invite_code: Option<String>,
}

async fn clear(table: Table) {
    let f = Member::fields();
    // The index key would go stale: an `Option` placeholder of a sparse index is a key field too.
    let _ = table.update::<Member>(Member::key("u1")).remove(f.invite_code).send().await;
}

fn main() {}
