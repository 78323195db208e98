//! `Warehouse` and what it takes to add one.
use async_graphql::{ID, InputObject, SimpleObject};

use crate::entities::warehouse;

/// A place stock is kept and shipped from.
#[derive(SimpleObject, Clone)]
pub(crate) struct Warehouse {
    /// Opaque identifier.
    pub(crate) id: ID,
    /// Unique name.
    pub(crate) name: String,
    /// Where it is, e.g. "eu-west".
    pub(crate) region: String,
}

impl From<warehouse::Model> for Warehouse {
    fn from(m: warehouse::Model) -> Self {
        Warehouse {
            id: ID(m.id.to_string()),
            name: m.name,
            region: m.region,
        }
    }
}

/// A new warehouse.
#[derive(InputObject)]
pub(crate) struct CreateWarehouseInput {
    /// Unique name, 1..100 characters.
    pub(crate) name: String,
    /// Region, e.g. "eu-west".
    pub(crate) region: String,
}
