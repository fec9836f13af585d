//! The demo catalogue (authored for Atelier, in `server/demo/catalogue.json`) and the demo
//! merchandiser account, loaded on first start so the shop works out of the box.

use std::collections::BTreeMap;

use app::db::{begin_write, new_id, now_ms};
use app::state::Secret;
use configurator::{Configurator, RuleSet};
use rand::Rng;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sqlx::AnyPool;

pub const CATALOGUE_JSON: &str = include_str!("../demo/catalogue.json");
pub const HELP_JSON: &str = include_str!("../demo/help.json");
pub const MERCHANDISER_EMAIL: &str = "merchandiser@atelier.test";

/// The demo help centre: categories, articles (authored for Atelier) and search synonyms.
#[derive(Debug, Deserialize)]
pub struct Help {
    pub categories: Vec<HelpCategory>,
    pub articles: Vec<HelpArticle>,
    #[serde(default)]
    pub synonyms: Vec<HelpSynonym>,
}

#[derive(Debug, Deserialize)]
pub struct HelpCategory {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct HelpArticle {
    pub slug: String,
    pub category: String,
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub products: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct HelpSynonym {
    pub term: String,
    pub equivalents: Vec<String>,
}

pub fn help() -> Result<Help, serde_json::Error> {
    serde_json::from_str(HELP_JSON)
}

#[derive(Debug, Deserialize)]
pub struct Catalogue {
    pub categories: Vec<Category>,
}

#[derive(Debug, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
pub struct Product {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub image: String,
    pub base_price: i64,
    pub stock: Option<i64>,
    pub rules: RuleSet,
    #[serde(default)]
    pub option_stock: BTreeMap<String, BTreeMap<String, i64>>,
}

pub fn catalogue() -> Result<Catalogue, serde_json::Error> {
    serde_json::from_str(CATALOGUE_JSON)
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the rules of demo product {0} do not compile: {1}")]
    Rules(String, String),
    #[error("demo help article {0} names a category that is not in the file")]
    HelpCategory(String),
    #[error("loading the demo catalogue: {0}")]
    Database(#[from] sqlx::Error),
    #[error("hashing the demo password: {0}")]
    Hash(String),
}

/// Loads the demo catalogue if the shop has no products yet. Returns whether it did.
pub async fn seed_catalogue(pool: &AnyPool) -> Result<bool, DemoError> {
    let count: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(pool)
        .await?;
    if count > 0 {
        return Ok(false);
    }
    let catalogue = catalogue()?;
    let mut tx = begin_write(pool).await?;
    let now = now_ms();
    let mut position = 0i64;
    for (category_position, category) in catalogue.categories.iter().enumerate() {
        let category_id = new_id();
        sqlx::query("insert into categories (id, slug, name, position) values ($1, $2, $3, $4)")
            .bind(&category_id)
            .bind(&category.slug)
            .bind(&category.name)
            .bind(category_position as i64)
            .execute(&mut *tx)
            .await?;
        for product in &category.products {
            Configurator::compile(&product.rules)
                .map_err(|e| DemoError::Rules(product.slug.clone(), e.to_string()))?;
            let product_id = new_id();
            position += 1;
            sqlx::query(
                "insert into products (id, slug, category_id, name, summary, description, image, base_price, stock,
                                       rule_set, rule_version, position, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            )
            .bind(&product_id)
            .bind(&product.slug)
            .bind(&category_id)
            .bind(&product.name)
            .bind(&product.summary)
            .bind(&product.description)
            .bind(&product.image)
            .bind(product.base_price)
            .bind(product.stock)
            .bind(serde_json::to_string(&product.rules)?)
            .bind(i64::from(product.rules.version))
            .bind(position)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (group, options) in &product.option_stock {
                for (option, quantity) in options {
                    sqlx::query(
                        "insert into option_stock (product_id, group_id, option_id, quantity, updated_at)
                         values ($1, $2, $3, $4, $5)",
                    )
                    .bind(&product_id)
                    .bind(group)
                    .bind(option)
                    .bind(quantity)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Loads the demo help centre if it has no articles yet. Returns whether it did.
pub async fn seed_help(pool: &AnyPool) -> Result<bool, DemoError> {
    let count: i64 = sqlx::query_scalar("select count(*) from help_articles")
        .fetch_one(pool)
        .await?;
    if count > 0 {
        return Ok(false);
    }
    let help = help()?;
    let mut tx = begin_write(pool).await?;
    let now = now_ms();
    let mut ids = BTreeMap::new();
    for (position, category) in help.categories.iter().enumerate() {
        let id = new_id();
        sqlx::query(
            "insert into help_categories (id, slug, name, position) values ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&category.slug)
        .bind(&category.name)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
        ids.insert(category.slug.as_str(), id);
    }
    for (position, article) in help.articles.iter().enumerate() {
        let category = ids
            .get(article.category.as_str())
            .ok_or_else(|| DemoError::HelpCategory(article.slug.clone()))?;
        sqlx::query(
            "insert into help_articles (id, slug, category_id, question, answer, products, position, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(new_id())
        .bind(&article.slug)
        .bind(category)
        .bind(&article.question)
        .bind(&article.answer)
        .bind(serde_json::to_string(&article.products)?)
        .bind(position as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for synonym in &help.synonyms {
        sqlx::query(
            "insert into help_synonyms (id, term, equivalents, updated_at) values ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(&synonym.term)
        .bind(serde_json::to_string(&synonym.equivalents)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Creates the demo merchandiser if there is none. Returns the password when one was created
/// (generated unless given), so start-up can print it once on the terminal (never in the log).
pub async fn seed_merchandiser(
    pool: &AnyPool,
    password: Option<&Secret>,
) -> Result<Option<Secret>, DemoError> {
    let exists: Option<String> =
        sqlx::query_scalar("select id from customers where role = 'merchandiser'")
            .fetch_optional(pool)
            .await?;
    if exists.is_some() {
        return Ok(None);
    }
    let password = password
        .map(|p| p.expose_secret().to_owned())
        .unwrap_or_else(|| {
            let bytes: [u8; 9] = rand::rngs::OsRng.r#gen();
            hex::encode(bytes)
        });
    let hash = {
        let password = password.clone();
        tokio::task::spawn_blocking(move || app::account::ssr::hash_blocking(&password))
            .await
            .map_err(|e| DemoError::Hash(e.to_string()))?
            .map_err(DemoError::Hash)?
    };
    let now = now_ms();
    sqlx::query(
        "insert into customers (id, email, full_name, password_hash, role, created_at, updated_at)
         values ($1, $2, 'Demo Merchandiser', $3, 'merchandiser', $4, $4)",
    )
    .bind(new_id())
    .bind(MERCHANDISER_EMAIL)
    .bind(&hash)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(Some(Secret::from(password)))
}
