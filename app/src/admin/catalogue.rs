//! The console's catalogue: categories and products created, edited, reordered and hidden from
//! buyers, each product's image uploaded (see `images`). Every row carries a revision; a save
//! names the revision its form showed, so when two merchandisers edit the same thing the second
//! save is refused with what the first one changed (409), never saved over it. Every change is
//! audited in the change's own transaction.

// A product form's fields are a server function's arguments, one each, so that the form posts
// without JavaScript; the browser's build of the function has all of them too.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Longest name, summary and description a merchandiser may enter.
pub const MAX_NAME: usize = 80;
pub const MAX_SUMMARY: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminProductRow {
    pub slug: String,
    pub name: String,
    pub hidden: bool,
    pub configurable: bool,
    pub base_price: i64,
    pub image: String,
    pub revision: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminCategory {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub hidden: bool,
    pub revision: i64,
    pub products: Vec<AdminProductRow>,
}

/// One product as its edit form shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductEdit {
    pub slug: String,
    pub name: String,
    pub category_id: String,
    pub summary: String,
    pub description: String,
    pub base_price: i64,
    pub configurable: bool,
    pub stock: Option<i64>,
    pub image: String,
    pub hidden: bool,
    /// Its category is hidden, so buyers do not see it whatever its own setting.
    pub category_hidden: bool,
    pub revision: i64,
    /// Every category, (id, name), for the form's choice.
    pub categories: Vec<(String, String)>,
}

#[server(endpoint = "admin_catalogue")]
pub async fn admin_catalogue() -> Result<Vec<AdminCategory>, AppError> {
    crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::categories(&state).await
}

#[server(endpoint = "admin_product")]
pub async fn admin_product(slug: String) -> Result<ProductEdit, AppError> {
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("slug", &slug, crate::limits::MAX_ID)?;
    let state = crate::state::app_state()?;
    ssr::product_edit(&state, &slug).await
}

#[server(endpoint = "create_category")]
pub async fn create_category(name: String, slug: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let state = crate::state::app_state()?;
    let fields = ssr::CategoryFields::read(&name, &slug)?;
    ssr::create_category(&state, &merchandiser, fields).await
}

#[server(endpoint = "save_category")]
pub async fn save_category(
    id: String,
    name: String,
    slug: String,
    revision: i64,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    let state = crate::state::app_state()?;
    let fields = ssr::CategoryFields::read(&name, &slug)?;
    ssr::save_category(&state, &merchandiser, &id, fields, revision).await
}

/// Moves a category one place `up` or `down` in the shop's order.
#[server(endpoint = "move_category")]
pub async fn move_category(id: String, direction: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    let up = ssr::direction(&direction)?;
    let state = crate::state::app_state()?;
    ssr::move_category(&state, &merchandiser, &id, up).await
}

#[server(endpoint = "set_category_hidden")]
pub async fn set_category_hidden(id: String, hidden: bool, revision: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    let state = crate::state::app_state()?;
    ssr::set_category_hidden(&state, &merchandiser, &id, hidden, revision).await
}

/// A new product, hidden until the merchandiser shows it; then its edit page.
#[server(endpoint = "create_product")]
pub async fn create_product(
    name: String,
    slug: String,
    category: String,
    kind: String,
    base_price: String,
    stock: String,
    summary: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let state = crate::state::app_state()?;
    let new = ssr::NewProduct::read(
        &name,
        &slug,
        &category,
        &kind,
        &base_price,
        &stock,
        &summary,
    )?;
    let slug = ssr::create_product(&state, &merchandiser, new).await?;
    leptos_axum::redirect(&format!("/admin/catalogue/{slug}"));
    Ok(())
}

#[server(endpoint = "save_product")]
pub async fn save_product(
    product: String,
    name: String,
    slug: String,
    category: String,
    summary: String,
    description: String,
    base_price: String,
    revision: i64,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("product", &product, crate::limits::MAX_ID)?;
    let state = crate::state::app_state()?;
    let fields =
        ssr::ProductFields::read(&name, &slug, &category, &summary, &description, &base_price)?;
    let slug = ssr::save_product(&state, &merchandiser, &product, fields, revision).await?;
    if slug != product {
        // The page's address follows the new slug (with JavaScript too: the router follows).
        leptos_axum::redirect(&format!("/admin/catalogue/{slug}"));
    }
    Ok(())
}

