//! What `checkout` needs: the idempotency key and the payment.
use async_graphql::InputObject;

/// How the buyer pays.
#[derive(InputObject)]
pub(crate) struct PaymentInput {
    /// The payment method as the payment form tokenised it. With the built-in simulated provider:
    /// "tok_visa" succeeds, "tok_declined" is declined, "tok_fail_once" fails transiently once and
    /// succeeds on the retry Folio makes itself.
    pub(crate) token: String,
}

/// What `checkout` needs.
#[derive(InputObject)]
pub(crate) struct CheckoutInput {
    /// Chosen by the client (a UUID), the same on every retry of one checkout: one order and one
    /// charge per key, however often and concurrently it is sent. Keys are kept at least 24 hours.
    pub(crate) idempotency_key: String,
    /// How to pay.
    pub(crate) payment: PaymentInput,
}
