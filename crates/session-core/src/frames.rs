//! Cutting a catch-up into WebSocket frames of bounded size.

/// Splits items (events, or their JSON) into consecutive chunks whose sizes, as `size_of`
/// counts them, stay under `max_bytes` (an item larger than that gets a chunk of its own).
/// Never returns an empty list: no items give one empty chunk, so a reply always has a frame
/// to carry the state.
pub fn chunk_by_size<T>(items: Vec<T>, size_of: impl Fn(&T) -> usize, max_bytes: usize) -> Vec<Vec<T>> {
    let mut chunks = vec![];
    let mut current = vec![];
    let mut size = 0;
    for item in items {
        let len = size_of(&item);
        if !current.is_empty() && size + len > max_bytes {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(item);
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::SessionEvent;

    fn chunk_events(events: Vec<SessionEvent>, max_bytes: usize) -> Vec<Vec<SessionEvent>> {
        chunk_by_size(events, |e| serde_json::to_string(e).unwrap().len() + 1, max_bytes)
    }
    use oi_protocol::events::{EventBody, Notice, NoticeLevel};

    fn ev(seq: u64, size: usize) -> SessionEvent {
        SessionEvent {
            seq,
            at: 0,
            body: EventBody::Notice(Notice { level: NoticeLevel::Info, message: "x".repeat(size) }),
        }
    }

    #[test]
    fn chunks_keep_order_and_bound() {
        let events: Vec<_> = (1..=10).map(|s| ev(s, 100)).collect();
        let chunks = chunk_events(events, 400);
        assert!(chunks.len() > 1);
        let seqs: Vec<u64> = chunks.iter().flatten().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
        for c in &chunks {
            assert!(serde_json::to_string(c).unwrap().len() <= 400 + 10);
        }
    }

    #[test]
    fn empty_and_oversize() {
        assert_eq!(chunk_events(vec![], 100), vec![Vec::<SessionEvent>::new()]);
        let chunks = chunk_events(vec![ev(1, 1000), ev(2, 1)], 100);
        assert_eq!(chunks.len(), 2);
    }
}
