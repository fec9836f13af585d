//! Server side of the catalogue: product rows, stock as the engine sees it, and turning an
//! engine assessment into what the product page shows. Engine work (compiling, assessing,
//! completing, quoting) runs on the blocking pool, bounded (`state::run_engine`), never on the
//! async threads; what depends only on (product, rule version, sold-out options) is computed once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use configurator::{Choices, Configurator};
use sqlx::AnyPool;

use super::{CategoryView, ProductCard, ProductFacts, ProductView, QuoteLine};
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
    /// Hidden by a merchandiser, itself or with its category: not sold to buyers.
    pub off_sale: i64,
}

impl ProductRow {
    pub fn on_sale(&self) -> bool {
        self.off_sale == 0
    }
}

/// Columns of `ProductRow`, selected `from products`. A product is off sale when it or its
/// category is hidden.
pub const PRODUCT_COLUMNS: &str = "id, category_id, slug, name, summary, description, image, base_price, stock, rule_set, rule_version, updated_at,
     hidden + coalesce((select c.hidden from categories c where c.id = products.category_id), 0) as off_sale";

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
    let steps = state.limits.compile_steps;
    let compiled = run_engine(state, move || -> Result<Configurator, String> {
        let rules: configurator::RuleSet =
            serde_json::from_str(&json).map_err(|e| e.to_string())?;
        Configurator::compile_within(&rules, steps).map_err(|e| e.to_string())
    })
    .await?
    .map_err(|e| crate::error::internal(format_args!("rule set of {}: {e}", product.id)))?;
    let compiled = Arc::new(compiled);
    state
        .configurators
        .insert(&product.id, product.rule_version, compiled.clone());
    Ok(compiled)
}

/// "Frame: Carbon race", for messages and screens about one option of a rule set.
pub fn option_label(rules: &configurator::RuleSet, group: &str, option: &str) -> String {
    rules
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
    let mut key = format!(
        "{kind}:{}:{}:{}:{}",
        row.id, row.rule_version, row.updated_at, row.off_sale
    );
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
    /// Working days until it can ship: its slowest option.
    pub lead_days: u32,
}

/// Checks a complete configuration against today's rules and stock and prices it on the server.
/// Errors name the group at fault so forms can show them next to the right control.
#[tracing::instrument(skip_all)]
pub async fn price_configuration(
    state: &AppState,
    product: &ProductRow,
    configuration: &Choices,
) -> Result<Priced, AppError> {
    if !product.on_sale() {
        return Err(AppError::Conflict(format!(
            "{} is no longer sold.",
            product.name
        )));
    }
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
            let (unit_price, lines) = super::assess::quote_lines(product.base_price, quote);
            Ok(Priced {
                unit_price,
                summary: summary(&engine, configuration),
                lines,
                lead_days: engine.lead_days(configuration),
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
    super::assess::named_options(engine, configuration)
        .into_iter()
        .map(|(group, option)| format!("{group}: {option}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[tracing::instrument(skip_all)]
pub async fn catalogue() -> Result<Vec<CategoryView>, AppError> {
    let state = app_state()?;
    let categories: Vec<(String, String, String)> =
        sqlx::query_as("select id, slug, name from categories where hidden = 0 order by position")
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
        for row in products
            .iter()
            .filter(|row| row.category_id == id && row.on_sale())
        {
            cards.push(ProductCard {
                slug: row.slug.clone(),
                name: row.name.clone(),
                summary: row.summary.clone(),
                image: row.image.clone(),
                from_price: row.base_price + lowest_price(&state, row).await?,
                configurable: row.stock.is_none(),
            });
        }
        if cards.is_empty() {
            continue;
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
            .assess_with(&Choices::new(), &sold_out, &configurator::Explain::None)
            .map(|assessment| assessment.min_price.unwrap_or(0))
            .map_err(|e| e.to_string())
    })
    .await?
    .map_err(crate::error::internal)?;
    state.versioned.insert(key, Arc::new(lowest));
    Ok(lowest)
}

/// What the product page needs besides the rules, read fresh: stock levels and the rules' URL.
pub async fn facts(state: &AppState, row: &ProductRow) -> Result<ProductFacts, AppError> {
    let levels = crate::stock::levels(&state.pool, &row.id).await?;
    let sales = sales(&state.pool, row).await?;
    Ok(ProductFacts {
        id: row.id.clone(),
        slug: row.slug.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        image: row.image.clone(),
        base_price: row.base_price,
        stock: row.stock,
        on_sale: row.on_sale(),
        rule_version: row.rule_version,
        rules_url: rules_url(row, sales),
        sales,
        levels: levels
            .into_iter()
            .map(|((group, option), left)| (group, option, left))
            .collect(),
    })
}

/// How many order lines were sold on the product's current rule version.
async fn sales(pool: &AnyPool, row: &ProductRow) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "select count(*) from order_lines where product_id = $1 and rule_version = $2",
    )
    .bind(&row.id)
    .bind(row.rule_version)
    .fetch_one(pool)
    .await?)
}

/// `/rules/{product}/{version}-{hash}-{sales}.json`: the hash of the rules themselves makes the
/// URL new whenever they change, even if a version number were ever reused; the number of sales
/// it learnt "popular" from makes it new when there is more to learn.
pub fn rules_url(row: &ProductRow, sales: i64) -> String {
    format!("/rules/{}/{}", row.id, rules_file(row, sales))
}

fn rules_file(row: &ProductRow, sales: i64) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(row.rule_set.as_bytes());
    let kind = if compiled_for_browser(row) {
        "bin"
    } else {
        "json"
    };
    format!(
        "{}-{}-{sales}.{kind}",
        row.rule_version,
        &hex::encode(digest)[..16]
    )
}

