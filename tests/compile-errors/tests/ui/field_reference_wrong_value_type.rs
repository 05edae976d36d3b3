use dynatable_core::{entity, Field};

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    pub username: String,
}

fn set<E, T>(_field: Field<E, T>, _value: T) {}

fn main() {
    set(User::fields().username, 42);
}