/// Moves a product one place `up` or `down` within its category.
#[server(endpoint = "move_product")]
pub async fn move_product(slug: String, direction: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, crate::limits::MAX_ID)?;
    let up = ssr::direction(&direction)?;
    let state = crate::state::app_state()?;
    ssr::move_product(&state, &merchandiser, &slug, up).await
}

#[server(endpoint = "set_product_hidden")]
pub async fn set_product_hidden(slug: String, hidden: bool, revision: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, crate::limits::MAX_ID)?;
    let state = crate::state::app_state()?;
    ssr::set_product_hidden(&state, &merchandiser, &slug, hidden, revision).await
}

/// Whether `slug` can name a category or product in a URL: 2 to 60 of a–z, 0–9 and inner
/// hyphens.
pub fn valid_slug(slug: &str) -> bool {
    (2..=60).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// `text` in Unicode normalisation form NFKD ("é" as "e" and its accent). In the browser the
/// browser's own tables do it: the crate's would add about 100 KB to every page's wasm.
fn compatibility_decomposed(text: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::JsString::from(text).normalize("NFKD").into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use unicode_normalization::UnicodeNormalization;
        text.nfkd().collect()
    }
}

/// A slug made from a name: "Walnut desk lamp" → "walnut-desk-lamp" (accents dropped).
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in compatibility_decomposed(name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_' || c == '/')
            && !slug.is_empty()
            && !slug.ends_with('-')
        {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_owned();
    slug.truncate(60);
    slug.trim_end_matches('-').to_owned()
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use sqlx::{Any, Transaction};

    use super::{AdminCategory, AdminProductRow, ProductEdit};
    use crate::admin::audit::ssr::audit;
    use crate::admin::form::Form;
    use crate::db::{begin_write, new_id, now_ms};
    use crate::error::AppError;
    use crate::money::format_price;
    use crate::session::Customer;
    use crate::state::AppState;

    pub fn direction(direction: &str) -> Result<bool, AppError> {
        match direction {
            "up" => Ok(true),
            "down" => Ok(false),
            _ => Err(AppError::validation("Move a row up or down.")),
        }
    }

    #[derive(Debug, Clone, Serialize)]
    pub struct CategoryFields {
        pub name: String,
        pub slug: String,
    }

    use serde::Serialize;

    impl CategoryFields {
        pub fn read(name: &str, slug: &str) -> Result<CategoryFields, AppError> {
            let mut form = Form::default();
            let name = form.text("name", "category's name", name, super::MAX_NAME, false);
            let slug = form.slug(slug, &name);
            form.done()?;
            Ok(CategoryFields { name, slug })
        }
    }

    /// What a product's edit form saves.
    #[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
    pub struct ProductFields {
        pub name: String,
        pub slug: String,
        pub category_id: String,
        pub summary: String,
        pub description: String,
        pub base_price: i64,
    }

    impl ProductFields {
        pub fn read(
            name: &str,
            slug: &str,
            category: &str,
            summary: &str,
            description: &str,
            base_price: &str,
        ) -> Result<ProductFields, AppError> {
            let mut form = Form::default();
            let fields = fields(
                &mut form,
                name,
                slug,
                category,
                summary,
                description,
                base_price,
            );
            form.done()?;
            Ok(fields)
        }
    }

    fn fields(
        form: &mut Form,
        name: &str,
        slug: &str,
        category: &str,
        summary: &str,
        description: &str,
        base_price: &str,
    ) -> ProductFields {
        let name = form.text("name", "product's name", name, super::MAX_NAME, false);
        let slug = form.slug(slug, &name);
        form.typed("category", category);
        if category.is_empty() || category.len() > crate::limits::MAX_ID {
            form.fault("category", "Choose the product's category.");
        }
        ProductFields {
            summary: form.text("summary", "summary", summary, super::MAX_SUMMARY, false),
            description: form.text(
                "description",
                "description",
                description,
                super::MAX_DESCRIPTION,
                true,
            ),
            base_price: form.price("base_price", base_price),
            category_id: category.to_owned(),
            name,
            slug,
        }
    }

    /// A new product: its fields, and for a simple product its stock (configurable ones keep
    /// stock per option).
    pub struct NewProduct {
        pub fields: ProductFields,
        pub stock: Option<i64>,
    }

    impl NewProduct {
        pub fn read(
            name: &str,
            slug: &str,
            category: &str,
            kind: &str,
            base_price: &str,
            stock: &str,
            summary: &str,
        ) -> Result<NewProduct, AppError> {
            let mut form = Form::default();
            let fields = fields(&mut form, name, slug, category, summary, "", base_price);
            form.typed("kind", kind);
            form.typed("stock", stock);
            let stock = match kind {
                "simple" => match stock.trim().parse::<i64>() {
                    Ok(n) if (0..=crate::admin::stock::MAX_LEVEL).contains(&n) => Some(n),
                    _ => {
                        form.fault(
                            "stock",
                            format!(
                                "Enter the stock as a whole number from 0 to {}.",
                                crate::admin::stock::MAX_LEVEL
                            ),
                        );
                        None
                    }
                },
                "configurable" => None,
                _ => {
                    form.fault(
                        "kind",
                        "Choose whether the product is simple or configurable.",
                    );
                    None
                }
            };
            form.done()?;
            Ok(NewProduct { fields, stock })
        }
    }

    type CategoryTuple = (String, String, String, i64, i64);
    type ProductTuple = (String, String, String, i64, Option<i64>, String, i64, i64);

    pub async fn categories(state: &AppState) -> Result<Vec<AdminCategory>, AppError> {
        let categories: Vec<CategoryTuple> = sqlx::query_as(
            "select id, slug, name, hidden, revision from categories order by position, name",
        )
        .fetch_all(&state.pool)
        .await?;
        let products: Vec<ProductTuple> = sqlx::query_as(
            "select category_id, slug, name, hidden, stock, image, base_price, revision
             from products order by position, name",
        )
        .fetch_all(&state.pool)
        .await?;
        Ok(categories
            .into_iter()
            .map(|(id, slug, name, hidden, revision)| AdminCategory {
                products: products
                    .iter()
                    .filter(|p| p.0 == id)
                    .map(|p| AdminProductRow {
                        slug: p.1.clone(),
                        name: p.2.clone(),
                        hidden: p.3 != 0,
                        configurable: p.4.is_none(),
                        image: p.5.clone(),
                        base_price: p.6,
                        revision: p.7,
                    })
                    .collect(),
                id,
                slug,
                name,
                hidden: hidden != 0,
                revision,
            })
            .collect())
    }

    async fn category_names(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
        Ok(
            sqlx::query_as("select id, name from categories order by position, name")
                .fetch_all(&state.pool)
                .await?,
        )
    }

    #[derive(sqlx::FromRow)]
    struct ProductRecord {
        id: String,
        slug: String,
        name: String,
        category_id: String,
        summary: String,
        description: String,
        base_price: i64,
        stock: Option<i64>,
        image: String,
        hidden: i64,
        revision: i64,
        category_hidden: i64,
    }

    impl ProductRecord {
        fn fields(&self) -> ProductFields {
            ProductFields {
                name: self.name.clone(),
                slug: self.slug.clone(),
                category_id: self.category_id.clone(),
                summary: self.summary.clone(),
                description: self.description.clone(),
                base_price: self.base_price,
            }
        }
    }

    async fn record(state: &AppState, slug: &str) -> Result<ProductRecord, AppError> {
        sqlx::query_as::<_, ProductRecord>(
            "select p.id, p.slug, p.name, p.category_id, p.summary, p.description, p.base_price,
                    p.stock, p.image, p.hidden, p.revision, c.hidden as category_hidden
             from products p join categories c on c.id = p.category_id where p.slug = $1",
        )
        .bind(slug)
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such product.".into()))
    }

    pub async fn product_edit(state: &AppState, slug: &str) -> Result<ProductEdit, AppError> {
        let record = record(state, slug).await?;
        Ok(ProductEdit {
            slug: record.slug,
            name: record.name,
            category_id: record.category_id,
            summary: record.summary,
            description: record.description,
            base_price: record.base_price,
            configurable: record.stock.is_none(),
            stock: record.stock,
            image: record.image,
            hidden: record.hidden != 0,
            category_hidden: record.category_hidden != 0,
            revision: record.revision,
            categories: category_names(state).await?,
        })
    }

    fn to_json(value: &impl Serialize) -> Result<String, AppError> {
        serde_json::to_string(value).map_err(crate::error::internal)
    }

    async fn slug_taken(
        tx: &mut Transaction<'static, Any>,
        table: &str,
        slug: &str,
        except_id: &str,
    ) -> Result<bool, AppError> {
        let found: Option<String> = sqlx::query_scalar(&format!(
            "select id from {table} where slug = $1 and id <> $2"
        ))
        .bind(slug)
        .bind(except_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(found.is_some())
    }

    fn slug_in_use(slug: &str, typed: &[(&str, &str)]) -> AppError {
        AppError::field(
            "slug",
            format!("The address {slug} is already used; choose another."),
        )
        .with_values(typed)
    }

    pub async fn create_category(
        state: &AppState,
        merchandiser: &Customer,
        fields: CategoryFields,
    ) -> Result<(), AppError> {
        let mut tx = begin_write(&state.pool).await?;
        let typed = [
            ("name", fields.name.as_str()),
            ("slug", fields.slug.as_str()),
        ];
        if slug_taken(&mut tx, "categories", &fields.slug, "").await? {
            return Err(slug_in_use(&fields.slug, &typed));
        }
        let position: i64 =
            sqlx::query_scalar("select coalesce(max(position), 0) + 1 from categories")
                .fetch_one(&mut *tx)
                .await?;
        let id = new_id();
        sqlx::query("insert into categories (id, slug, name, position) values ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&fields.slug)
            .bind(&fields.name)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            merchandiser,
            "category",
            &fields.slug,
            "created",
            None,
            Some(&to_json(&fields)?),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn save_category(
        state: &AppState,
        merchandiser: &Customer,
        id: &str,
        fields: CategoryFields,
        revision: i64,
    ) -> Result<(), AppError> {
        let mut tx = begin_write(&state.pool).await?;
        let current: Option<(String, String, i64)> =
            sqlx::query_as("select name, slug, revision from categories where id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (name, slug, now) =
            current.ok_or_else(|| AppError::NotFound("There is no such category.".into()))?;
        let before = CategoryFields { name, slug };
        if now != revision {
            return Err(AppError::Conflict(format!(
                "Someone else changed this category while you were editing: it is now called “{}” at {}. Nothing was saved; the list shows it as it is now, so make your change again.",
                before.name, before.slug
            )));
        }
        let typed = [
            ("name", fields.name.as_str()),
            ("slug", fields.slug.as_str()),
        ];
        if slug_taken(&mut tx, "categories", &fields.slug, id).await? {
            return Err(slug_in_use(&fields.slug, &typed));
        }
        sqlx::query(
            "update categories set name = $1, slug = $2, revision = revision + 1
             where id = $3 and revision = $4",
        )
        .bind(&fields.name)
        .bind(&fields.slug)
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            merchandiser,
            "category",
            &fields.slug,
            "edited",
            Some(&to_json(&before)?),
            Some(&to_json(&fields)?),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Swaps `position` with the neighbour above or below among `rows` (id, position, label).
    async fn swap(
        tx: &mut Transaction<'static, Any>,
        table: &str,
        rows: &[(String, i64)],
        id: &str,
        up: bool,
    ) -> Result<bool, AppError> {
        let Some(at) = rows.iter().position(|(row, _)| row == id) else {
            return Ok(false);
        };
        let other = if up { at.checked_sub(1) } else { Some(at + 1) };
        let Some(other) = other.filter(|o| *o < rows.len()) else {
            return Ok(false);
        };
        let (a, b) = (&rows[at], &rows[other]);
        // Equal positions (never made here, but possible in old data) would not move: the
        // rows get their list order first.
        let (pa, pb) = if a.1 == b.1 {
            (at as i64, other as i64)
        } else {
            (a.1, b.1)
        };
        for (row, position) in [(&a.0, pb), (&b.0, pa)] {
            sqlx::query(&format!("update {table} set position = $1 where id = $2"))
                .bind(position)
                .bind(row)
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    }

    pub async fn move_category(
        state: &AppState,
        merchandiser: &Customer,
        id: &str,
        up: bool,
    ) -> Result<(), AppError> {
        let mut tx = begin_write(&state.pool).await?;
        let rows: Vec<(String, i64)> =
            sqlx::query_as("select id, position from categories order by position, name")
                .fetch_all(&mut *tx)
                .await?;
        let slug: Option<String> = sqlx::query_scalar("select slug from categories where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let slug = slug.ok_or_else(|| AppError::NotFound("There is no such category.".into()))?;
        if swap(&mut tx, "categories", &rows, id, up).await? {
            audit(
                &mut tx,
                merchandiser,
                "category",
                &slug,
                if up { "moved up" } else { "moved down" },
                None,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_category_hidden(
        state: &AppState,
        merchandiser: &Customer,
        id: &str,
        hidden: bool,
        revision: i64,
    ) -> Result<(), AppError> {
        let mut tx = begin_write(&state.pool).await?;
        let current: Option<(String, String, i64, i64)> =
            sqlx::query_as("select slug, name, hidden, revision from categories where id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (slug, name, was, now) =
            current.ok_or_else(|| AppError::NotFound("There is no such category.".into()))?;
        if now != revision {
            return Err(AppError::Conflict(format!(
                "Someone else changed the category “{name}” while you were looking: it is {} now. Nothing was changed.",
                if was != 0 { "hidden" } else { "shown" }
            )));
        }
        sqlx::query("update categories set hidden = $1, revision = revision + 1 where id = $2 and revision = $3")
            .bind(i64::from(hidden))
            .bind(id)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            merchandiser,
            "category",
            &slug,
            if hidden { "hidden" } else { "shown" },
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The rule set a new product starts with: no option groups yet.
    fn empty_rules() -> Result<String, AppError> {
        to_json(&configurator::RuleSet {
            version: 1,
            groups: Vec::new(),
            rules: Vec::new(),
            price_tables: Vec::new(),
        })
    }

    async fn category_exists(
        tx: &mut Transaction<'static, Any>,
        id: &str,
    ) -> Result<bool, AppError> {
        let found: Option<String> = sqlx::query_scalar("select id from categories where id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(found.is_some())
    }

    fn no_category(typed: &[(&str, &str)]) -> AppError {
        AppError::field(
            "category",
            "That category no longer exists; choose another.",
        )
        .with_values(typed)
    }

    /// Creates the product, hidden; returns its slug.
    pub async fn create_product(
        state: &AppState,
        merchandiser: &Customer,
        new: NewProduct,
    ) -> Result<String, AppError> {
        let f = &new.fields;
        let price = crate::money::price_input(f.base_price);
        let typed = [
            ("name", f.name.as_str()),
            ("slug", f.slug.as_str()),
            ("summary", f.summary.as_str()),
            ("base_price", price.as_str()),
        ];
        let mut tx = begin_write(&state.pool).await?;
        if slug_taken(&mut tx, "products", &f.slug, "").await? {
            return Err(slug_in_use(&f.slug, &typed));
        }
        if !category_exists(&mut tx, &f.category_id).await? {
            return Err(no_category(&typed));
        }
        let position: i64 =
            sqlx::query_scalar("select coalesce(max(position), 0) + 1 from products")
                .fetch_one(&mut *tx)
                .await?;
        let now = now_ms();
        let id = new_id();
        let rules = empty_rules()?;
        sqlx::query(
            "insert into products (id, slug, category_id, name, summary, description, image, base_price, stock,
                                   rule_set, rule_version, position, created_at, updated_at, hidden, revision)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $12, 1, 1)",
        )
        .bind(&id)
        .bind(&f.slug)
        .bind(&f.category_id)
        .bind(&f.name)
        .bind(&f.summary)
        .bind(&f.description)
        .bind(super::super::images::PLACEHOLDER)
        .bind(f.base_price)
        .bind(new.stock)
        .bind(&rules)
        .bind(position)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Its rules' history starts here, so "roll back to version 1" means "no options".
        sqlx::query(
            "insert into rule_versions (product_id, version, rule_set, published_at, published_by, note)
             values ($1, 1, $2, $3, $4, 'created in the console')",
        )
        .bind(&id)
        .bind(&rules)
        .bind(now)
        .bind(&merchandiser.id)
        .execute(&mut *tx)
        .await?;
        let mut after = serde_json::to_value(f).map_err(crate::error::internal)?;
        after["stock"] = new.stock.into();
        audit(
            &mut tx,
            merchandiser,
            "product",
            &f.slug,
            "created (hidden)",
            None,
            Some(&after.to_string()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(by = %merchandiser.id, product = %f.slug, "product created");
        Ok(f.slug.clone())
    }

    /// The fields that differ between `theirs` (saved meanwhile) and `mine` (the stale form),
    /// as the merchandiser reads them.
    pub fn differences(
        theirs: &ProductFields,
        mine: &ProductFields,
        categories: &[(String, String)],
    ) -> Vec<String> {
        let category = |id: &str| {
            categories
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        let mut out = Vec::new();
        let mut differ = |label: &str, a: &str, b: &str| {
            if a != b {
                out.push(format!("{label} is “{a}”"));
            }
        };
        differ("the name", &theirs.name, &mine.name);
        differ("the address", &theirs.slug, &mine.slug);
        differ(
            "the category",
            &category(&theirs.category_id),
            &category(&mine.category_id),
        );
        differ("the summary", &theirs.summary, &mine.summary);
        differ("the description", &theirs.description, &mine.description);
        differ(
            "the base price",
            &format_price(theirs.base_price),
            &format_price(mine.base_price),
        );
        out
    }

    /// Saves a product's fields over revision `revision`; returns its (maybe new) slug.
    pub async fn save_product(
        state: &AppState,
        merchandiser: &Customer,
        slug: &str,
        fields: ProductFields,
        revision: i64,
    ) -> Result<String, AppError> {
        let record = record(state, slug).await?;
        let before = record.fields();
        if record.revision != revision {
            let categories = category_names(state).await?;
            let changes = differences(&before, &fields, &categories);
            let what = if changes.is_empty() {
                "what they saved is what you entered".to_owned()
            } else {
                format!("now {}", changes.join(", "))
            };
            return Err(AppError::Conflict(format!(
                "Someone else saved {} while you were editing ({what}). Nothing of yours was saved; the form now shows their version, so make your changes again.",
                before.name
            )));
        }
        let price = crate::money::price_input(fields.base_price);
        let typed = [
            ("name", fields.name.as_str()),
            ("slug", fields.slug.as_str()),
            ("summary", fields.summary.as_str()),
            ("description", fields.description.as_str()),
            ("base_price", price.as_str()),
        ];
        if before == fields {
            return Ok(fields.slug);
        }
        let mut tx = begin_write(&state.pool).await?;
        if slug_taken(&mut tx, "products", &fields.slug, &record.id).await? {
            return Err(slug_in_use(&fields.slug, &typed));
        }
        if !category_exists(&mut tx, &fields.category_id).await? {
            return Err(no_category(&typed));
        }
        let updated = sqlx::query(
            "update products set name = $1, slug = $2, category_id = $3, summary = $4, description = $5,
                    base_price = $6, revision = revision + 1, updated_at = $7
             where id = $8 and revision = $9",
        )
        .bind(&fields.name)
        .bind(&fields.slug)
        .bind(&fields.category_id)
        .bind(&fields.summary)
        .bind(&fields.description)
        .bind(fields.base_price)
        .bind(now_ms())
        .bind(&record.id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AppError::Conflict(format!(
                "Someone else saved {} at the same moment. Nothing of yours was saved; reload the page and make your changes again.",
                before.name
            )));
        }
        audit(
            &mut tx,
            merchandiser,
            "product",
            &fields.slug,
            "edited",
            Some(&to_json(&before)?),
            Some(&to_json(&fields)?),
        )
        .await?;
        tx.commit().await?;
        Ok(fields.slug)
    }

    pub async fn move_product(
        state: &AppState,
        merchandiser: &Customer,
        slug: &str,
        up: bool,
    ) -> Result<(), AppError> {
        let mut tx = begin_write(&state.pool).await?;
        let found: Option<(String, String)> =
            sqlx::query_as("select id, category_id from products where slug = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, category) =
            found.ok_or_else(|| AppError::NotFound("There is no such product.".into()))?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select id, position from products where category_id = $1 order by position, name",
        )
        .bind(&category)
        .fetch_all(&mut *tx)
        .await?;
        if swap(&mut tx, "products", &rows, &id, up).await? {
            audit(
                &mut tx,
                merchandiser,
                "product",
                slug,
                if up { "moved up" } else { "moved down" },
                None,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_product_hidden(
        state: &AppState,
        merchandiser: &Customer,
        slug: &str,
        hidden: bool,
        revision: i64,
    ) -> Result<(), AppError> {
        let record = record(state, slug).await?;
        if record.revision != revision {
            return Err(AppError::Conflict(format!(
                "Someone else changed {} while you were looking: it is {} now. Nothing was changed.",
                record.name,
                if record.hidden != 0 {
                    "hidden"
                } else {
                    "shown"
                }
            )));
        }
        let mut tx = begin_write(&state.pool).await?;
        let updated = sqlx::query(
            "update products set hidden = $1, revision = revision + 1, updated_at = $2
             where id = $3 and revision = $4",
        )
        .bind(i64::from(hidden))
        .bind(now_ms())
        .bind(&record.id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AppError::Conflict(format!(
                "Someone else changed {} at the same moment. Nothing was changed.",
                record.name
            )));
        }
        audit(
            &mut tx,
            merchandiser,
            "product",
            slug,
            if hidden { "hidden" } else { "shown" },
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a product's image after an upload, over the revision the upload form showed.
    pub async fn set_image(
        tx: &mut Transaction<'static, Any>,
        merchandiser: &Customer,
        slug: &str,
        revision: i64,
        image: &str,
    ) -> Result<(), AppError> {
        let found: Option<(String, String, i64)> =
            sqlx::query_as("select id, image, revision from products where slug = $1")
                .bind(slug)
                .fetch_optional(&mut **tx)
                .await?;
        let (id, before, now) =
            found.ok_or_else(|| AppError::NotFound("There is no such product.".into()))?;
        if now != revision {
            return Err(AppError::Conflict(
                "Someone else changed this product while you were choosing the image. Nothing was saved; try the upload again.".into(),
            ));
        }
        sqlx::query(
            "update products set image = $1, revision = revision + 1, updated_at = $2
             where id = $3 and revision = $4",
        )
        .bind(image)
        .bind(now_ms())
        .bind(&id)
        .bind(revision)
        .execute(&mut **tx)
        .await?;
        audit(
            tx,
            merchandiser,
            "product",
            slug,
            "image uploaded",
            Some(&before),
            Some(image),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{slug_of, valid_slug};

    #[test]
    fn slugs_are_short_lowercase_words() {
        assert_eq!(slug_of("Walnut desk lamp"), "walnut-desk-lamp");
        assert_eq!(slug_of("  Café  crème / 2 "), "cafe-creme-2");
        assert_eq!(slug_of("Ünïcödé—ok"), "unicodeok");
        assert!(valid_slug("walnut-lamp"));
        for bad in [
            "", "a", "Walnut", "-lamp", "lamp-", "lamp--x", "lamp x", "lämp",
        ] {
            assert!(!valid_slug(bad), "{bad}");
        }
        assert!(slug_of(&"long name ".repeat(20)).len() <= 60);
    }
}