/// Whether the browser gets this product's rules compiled (see `COMPILED_FROM_BYTES`).
fn compiled_for_browser(row: &ProductRow) -> bool {
    row.rule_set.len() > super::COMPILED_FROM_BYTES
}

/// Orders learnt from for "popular with your choices": the most recent ones, bounded.
const POPULAR_SALES: i64 = 5_000;

/// "Popular with your choices" for the product's rule version, trained on its order lines
/// once per number of sales (on the blocking pool); none before the first sale.
pub async fn popular(
    state: &AppState,
    row: &ProductRow,
    engine: &Arc<Configurator>,
    sales: i64,
) -> Result<Option<Arc<configurator::NamedRecommender>>, AppError> {
    if sales == 0 {
        return Ok(None);
    }
    let key = format!("popular:{}:{}:{sales}", row.id, row.rule_version);
    if let Some(found) = state.versioned.get::<configurator::NamedRecommender>(&key) {
        return Ok(Some(found));
    }
    let sold: Vec<String> = sqlx::query_scalar(
        "select l.configuration from order_lines l join orders o on o.id = l.order_id
         where l.product_id = $1 and l.rule_version = $2 order by o.created_at desc limit $3",
    )
    .bind(&row.id)
    .bind(row.rule_version)
    .bind(POPULAR_SALES)
    .fetch_all(&state.pool)
    .await?;
    let engine = engine.clone();
    let model = run_engine(state, move || {
        let sold: Vec<Choices> = sold
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        engine.train_recommender(&sold)
    })
    .await?;
    let model = Arc::new(model);
    state.versioned.insert(key, model.clone());
    Ok(Some(model))
}

