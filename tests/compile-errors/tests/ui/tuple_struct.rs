use dynatable_core::entity;

#[entity(pk = "USER#{0}", sk = "PROFILE")]
pub struct User(pub String);

fn main() {}
