//! Updates: the transactional outbox and its relays, price watches, the live price and stock
//! streams, and storewide announcements.
pub mod announcement;
pub mod live;
pub mod outbox;
pub mod price_watch;
pub mod relay;
