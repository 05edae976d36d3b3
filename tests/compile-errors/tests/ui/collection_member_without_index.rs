use dynatable_core::{collection, entity};

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "ORG#{org_id}", sk = "USER#{user_id}")
)]
pub struct User {
    pub user_id: String,
    pub org_id: String,
}

#[entity(pk = "PROJECT#{project_id}", sk = "META")]
pub struct Project {
    pub project_id: String,
    pub org_id: String,
}

#[collection(index = "GSI1")]
pub enum OrgPage {
    User(User),
    Project(Project),
}

fn main() {}
