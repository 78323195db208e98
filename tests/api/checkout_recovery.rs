//! Recovering checkouts whose payment answer was lost: the order left pending is settled paid if
//! the card was charged, and failed (with the cart and its holds back) if it was not.
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use folio::payment::{Charge, ChargeRequest, PaymentError, PaymentProvider, SimulatedProvider};
use serde_json::json;

use crate::cart::{add, cart};
use crate::checkout::{checkout, ledger};
use crate::helpers::{Backend, TestApp, data, spawn_app};

/// A provider whose answers are lost: it passes charges on to the simulated provider when `charges`
/// is set, but Folio never hears back, as when a process dies between charging and recording.
struct LostAnswers {
    inner: SimulatedProvider,
    charges: bool,
    calls: AtomicUsize,
}

#[async_trait]
impl PaymentProvider for LostAnswers {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.charges {
            self.inner.charge(request).await?;
        }
        Err(PaymentError::Transient("connection reset".into()))
    }
    async fn find_charge(&self, key: &str) -> Result<Option<Charge>, PaymentError> {
        self.inner.find_charge(key).await
    }
    async fn refund(&self, key: &str) -> Result<(), PaymentError> {
        self.inner.refund(key).await
    }
}

/// Checks out through `provider` (whose answers are lost), leaving the order PENDING_PAYMENT.
async fn checkout_without_an_answer(app: &TestApp, user: &str, charges: bool) -> i64 {
    let provider = LostAnswers {
        inner: ledger(app),
        charges,
        calls: AtomicUsize::new(0),
    };
    let state = app.state();
    let order = folio::services::commerce::checkout::checkout(
        &state.db,
        &state.counts,
        &provider,
        &folio::services::commerce::checkout::CheckoutSettings::from(state.config.as_ref()),
        user.parse().unwrap(),
        "key-1",
        "tok_visa",
    )
    .await
    .unwrap();
    assert_eq!(
        order.status,
        folio::domain::status::OrderStatus::PendingPayment
    );
    assert_eq!(
        provider.calls.load(Ordering::Relaxed),
        3,
        "retried, then left for recovery"
    );
    order.id
}

async fn settle(app: &TestApp) -> usize {
    let state = app.state();
    folio::services::commerce::settlement::settle_stale_payments(
        &state.db,
        state.payments.as_ref(),
        std::time::Duration::ZERO,
        state.config.hold_ttl,
    )
    .await
    .unwrap()
}

async fn an_order_left_pending_after_a_charge_is_settled_paid_by_recovery(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, user, _) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;
    let id = checkout_without_an_answer(&app, &user, true).await;
    assert_eq!(
        app.stock_of(&book).await,
        (2, vec![(4, 2)]),
        "held for the order"
    );

    assert_eq!(settle(&app).await, 1);
    let body = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { order(id: $id) { status payment { status reference } } }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_eq!(data(&body, "order")["status"], "PAID");
    assert_eq!(app.stock_of(&book).await, (2, vec![(2, 0)]), "sold once");
    assert_eq!(
        ledger(&app).charge_count().await.unwrap(),
        1,
        "charged once"
    );
    // The client's retry of the checkout now sees the settled order.
    let retry = checkout(&app, &token, "key-1", "tok_visa").await;
    assert_eq!(data(&retry, "checkout")["id"], id.to_string());
    assert_eq!(data(&retry, "checkout")["status"], "PAID");
    assert_eq!(settle(&app).await, 0, "nothing is settled twice");
}

async fn an_order_left_pending_before_a_charge_is_settled_failed_by_recovery(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, user, _) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;
    let id = checkout_without_an_answer(&app, &user, false).await;

    assert_eq!(settle(&app).await, 1);
    let body = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { order(id: $id) { status payment { status } } }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_eq!(data(&body, "order")["status"], "PAYMENT_FAILED");
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 0);
    let view = cart(&app, &token).await;
    assert_eq!(
        view["items"][0]["quantity"], 2,
        "the units are back in the cart"
    );
    assert_eq!(view["items"][0]["hold"], "HELD");
    assert_eq!(app.stock_of(&book).await, (2, vec![(4, 2)]));
}

crate::on_every_backend!(
    an_order_left_pending_after_a_charge_is_settled_paid_by_recovery,
    an_order_left_pending_before_a_charge_is_settled_failed_by_recovery,
);
