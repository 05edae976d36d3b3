//! `#[entity(crate = "...")]` for a crate that reaches dynatable_core under another path.

mod reexport {
    pub use dynatable_core as dynatable;
}

use reexport::dynatable::Entity;

#[reexport::dynatable::entity(crate = "crate::reexport::dynatable", pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

fn main() {
    let user = User::new("u1");
    assert_eq!(user.primary_key().pk, "USER#u1");
}