/// The rules a product page loads into the browser's engine. Only the product's current rules
/// are served, under the one name that fits them, so the answer can be cached for good.
pub async fn rules_data(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path((product, file)): axum::extract::Path<(String, String)>,
    request: http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{HeaderValue, StatusCode, header};
    let brotli = accepts_brotli(&request);
    if product.len() > crate::limits::MAX_ID || file.len() > crate::limits::MAX_ID {
        return StatusCode::NOT_FOUND.into_response();
    }
    let found = async {
        let Some(row) = product_by_id(&state.pool, &product).await? else {
            return Ok(None);
        };
        let sales = sales(&state.pool, &row).await?;
        if rules_file(&row, sales) != file {
            return Ok(None);
        }
        let engine = configurator(&state, &row).await?;
        let popular = popular(&state, &row, &engine, sales).await?;
        if compiled_for_browser(&row) {
            // Megabytes on a car range: written once per file name, not per visitor, and
            // compressed once too (the compression layer would redo it for every download).
            let key = format!("rules-bin:{}:{file}", row.id);
            let body = match state.versioned.get::<Vec<u8>>(&key) {
                Some(found) => found,
                None => {
                    let body = Arc::new(
                        run_engine(&state, move || {
                            super::compiled_rules(&engine, popular.as_deref())
                        })
                        .await?,
                    );
                    state.versioned.insert(key.clone(), body.clone());
                    body
                }
            };
            if !brotli {
                return Ok(Some((
                    Shared(body).into(),
                    "application/octet-stream",
                    None,
                )));
            }
            let key = format!("{key}:br");
            let packed = match state.versioned.get::<Vec<u8>>(&key) {
                Some(found) => found,
                None => {
                    let packed = Arc::new(
                        run_engine(&state, move || brotli_bytes(&body))
                            .await?
                            .map_err(crate::error::internal)?,
                    );
                    state.versioned.insert(key, packed.clone());
                    packed
                }
            };
            return Ok(Some((
                Shared(packed).into(),
                "application/octet-stream",
                Some("br"),
            )));
        }
        let rules: configurator::RuleSet =
            serde_json::from_str(&row.rule_set).map_err(crate::error::internal)?;
        serde_json::to_vec(&super::RulesData {
            rules,
            popular: popular.map(|p| (*p).clone()),
        })
        .map(|body| Some((body.into(), "application/json", None)))
        .map_err(crate::error::internal)
    };
    let (body, kind, encoding): (axum::body::Bytes, &str, Option<&str>) = match found.await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return (StatusCode::NOT_FOUND, "These rules are not published.").into_response();
        }
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// Cached bytes as a response body, without copying them.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Shared> for axum::body::Bytes {
    fn from(shared: Shared) -> Self {
        axum::body::Bytes::from_owner(shared)
    }
}

/// Whether the request's `Accept-Encoding` takes brotli (`br`, not with `q=0`).
fn accepts_brotli(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("br") || coding == "*") && !refused
        })
}

/// Brotli at quality 9: near quality 11's ratio in a fraction of its time,
/// done once per rules file.
fn brotli_bytes(source: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 9, 22);
        writer.write_all(source)?;
    }
    Ok(out)
}

#[tracing::instrument(skip_all)]
pub async fn product(
    slug: &str,
    choices: BTreeMap<String, String>,
    budget: Option<i64>,
    why: Option<super::Asked>,
) -> Result<ProductView, AppError> {
    let state = app_state()?;
    let row = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    // A hidden product is a merchandiser's preview, never a buyer's page.
    if !row.on_sale() && !crate::session::viewer_is_merchandiser().await? {
        return Err(AppError::NotFound("We could not find that product.".into()));
    }
    let engine = configurator(&state, &row).await?;
    let facts = facts(&state, &row).await?;
    let popular = popular(&state, &row, &engine, facts.sales).await?;
    // The page without choices is what most visitors see first: the same for everyone until
    // the rules or the stock change.
    let key = (choices.is_empty() && budget.is_none()).then(|| {
        let mut key = versioned_key("product", &row, &BTreeSet::new());
        key.push_str(&format!(":sales={}", facts.sales));
        for (group, option, left) in &facts.levels {
            key.push_str(&format!(":{group}={option}@{left}"));
        }
        key
    });
    let cached = key
        .as_ref()
        .and_then(|key| state.versioned.get::<ProductView>(key));
    let view = match cached {
        Some(found) => (*found).clone(),
        None => {
            let engine = engine.clone();
            let view = run_engine(&state, move || {
                super::assess::assess(&engine, &facts, choices, budget, popular.as_deref())
            })
            .await?
            .map_err(crate::error::internal)?;
            if let Some(key) = key {
                state.versioned.insert(key, Arc::new(view.clone()));
            }
            view
        }
    };
    let Some(asked) = why else {
        return Ok(view);
    };
    run_engine(&state, move || {
        let mut view = view;
        super::assess::explain_into(&engine, &mut view, &asked.group, &asked.option);
        view
    })
    .await
}
