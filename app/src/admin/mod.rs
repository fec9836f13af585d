//! The merchandiser's console: the orders list, where an order is moved along its status path
//! (or cancelled), each order in full, guest orders included; the catalogue (`catalogue`, with
//! `images`), the rules of configurable products (`rules`), stock and the audit log. Every server function
//! checks the role itself; the UI hiding a link is never the protection.

pub mod audit;
pub mod catalogue;
mod catalogue_page;
pub mod form;
mod home;
pub mod images;
mod page;
pub mod rule_files;
pub mod rule_forms;
mod rule_forms_page;
pub mod rules;
mod rules_page;
pub mod stock;
#[cfg(feature = "ssr")]
pub mod uploads;

pub use audit::AdminAuditPage;
pub use catalogue_page::{AdminCataloguePage, AdminCatalogueProductPage};
pub use home::AdminHomePage;
pub use page::{AdminOrderPage, AdminOrdersPage};
pub use rule_forms_page::AdminRuleFormsPage;
pub use rules_page::{AdminProductsPage, AdminRulesPage, ConsoleNav};
pub use stock::AdminStockPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::account::CustomerView;
use crate::error::AppError;
use crate::orders::{OrderStatus, OrderView};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub number: String,
    pub email: String,
    pub full_name: String,
    pub status: OrderStatus,
    pub total: i64,
    pub payment_method: String,
    pub placed_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminOrdersView {
    pub merchandiser: CustomerView,
    pub orders: Vec<AdminOrderRow>,
}

#[server(endpoint = "admin_orders")]
pub async fn admin_orders() -> Result<AdminOrdersView, AppError> {
    use crate::orders::ssr::{ORDER_COLUMNS, OrderRow};
    let merchandiser = crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    let rows = sqlx::query_as::<_, OrderRow>(&format!(
        "select {ORDER_COLUMNS} from orders order by created_at desc limit 200"
    ))
    .fetch_all(&state.pool)
    .await?;
    let orders = rows
        .into_iter()
        .map(|row| AdminOrderRow {
            status: row.status(),
            number: row.number,
            email: row.email,
            full_name: row.full_name,
            total: row.total,
            payment_method: row.payment_method,
            placed_at: row.created_at,
        })
        .collect();
    Ok(AdminOrdersView {
        merchandiser: crate::account::ssr::customer_view(&merchandiser),
        orders,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminOrderView {
    pub order: OrderView,
    /// Whether a customer account placed it (else a guest did).
    pub account: bool,
}

/// One order in full for a merchandiser, whoever placed it.
#[server(endpoint = "admin_order")]
pub async fn admin_order(number: String) -> Result<AdminOrderView, AppError> {
    use crate::orders::ssr::{order_by_number, view};
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("number", &number, 64)?;
    let state = crate::state::app_state()?;
    let order = order_by_number(&state.pool, &crate::orders::normalize_number(&number))
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that order.".into()))?;
    Ok(AdminOrderView {
        account: order.customer_id.is_some(),
        order: view(&state.pool, &order).await?,
    })
}

/// Moves an order from the status the merchandiser saw (`from`) to `to`. If someone else moved
/// it meanwhile, nothing happens and they are told.
#[server(endpoint = "set_order_status")]
pub async fn set_order_status(number: String, from: String, to: String) -> Result<(), AppError> {
    use crate::orders::ssr::{change_status, order_by_number};
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("number", &number, 64)?;
    let state = crate::state::app_state()?;
    let (Some(from), Some(to)) = (OrderStatus::parse(&from), OrderStatus::parse(&to)) else {
        return Err(AppError::validation("Unknown order status."));
    };
    let allowed = from.next() == Some(to) || (to == OrderStatus::Cancelled && from.can_cancel());
    if !allowed {
        return Err(AppError::validation(format!(
            "An order cannot go from {} to {}.",
            from.label(),
            to.label()
        )));
    }
    let order = order_by_number(&state.pool, &crate::orders::normalize_number(&number))
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that order.".into()))?;
    if !change_status(&state.pool, &order.id, from, to).await? {
        return Err(AppError::Conflict(format!(
            "Order {} is no longer {}; the list has been refreshed.",
            order.number,
            from.label()
        )));
    }
    tracing::info!(order = %order.number, by = %merchandiser.id, to = to.as_str(), "order status changed");
    Ok(())
}
