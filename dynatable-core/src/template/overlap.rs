//! Whether two key templates can render the same key.
//!
//! Each template is a pattern over characters: literal text matches itself, a placeholder any
//! non-empty text (one character, then any number). Two such patterns share a string exactly when
//! the product of their automata reaches the pair of end states, which a breadth-first walk over
//! pairs of positions decides.

use std::collections::VecDeque;

use super::segment::Segment;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbol {
    Char(char),
    /// Exactly one character.
    Any,
    /// Zero or more characters.
    Star,
}

fn symbols(segments: &[Segment]) -> Vec<Symbol> {
    let mut out = Vec::new();
    for segment in segments {
        match segment {
            Segment::Literal(text) => out.extend(text.chars().map(Symbol::Char)),
            Segment::Field(_) => {
                out.push(Symbol::Any);
                out.push(Symbol::Star);
            }
        }
    }
    out
}

fn compatible(a: Symbol, b: Symbol) -> bool {
    match (a, b) {
        (Symbol::Char(x), Symbol::Char(y)) => x == y,
        _ => true,
    }
}

/// The position after `symbol` at `at` consumes one character.
fn advance(symbol: Symbol, at: usize) -> usize {
    match symbol {
        Symbol::Star => at,
        Symbol::Char(_) | Symbol::Any => at + 1,
    }
}

pub(crate) fn templates_overlap(left: &[Segment], right: &[Segment]) -> bool {
    let a = symbols(left);
    let b = symbols(right);
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut queue = VecDeque::from([(0usize, 0usize)]);
    seen[0] = true;
    while let Some((i, j)) = queue.pop_front() {
        if i == a.len() && j == b.len() {
            return true;
        }
        let mut next = Vec::with_capacity(3);
        // A star may match nothing.
        if a.get(i) == Some(&Symbol::Star) {
            next.push((i + 1, j));
        }
        if b.get(j) == Some(&Symbol::Star) {
            next.push((i, j + 1));
        }
        // Both consume one common character.
        if let (Some(&x), Some(&y)) = (a.get(i), b.get(j))
            && compatible(x, y)
        {
            next.push((advance(x, i), advance(y, j)));
        }
        for (ni, nj) in next {
            let slot = ni * width + nj;
            if !seen[slot] {
                seen[slot] = true;
                queue.push_back((ni, nj));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::templates_overlap;
    use crate::template::Segment::{Field, Literal};

    #[test]
    fn literal_templates_overlap_only_when_equal() {
        assert!(templates_overlap(
            &[Literal("PROFILE")],
            &[Literal("PROFILE")]
        ));
        assert!(!templates_overlap(
            &[Literal("PROFILE")],
            &[Literal("PROFILES")]
        ));
    }

    #[test]
    fn placeholder_needs_at_least_one_character() {
        assert!(!templates_overlap(
            &[Literal("USER#"), Field("id")],
            &[Literal("USER#")]
        ));
        assert!(templates_overlap(
            &[Literal("USER#"), Field("id")],
            &[Literal("USER#1")]
        ));
    }

    #[test]
    fn suffix_behind_placeholder_overlaps() {
        let user = [Literal("USER#"), Field("id")];
        let admin = [Literal("USER#"), Field("id"), Literal("#ADMIN")];
        assert!(templates_overlap(&user, &admin));
        assert!(templates_overlap(&admin, &user));
    }

    #[test]
    fn different_prefixes_are_disjoint() {
        let photo = [Literal("PHOTO#"), Field("id")];
        let note = [Literal("NOTIFICATION#"), Field("id")];
        assert!(!templates_overlap(&photo, &note));
    }

    #[test]
    fn leading_placeholders_can_overlap_anything_with_a_matching_tail() {
        let a = [Field("x"), Literal("#A")];
        let b = [Literal("B#"), Field("y")];
        assert!(templates_overlap(&a, &b)); // "B#1#A"
        let c = [Field("x"), Literal("#A")];
        let d = [Literal("B#"), Field("y"), Literal("#C")];
        assert!(!templates_overlap(&c, &d));
    }
}
