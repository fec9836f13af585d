//! The help centre's database work: categories and articles as buyers read them, votes kept once
//! per visitor and article, and the search index's version bumped by whatever changes the index.

use sqlx::{Any, AnyPool, Transaction};

use super::{ArticleLink, ArticleView, HelpCategory, ProductLink};
use crate::db::{begin_write, now_ms};
use crate::error::AppError;
use crate::state::AppState;

/// Every published article by category, in the categories' and articles' order.
pub async fn categories(state: &AppState) -> Result<Vec<HelpCategory>, AppError> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "select c.slug, c.name, a.slug, a.question
         from help_categories c join help_articles a on a.category_id = c.id
         where a.published = 1
         order by c.position, c.slug, a.position, a.question",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut categories: Vec<HelpCategory> = Vec::new();
    for (category_slug, category_name, slug, question) in rows {
        if categories.last().is_none_or(|c| c.slug != category_slug) {
            categories.push(HelpCategory {
                slug: category_slug,
                name: category_name,
                articles: Vec::new(),
            });
        }
        if let Some(category) = categories.last_mut() {
            category.articles.push(ArticleLink { slug, question });
        }
    }
    Ok(categories)
}

/// An article's row: id, question, answer, products, published, and its category's id, slug, name.
type ArticleRow = (String, String, String, String, i64, String, String, String);

pub async fn article(state: &AppState, slug: &str) -> Result<ArticleView, AppError> {
    let row: Option<ArticleRow> = sqlx::query_as(
        "select a.id, a.question, a.answer, a.products, a.published, c.id, c.slug, c.name
             from help_articles a join help_categories c on c.id = a.category_id
             where a.slug = $1",
    )
    .bind(slug)
    .fetch_optional(&state.pool)
    .await?;
    let not_found = || AppError::NotFound("There is no help article at this address.".into());
    let (id, question, answer, products, published, category_id, category_slug, category_name) =
        row.ok_or_else(not_found)?;
    let published = published != 0;
    if !published && !crate::session::viewer_is_merchandiser().await? {
        return Err(not_found());
    }
    let product_slugs: Vec<String> = serde_json::from_str(&products).unwrap_or_default();
    let mut products = Vec::new();
    for product in product_slugs {
        let name: Option<(String,)> = sqlx::query_as(
            "select p.name from products p join categories c on c.id = p.category_id
             where p.slug = $1 and p.hidden = 0 and c.hidden = 0",
        )
        .bind(&product)
        .fetch_optional(&state.pool)
        .await?;
        if let Some((name,)) = name {
            products.push(ProductLink {
                slug: product,
                name,
            });
        }
    }
    let related: Vec<(String, String)> = sqlx::query_as(
        "select slug, question from help_articles
         where category_id = $1 and published = 1 and id <> $2
         order by position, question",
    )
    .bind(&category_id)
    .bind(&id)
    .fetch_all(&state.pool)
    .await?;
    let vote = match crate::session::current().await? {
        Some(session) => {
            let visitor = visitor(&session);
            let found: Option<(i64,)> = sqlx::query_as(
                "select helpful from help_votes where article_id = $1 and visitor = $2",
            )
            .bind(&id)
            .bind(&visitor)
            .fetch_optional(&state.pool)
            .await?;
            found.map(|(helpful,)| helpful != 0)
        }
        None => None,
    };
    Ok(ArticleView {
        slug: slug.to_owned(),
        question,
        answer,
        category: HelpCategory {
            slug: category_slug,
            name: category_name,
            articles: related
                .into_iter()
                .map(|(slug, question)| ArticleLink { slug, question })
                .collect(),
        },
        products,
        published,
        vote,
    })
}

/// The published articles that name `product` among their products.
pub async fn about_product(state: &AppState, product: &str) -> Result<Vec<ArticleLink>, AppError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select slug, question, products from help_articles where published = 1
         order by position, question",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, products)| {
            serde_json::from_str::<Vec<String>>(products)
                .is_ok_and(|list| list.iter().any(|p| p == product))
        })
        .map(|(slug, question, _)| ArticleLink { slug, question })
        .collect())
}

/// Who votes: the customer, or a guest's session (one vote per visitor and article).
pub fn visitor(session: &crate::session::Session) -> String {
    match &session.customer {
        Some(customer) => format!("c:{}", customer.id),
        None => format!("s:{}", session.token_hash),
    }
}

/// Marks the search index as changed: its URL names the new version.
pub async fn bump_index(tx: &mut Transaction<'static, Any>) -> Result<(), AppError> {
    sqlx::query("update help_index_state set version = version + 1 where id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn index_version(pool: &AnyPool) -> Result<i64, AppError> {
    let (version,): (i64,) = sqlx::query_as("select version from help_index_state where id = 1")
        .fetch_one(pool)
        .await?;
    Ok(version)
}

/// Records the visitor's vote unless they already voted on this article; whether it did.
pub async fn vote(
    state: &AppState,
    slug: &str,
    visitor: &str,
    helpful: bool,
    query: &str,
) -> Result<bool, AppError> {
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tx = begin_write(&state.pool).await?;
    let id: Option<(String,)> =
        sqlx::query_as("select id from help_articles where slug = $1 and published = 1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
    let (id,) =
        id.ok_or_else(|| AppError::NotFound("There is no help article at this address.".into()))?;
    // One statement decides, so two clicks at once still make one vote.
    let inserted = sqlx::query(
        "insert into help_votes (article_id, visitor, helpful, query, at) values ($1, $2, $3, $4, $5)
         on conflict (article_id, visitor) do nothing",
    )
    .bind(&id)
    .bind(visitor)
    .bind(i64::from(helpful))
    .bind(&query)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if inserted && !query.is_empty() {
        bump_index(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(inserted)
}
