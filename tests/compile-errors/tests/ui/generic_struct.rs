use dynatable_core::entity;

#[entity(pk = "BOX#{id}", sk = "BOX")]
pub struct Boxed<T> {
    pub id: String,
    pub value: T,
}

fn main() {}
