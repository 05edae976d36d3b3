use dynatable_core::KeySegment;

#[derive(KeySegment)]
pub struct NotAnEnum {
    pub status: String,
}

#[derive(KeySegment)]
#[key_segment(rename_all = "snake_case")]
pub enum Status {
    Cart,
    Placed(u32),
    Shipped { at: u64 },
}

#[derive(KeySegment)]
#[key_segment(rename_all = "lowercase")]
pub enum Twice {
    Open,
    OPEN,
}

#[derive(KeySegment)]
#[key_segment(rename = "x")]
pub enum UnknownOption {
    A,
}

#[derive(KeySegment)]
#[key_segment(rename_all = "Title Case")]
pub enum UnknownRule {
    A,
}

fn main() {}
