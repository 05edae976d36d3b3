//! Which pages of a resumable scan are finished. Items of many pages are written at once, so a
//! page can finish before an earlier one of its segment; a segment's recorded position moves past
//! a page only once that page and every earlier page of the segment are finished, so that a
//! resumed run never skips an item that was not written.

use std::collections::VecDeque;

use dynatable_core::{Cursor, SegmentPosition};

/// The pages in flight and the position of every segment.
#[derive(Debug)]
pub(crate) struct PageTracker {
    positions: Vec<SegmentPosition>,
    pending: Vec<VecDeque<PendingPage>>,
    next_page: u64,
}

#[derive(Debug)]
struct PendingPage {
    id: u64,
    remaining: usize,
    /// The segment's position once this page is finished.
    after: SegmentPosition,
}

impl PageTracker {
    /// A tracker starting from these positions, one per segment.
    pub(crate) fn new(positions: Vec<SegmentPosition>) -> Self {
        let pending = positions.iter().map(|_| VecDeque::new()).collect();
        Self {
            positions,
            pending,
            next_page: 0,
        }
    }

    /// Every segment's position: after the last page finished with all those before it.
    pub(crate) fn positions(&self) -> &[SegmentPosition] {
        &self.positions
    }

    /// A page of `segment` with `items` items, read from the segment's position and ending at
    /// `cursor`. Returns the page's id, and whether the positions moved (an empty page finishes
    /// at once).
    pub(crate) fn page(
        &mut self,
        segment: usize,
        items: usize,
        cursor: Option<Cursor>,
    ) -> (u64, bool) {
        let id = self.next_page;
        self.next_page += 1;
        if let Some(pages) = self.pending.get_mut(segment) {
            pages.push_back(PendingPage {
                id,
                remaining: items,
                after: cursor.map_or(SegmentPosition::Done, SegmentPosition::After),
            });
        }
        (id, self.settle(segment))
    }

    /// One item of page `id` of `segment` is written (or skipped). Returns whether the positions
    /// moved.
    pub(crate) fn item_done(&mut self, segment: usize, id: u64) -> bool {
        if let Some(page) = self
            .pending
            .get_mut(segment)
            .and_then(|pages| pages.iter_mut().find(|p| p.id == id))
        {
            page.remaining = page.remaining.saturating_sub(1);
        }
        self.settle(segment)
    }

    /// Moves the segment's position past its finished leading pages.
    fn settle(&mut self, segment: usize) -> bool {
        let (Some(pages), Some(position)) = (
            self.pending.get_mut(segment),
            self.positions.get_mut(segment),
        ) else {
            return false;
        };
        let mut moved = false;
        while pages.front().is_some_and(|p| p.remaining == 0) {
            if let Some(page) = pages.pop_front() {
                *position = page.after;
                moved = true;
            }
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(text: &str) -> Option<Cursor> {
        Some(Cursor(
            dynatable_core::PrimaryKey::new(text, text).to_key_item(),
        ))
    }

    #[test]
    fn a_segment_moves_only_past_pages_finished_in_order() {
        let mut t = PageTracker::new(vec![SegmentPosition::Start, SegmentPosition::Start]);
        let (first, _) = t.page(0, 2, cursor("a"));
        let (second, _) = t.page(0, 1, None);
        // The second page finishes first: segment 0 stays at its start.
        assert!(!t.item_done(0, second));
        assert_eq!(t.positions()[0], SegmentPosition::Start);
        assert!(!t.item_done(0, first));
        assert!(t.item_done(0, first), "both pages are finished now");
        assert_eq!(t.positions()[0], SegmentPosition::Done);
        assert_eq!(t.positions()[1], SegmentPosition::Start);
    }

    #[test]
    fn an_empty_page_finishes_at_once() {
        let mut t = PageTracker::new(vec![SegmentPosition::Start]);
        let (_, moved) = t.page(0, 0, cursor("a"));
        assert!(moved);
        assert!(matches!(t.positions()[0], SegmentPosition::After(_)));
    }
}
