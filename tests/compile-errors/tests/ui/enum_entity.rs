use dynatable_core::entity;

#[entity(pk = "EVENT#{id}", sk = "EVENT")]
pub enum Event {
    Created { id: String },
    Deleted { id: String },
}

fn main() {}
