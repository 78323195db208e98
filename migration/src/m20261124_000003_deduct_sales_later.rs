//! Paid orders keep their units counted as held until a background pass deducts the sale from the
//! stock rows, many orders at a time (`services::order::deduct_sold_stock`). A checkout then takes
//! a popular book's stock row lock once per unit (for the hold) instead of twice.
//!
//! The invariant with `stock.held` becomes: for every (book, warehouse), `held` is the sum of the
//! cart `holds` plus the `order_allocations` of orders that still hold stock (`holds_stock`): those
//! awaiting payment, and paid ones whose sale is not deducted yet.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    HoldsStock,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(
                        ColumnDef::new(Orders::HoldsStock)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // Paid orders had their sale deducted at once until now; only those awaiting payment
            // still hold their units.
            "UPDATE orders SET holds_stock = true WHERE status = 'PENDING_PAYMENT'",
            // The deducting pass's scan: the few orders still holding stock.
            "CREATE INDEX idx_orders_holding_stock ON orders (id) WHERE holds_stock",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_orders_holding_stock")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::HoldsStock)
                    .to_owned(),
            )
            .await
    }
}
