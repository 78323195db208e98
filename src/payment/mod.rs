//! Payment providers. Folio charges through the [`PaymentProvider`] trait; the built-in
//! [`SimulatedProvider`] (the default) stands in for a real one, with the contract's test tokens.
//!
//! Every call carries an idempotency key, the order's `payment_key`: a provider charges a key at
//! most once, so a retried charge (after a timeout, a crash, or on another instance) is never
//! doubled, and `find_charge` answers whether a key was charged when Folio did not hear back.
mod simulated;

use std::sync::Arc;

use async_trait::async_trait;

pub use simulated::SimulatedProvider;

/// What to charge.
#[derive(Clone, Debug)]
pub struct ChargeRequest {
    /// At most one charge is ever made per key.
    pub idempotency_key: String,
    /// The payment method, as the client's payment form tokenised it.
    pub token: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// A charge the provider made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The provider's reference for it, shown to the buyer.
    pub reference: String,
    /// Whether it has been refunded since.
    pub refunded: bool,
}

/// Why a charge did not go through.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card or account said no; retrying will not help.
    #[error("declined")]
    Declined,
    /// The provider could not answer now (timeout, outage); the same key may be retried.
    #[error("transient failure: {0}")]
    Transient(String),
}

/// A payment provider. Every method is idempotent on its key.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Charges the request, or returns the charge already made with its key.
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, PaymentError>;

    /// The charge made with this key, if any.
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Charge>, PaymentError>;

    /// Refunds the charge made with this key; refunding twice, or a key never charged, is a no-op.
    async fn refund(&self, idempotency_key: &str) -> Result<(), PaymentError>;
}

/// The provider shared by the whole process.
pub(crate) type SharedProvider = Arc<dyn PaymentProvider>;
