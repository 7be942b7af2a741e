//! Exactly-once recording of bridge events.
//!
//! The bridge numbers its events with strictly increasing ids and re-sends every event the
//! Durable Object has not acknowledged. The Durable Object keeps the highest id it recorded
//! (`acked_through`, in SQLite) and records an event only when its id is above it.

/// What to do with a numbered bridge event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// New: record it, then acknowledge through its id.
    Record,
    /// Already recorded (a re-send): drop it, acknowledge again.
    Duplicate,
}

pub fn classify(acked_through: u64, id: u64) -> Delivery {
    if id > acked_through {
        Delivery::Record
    } else {
        Delivery::Duplicate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resend_after_reconnect_records_each_event_once() {
        // The bridge sent 1..=5; the DO recorded 1..=3 before the socket dropped, so the
        // bridge re-sends 3..=5 (it saw the ack for 2 only) and then 6.
        let mut acked = 0;
        let mut recorded = vec![];
        for id in [1, 2, 3, 3, 4, 5, 6] {
            if classify(acked, id) == Delivery::Record {
                recorded.push(id);
                acked = id;
            }
        }
        assert_eq!(recorded, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(classify(6, 0), Delivery::Duplicate);
    }
}
