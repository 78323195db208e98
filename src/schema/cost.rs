//! The query-cost budget (README, "Rate limits and cost"): every operation costs its complexity
//! (what `schema::limits` computes, seen here in the validation hook), taken from its caller's
//! leaky bucket (per user, per client IP when anonymous) in the one limiter call of the request,
//! before anything runs. A refused operation fails with RATE_LIMITED (`extensions.retryAfter`).
//!
//! Every response carries `extensions.cost`, with the names Shopify's Admin API uses:
//! `requestedQueryCost` is the operation's complexity; `actualQueryCost` is what was taken from the
//! bucket: the requested cost, at most the whole bucket (so that whatever the complexity limit lets
//! through can run on a full one), 1 for a request that failed before its cost was known (a parse
//! or validation error still costs a point), and null when the operation was refused. Folio does
//! not recount after execution: what was taken is what was asked. `throttleStatus` is the bucket
//! after the charge. A subscription's first response carries it (its events cost nothing).
//!
//! The transport reads the same charge from the request's `Receipt` to set the HTTP headers.
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensions, Name, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream};
use futures_util::{FutureExt, StreamExt};

use crate::domain::client::ClientIp;
use crate::domain::rate::Rate;
use crate::domain::viewer::Viewer;
use crate::limiter::{Decision, Limiter, caller_key};
use crate::state::AppState;

/// What the cost check decided for one operation.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Charge {
    /// The operation's complexity (0 when it never got that far).
    pub(crate) requested: u64,
    /// Points taken from the bucket; `None` when refused.
    pub(crate) actual: Option<u64>,
    pub(crate) decision: Decision,
    pub(crate) budget: Rate,
}

/// Where the charge of a request is left for its transport (for `RateLimit` headers and 429).
#[derive(Default)]
pub(crate) struct Receipt(Mutex<Option<Charge>>);

impl Receipt {
    /// The charge, once the request has run.
    pub(crate) fn charge(&self) -> Option<Charge> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The extension that charges every operation its cost.
pub(crate) struct CostBudget;

impl ExtensionFactory for CostBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostMeter::default())
    }
}

/// One request's meter: who pays, and what was charged. Shared with the stream of a
/// subscription, which outlives the hooks.
#[derive(Default)]
struct CostMeter(Arc<Mutex<Metered>>);

#[derive(Default)]
struct Metered {
    limiter: Option<Arc<Limiter>>,
    key: String,
    receipt: Option<Arc<Receipt>>,
    charge: Option<Charge>,
}

fn lock(meter: &Mutex<Metered>) -> std::sync::MutexGuard<'_, Metered> {
    meter.lock().unwrap_or_else(|e| e.into_inner())
}

impl CostMeter {
    async fn charge(&self, requested: u64) -> Option<Charge> {
        let (limiter, key) = {
            let meter = lock(&self.0);
            (meter.limiter.clone()?, meter.key.clone())
        };
        let decision = limiter.charge_cost(&key, requested).await;
        let budget = limiter.limits().cost_budget;
        let actual = decision.allowed.then(|| requested.clamp(1, budget.count));
        let charge = Charge {
            requested,
            actual,
            decision,
            budget,
        };
        lock(&self.0).charge = Some(charge);
        Some(charge)
    }
}

/// Adds `extensions.cost` to `response`, charging a point first if nothing was charged yet.
async fn finish(meter: &CostMeter, mut response: Response) -> Response {
    let charged = lock(&meter.0).charge;
    let charge = match charged {
        Some(charge) => Some(charge),
        None => meter.charge(0).await,
    };
    let Some(charge) = charge else {
        return response;
    };
    if let Some(receipt) = &lock(&meter.0).receipt {
        *receipt.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(charge);
    }
    response
        .extensions
        .insert("cost".to_owned(), cost_value(&charge));
    response
}

fn cost_value(charge: &Charge) -> Value {
    let object = |entries: Vec<(&str, Value)>| {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (Name::new(k), v))
                .collect(),
        )
    };
    let status = object(vec![
        ("maximumAvailable", Value::from(charge.budget.count)),
        (
            "currentlyAvailable",
            Value::from(charge.decision.remaining.floor() as u64),
        ),
        ("restoreRate", Value::from(charge.budget.per_second())),
    ]);
    object(vec![
        ("requestedQueryCost", Value::from(charge.requested)),
        (
            "actualQueryCost",
            charge.actual.map_or(Value::Null, Value::from),
        ),
        ("throttleStatus", status),
    ])
}

#[async_trait::async_trait]
impl Extension for CostMeter {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Who pays is known from the request's data, which every later hook may no longer see.
        if let Some(state) = ctx.data_opt::<AppState>() {
            let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
            let ip = ctx.data_opt::<ClientIp>().copied();
            let mut meter = lock(&self.0);
            meter.limiter = Some(state.limiter.clone());
            meter.key = caller_key(&viewer, ip);
            meter.receipt = ctx.data_opt::<Arc<Receipt>>().cloned();
        }
        next.run(ctx, query, variables).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let Some(charge) = self.charge(result.complexity as u64).await else {
            return Ok(result);
        };
        match charge.decision.into_result() {
            Ok(()) => Ok(result),
            Err(refused) => Err(vec![refused.extend().into_server_error(Default::default())]),
        }
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        finish(self, response).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        Costed {
            responses: next.run(ctx, stream),
            meter: Some(Arc::new(CostMeter(self.0.clone()))),
            finishing: None,
        }
        .boxed()
    }
}

/// A subscription's responses, the first one carrying the operation's cost. It lives as long as
/// the subscription, so it is kept small: the future that adds the cost (which may call the
/// limiter, a large state machine) is boxed, and only while it runs.
struct Costed<'s> {
    responses: BoxStream<'s, Response>,
    /// Until the first response.
    meter: Option<Arc<CostMeter>>,
    finishing: Option<BoxFuture<'s, Response>>,
}

impl Stream for Costed<'_> {
    type Item = Response;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Response>> {
        let this = self.get_mut();
        if let Some(finishing) = &mut this.finishing {
            let response = std::task::ready!(finishing.as_mut().poll(cx));
            this.finishing = None;
            return Poll::Ready(Some(response));
        }
        let Some(response) = std::task::ready!(this.responses.poll_next_unpin(cx)) else {
            return Poll::Ready(None);
        };
        let Some(meter) = this.meter.take() else {
            return Poll::Ready(Some(response));
        };
        let mut finishing = async move { finish(&meter, response).await }.boxed();
        match finishing.as_mut().poll(cx) {
            Poll::Ready(response) => Poll::Ready(Some(response)),
            Poll::Pending => {
                this.finishing = Some(finishing);
                Poll::Pending
            }
        }
    }
}
