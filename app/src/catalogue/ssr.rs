//! Server side of the catalogue: product rows, stock as the engine sees it, and turning an
//! engine assessment into what the product page shows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use configurator::{Choices, Configurator};
use sqlx::AnyPool;

use super::{CategoryView, Fix, GroupView, OptionView, ProductCard, ProductView, QuoteLine};
use crate::error::AppError;
use crate::state::{AppState, app_state};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProductRow {
    pub id: String,
    pub category_id: String,
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub image: String,
    pub base_price: i64,
    pub stock: Option<i64>,
    pub rule_set: String,
    pub rule_version: i64,
}

const PRODUCT_COLUMNS: &str = "id, category_id, slug, name, summary, description, image, base_price, stock, rule_set, rule_version";

pub async fn product_by_slug(pool: &AnyPool, slug: &str) -> Result<Option<ProductRow>, AppError> {
    Ok(sqlx::query_as::<_, ProductRow>(&format!(
        "select {PRODUCT_COLUMNS} from products where slug = $1"
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await?)
}

pub async fn product_by_id(pool: &AnyPool, id: &str) -> Result<Option<ProductRow>, AppError> {
    Ok(sqlx::query_as::<_, ProductRow>(&format!(
        "select {PRODUCT_COLUMNS} from products where id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Options that are sold out, as (group, option) pairs the engine treats as unavailable.
pub async fn sold_out(
    pool: &AnyPool,
    product_id: &str,
) -> Result<BTreeSet<(String, String)>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select group_id, option_id from option_stock where product_id = $1 and quantity <= 0",
    )
    .bind(product_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

pub fn configurator(state: &AppState, product: &ProductRow) -> Result<Arc<Configurator>, AppError> {
    state
        .configurators
        .get_or_compile(&product.id, product.rule_version, &product.rule_set)
}

/// A priced, checked configuration of a product: what a cart line and an order line hold.
pub struct Priced {
    pub unit_price: i64,
    pub summary: String,
    pub lines: Vec<QuoteLine>,
}

/// Checks a complete configuration against today's rules and stock and prices it on the server.
/// Errors name the group at fault so forms can show them next to the right control.
pub async fn price_configuration(
    state: &AppState,
    product: &ProductRow,
    configuration: &Choices,
) -> Result<Priced, AppError> {
    if product.stock.is_some_and(|stock| stock <= 0) {
        return Err(AppError::Conflict(format!("{} is sold out.", product.name)));
    }
    let engine = configurator(state, product)?;
    let sold_out = sold_out(&state.pool, &product.id).await?;
    match engine.quote(configuration, &sold_out) {
        Ok(quote) => {
            let mut lines = vec![QuoteLine {
                label: "Base price".into(),
                amount: product.base_price,
            }];
            lines.extend(quote.lines.into_iter().map(|line| QuoteLine {
                label: line.label,
                amount: line.amount,
            }));
            Ok(Priced {
                unit_price: product.base_price + quote.total,
                summary: summary(&engine, configuration),
                lines,
            })
        }
        Err(violations) => {
            let mut fields = BTreeMap::new();
            let mut messages = Vec::new();
            for violation in violations {
                if let Some(group) = &violation.group {
                    fields
                        .entry(format!("configuration[{group}]"))
                        .or_insert_with(|| violation.message.clone());
                }
                messages.push(violation.message);
            }
            messages.dedup();
            Err(AppError::Validation {
                message: format!(
                    "This configuration cannot be ordered: {}",
                    messages.join(" ")
                ),
                fields,
                values: BTreeMap::new(),
            })
        }
    }
}

/// "Frame: Steel tourer · Drivetrain: 1×12" — option names in group order.
pub fn summary(engine: &Configurator, configuration: &Choices) -> String {
    engine
        .rules()
        .groups
        .iter()
        .filter_map(|group| {
            let chosen = configuration.get(&group.id)?;
            let name = group
                .options
                .iter()
                .find(|option| &option.id == chosen)
                .map(|option| option.name.as_str())
                .unwrap_or("None");
            Some(format!("{}: {name}", group.name))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub async fn catalogue() -> Result<Vec<CategoryView>, AppError> {
    let state = app_state()?;
    let categories: Vec<(String, String, String)> =
        sqlx::query_as("select id, slug, name from categories order by position")
            .fetch_all(&state.pool)
            .await?;
    let products = sqlx::query_as::<_, ProductRow>(&format!(
        "select {PRODUCT_COLUMNS} from products order by position"
    ))
    .fetch_all(&state.pool)
    .await?;
    let mut views = Vec::new();
    for (id, slug, name) in categories {
        let mut cards = Vec::new();
        for row in products.iter().filter(|row| row.category_id == id) {
            let engine = configurator(&state, row)?;
            let sold_out = sold_out(&state.pool, &row.id).await?;
            let assessment = engine
                .assess(&Choices::new(), &sold_out)
                .map_err(crate::error::internal)?;
            cards.push(ProductCard {
                slug: row.slug.clone(),
                name: row.name.clone(),
                summary: row.summary.clone(),
                image: row.image.clone(),
                from_price: row.base_price + assessment.min_price.unwrap_or(0),
                configurable: row.stock.is_none(),
            });
        }
        views.push(CategoryView {
            slug,
            name,
            products: cards,
        });
    }
    Ok(views)
}

pub async fn product(
    slug: &str,
    mut choices: BTreeMap<String, String>,
) -> Result<ProductView, AppError> {
    let state = app_state()?;
    let row = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    let engine = configurator(&state, &row)?;
    let sold_out = sold_out(&state.pool, &row.id).await?;
    let rules = engine.rules();
    let mut problem = None;

    // Choices come from the URL: anything that is not an option of this product is dropped
    // with a note rather than failing the page.
    let before = choices.len();
    choices.retain(|group, option| {
        rules.groups.iter().any(|g| {
            &g.id == group
                && (g.options.iter().any(|o| &o.id == option) || (g.optional && option == "none"))
        })
    });
    if choices.len() != before {
        problem = Some(
            "Some choices in the link were not options of this product and were ignored."
                .to_owned(),
        );
    }
    let mut assessment = engine
        .assess(&choices, &sold_out)
        .map_err(crate::error::internal)?;
    if !assessment.consistent {
        problem = Some(
            "Those choices cannot be combined (an option may have sold out meanwhile); we started again from the defaults.".to_owned(),
        );
        choices.clear();
        assessment = engine
            .assess(&choices, &sold_out)
            .map_err(crate::error::internal)?;
    }
    let completion = engine
        .cheapest_completion(&choices, &sold_out, &[])
        .map_err(crate::error::internal)?;
    let in_stock = completion.is_some() && row.stock.is_none_or(|stock| stock > 0);
    let configuration = completion.unwrap_or_default();
    let (price, lines) = match engine.quote(&configuration, &sold_out) {
        Ok(quote) => {
            let mut lines = vec![QuoteLine {
                label: "Base price".into(),
                amount: row.base_price,
            }];
            lines.extend(quote.lines.into_iter().map(|l| QuoteLine {
                label: l.label,
                amount: l.amount,
            }));
            (row.base_price + quote.total, lines)
        }
        Err(_) => (
            row.base_price + assessment.min_price.unwrap_or(0),
            Vec::new(),
        ),
    };

    let groups = assessment
        .groups
        .iter()
        .filter_map(|state| {
            let group = rules.groups.iter().find(|g| g.id == state.group)?;
            let selected = state
                .chosen
                .clone()
                .or_else(|| configuration.get(&group.id).cloned())
                .unwrap_or_else(|| "none".to_owned());
            let options = state
                .options
                .iter()
                .map(|option_state| {
                    let (name, price) = group
                        .options
                        .iter()
                        .find(|o| o.id == option_state.option)
                        .map(|o| (o.name.clone(), o.price))
                        .unwrap_or_else(|| ("None".to_owned(), 0));
                    let fix = option_state.repair.as_ref().map(|repair| {
                        let mut fixed = choices.clone();
                        for dropped in &repair.drop {
                            fixed.remove(dropped);
                        }
                        fixed.insert(group.id.clone(), option_state.option.clone());
                        Fix {
                            choices: fixed,
                            message: repair.message.clone(),
                        }
                    });
                    OptionView {
                        id: option_state.option.clone(),
                        name,
                        price,
                        available: option_state.available,
                        reason: option_state.reason.as_ref().map(|r| r.message.clone()),
                        fix,
                    }
                })
                .collect();
            Some(GroupView {
                id: group.id.clone(),
                name: group.name.clone(),
                optional: group.optional,
                selected,
                chosen: state.chosen.is_some(),
                forced: state.forced.is_some(),
                options,
            })
        })
        .collect();

    Ok(ProductView {
        slug: row.slug,
        name: row.name,
        description: row.description,
        image: row.image,
        groups,
        configuration,
        price,
        lines,
        min_price: assessment.min_price.map(|p| p + row.base_price),
        max_price: assessment.max_price.map(|p| p + row.base_price),
        in_stock,
        problem,
    })
}
