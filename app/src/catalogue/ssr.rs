//! Server side of the catalogue: product rows, stock as the engine sees it, and turning an
//! engine assessment into what the product page shows. Engine work (compiling, assessing,
//! completing, quoting) runs on the blocking pool, bounded (`state::run_engine`), never on the
//! async threads; what depends only on (product, rule version, sold-out options) is computed once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use configurator::{Choices, Configurator};
use sqlx::AnyPool;

use super::{CategoryView, Fix, GroupView, OptionView, ProductCard, ProductView, QuoteLine};
use crate::error::AppError;
use crate::state::{AppState, app_state, run_engine};

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
    pub updated_at: i64,
}

const PRODUCT_COLUMNS: &str = "id, category_id, slug, name, summary, description, image, base_price, stock, rule_set, rule_version, updated_at";

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

/// The product's compiled rule set, compiled on the blocking pool the first time a rule
/// version is used.
#[tracing::instrument(skip_all)]
pub async fn configurator(
    state: &AppState,
    product: &ProductRow,
) -> Result<Arc<Configurator>, AppError> {
    if let Some(found) = state.configurators.get(&product.id, product.rule_version) {
        return Ok(found);
    }
    let json = product.rule_set.clone();
    let compiled = run_engine(state, move || -> Result<Configurator, String> {
        let rules: configurator::RuleSet =
            serde_json::from_str(&json).map_err(|e| e.to_string())?;
        Configurator::compile(&rules).map_err(|e| e.to_string())
    })
    .await?
    .map_err(|e| crate::error::internal(format_args!("rule set of {}: {e}", product.id)))?;
    let compiled = Arc::new(compiled);
    state
        .configurators
        .insert(&product.id, product.rule_version, compiled.clone());
    Ok(compiled)
}

/// "Frame: Carbon race", for messages about one option.
pub fn option_label(engine: &Configurator, group: &str, option: &str) -> String {
    engine
        .rules()
        .groups
        .iter()
        .find(|g| g.id == group)
        .map(|g| {
            let name = g
                .options
                .iter()
                .find(|o| o.id == option)
                .map(|o| o.name.as_str())
                .unwrap_or(option);
            format!("{}: {name}", g.name)
        })
        .unwrap_or_else(|| option.to_owned())
}

/// The cache key of what depends only on the product's rules and which options are sold out.
fn versioned_key(kind: &str, row: &ProductRow, sold_out: &BTreeSet<(String, String)>) -> String {
    let mut key = format!("{kind}:{}:{}:{}", row.id, row.rule_version, row.updated_at);
    for (group, option) in sold_out {
        key.push_str(&format!(":{group}={option}"));
    }
    key
}

/// A priced, checked configuration of a product: what a cart line and an order line hold.
pub struct Priced {
    pub unit_price: i64,
    pub summary: String,
    pub lines: Vec<QuoteLine>,
}

/// Checks a complete configuration against today's rules and stock and prices it on the server.
/// Errors name the group at fault so forms can show them next to the right control.
#[tracing::instrument(skip_all)]
pub async fn price_configuration(
    state: &AppState,
    product: &ProductRow,
    configuration: &Choices,
) -> Result<Priced, AppError> {
    if product.stock.is_some_and(|stock| stock <= 0) {
        return Err(AppError::Conflict(format!("{} is sold out.", product.name)));
    }
    let engine = configurator(state, product).await?;
    let sold_out = sold_out(&state.pool, &product.id).await?;
    let quoted = {
        let (engine, configuration) = (engine.clone(), configuration.clone());
        run_engine(state, move || engine.quote(&configuration, &sold_out)).await?
    };
    match quoted {
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

#[tracing::instrument(skip_all)]
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
            cards.push(ProductCard {
                slug: row.slug.clone(),
                name: row.name.clone(),
                summary: row.summary.clone(),
                image: row.image.clone(),
                from_price: row.base_price + lowest_price(&state, row).await?,
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

/// The lowest price of any valid configuration today (without the base price), once per rule
/// version and set of sold-out options.
#[tracing::instrument(skip_all)]
async fn lowest_price(state: &AppState, row: &ProductRow) -> Result<i64, AppError> {
    let sold_out = sold_out(&state.pool, &row.id).await?;
    let key = versioned_key("lowest", row, &sold_out);
    if let Some(found) = state.versioned.get::<i64>(&key) {
        return Ok(*found);
    }
    let engine = configurator(state, row).await?;
    let lowest = run_engine(state, move || {
        engine
            .assess(&Choices::new(), &sold_out)
            .map(|assessment| assessment.min_price.unwrap_or(0))
            .map_err(|e| e.to_string())
    })
    .await?
    .map_err(crate::error::internal)?;
    state.versioned.insert(key, Arc::new(lowest));
    Ok(lowest)
}

#[tracing::instrument(skip_all)]
pub async fn product(
    slug: &str,
    choices: BTreeMap<String, String>,
) -> Result<ProductView, AppError> {
    let state = app_state()?;
    let row = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    let engine = configurator(&state, &row).await?;
    let sold_out = sold_out(&state.pool, &row.id).await?;
    // The page without choices is what most visitors see first: the same for everyone until
    // the rules or the sold-out options change.
    let key = choices
        .is_empty()
        .then(|| versioned_key("product", &row, &sold_out));
    if let Some(key) = &key
        && let Some(found) = state.versioned.get::<ProductView>(key)
    {
        return Ok((*found).clone());
    }
    let view = run_engine(&state, move || {
        product_view(&engine, row, choices, &sold_out)
    })
    .await?
    .map_err(crate::error::internal)?;
    if let Some(key) = key {
        state.versioned.insert(key, Arc::new(view.clone()));
    }
    Ok(view)
}

/// Assesses the choices, completes them with the cheapest valid configuration and prices it:
/// pure engine work, run on the blocking pool.
fn product_view(
    engine: &Configurator,
    row: ProductRow,
    mut choices: BTreeMap<String, String>,
    sold_out: &BTreeSet<(String, String)>,
) -> Result<ProductView, String> {
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
        .assess(&choices, sold_out)
        .map_err(|e| e.to_string())?;
    if !assessment.consistent {
        problem = Some(
            "Those choices cannot be combined (an option may have sold out meanwhile); we started again from the defaults.".to_owned(),
        );
        choices.clear();
        assessment = engine
            .assess(&choices, sold_out)
            .map_err(|e| e.to_string())?;
    }
    let completion = engine
        .cheapest_completion(&choices, sold_out, &[])
        .map_err(|e| e.to_string())?;
    let in_stock = completion.is_some() && row.stock.is_none_or(|stock| stock > 0);
    let configuration = completion.unwrap_or_default();
    let (price, lines) = match engine.quote(&configuration, sold_out) {
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
