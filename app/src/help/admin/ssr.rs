//! The help console's database work. Each change writes the audit log and bumps the search
//! index's version in the same transaction, so every app server and browser picks it up.

use std::collections::BTreeMap;

use super::{AdminArticle, AdminSynonym, ArticleEdit, HelpConsole, Learnt, WeekVotes};
use crate::admin::audit::ssr::audit;
use crate::admin::catalogue::{slug_of, valid_slug};
use crate::admin::form::Form;
use crate::db::{begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::help::ssr::bump_index;
use crate::session::Customer;
use crate::state::AppState;

const DAY: i64 = 86_400_000;
const WEEKS_SHOWN: i64 = 12;

async fn categories(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(
        sqlx::query_as("select id, name from help_categories order by position, slug")
            .fetch_all(&state.pool)
            .await?,
    )
}

pub async fn console(state: &AppState) -> Result<HelpConsole, AppError> {
    let rows: Vec<(String, String, String, i64, i64, i64)> = sqlx::query_as(
        "select a.slug, a.question, c.name, a.published,
                coalesce(sum(case when v.helpful = 1 then 1 else 0 end), 0),
                coalesce(sum(case when v.helpful = 0 then 1 else 0 end), 0)
         from help_articles a join help_categories c on c.id = a.category_id
         left join help_votes v on v.article_id = a.id
         group by a.slug, a.question, c.name, a.published, c.position, a.position
         order by c.position, a.position, a.question",
    )
    .fetch_all(&state.pool)
    .await?;
    let articles = rows
        .into_iter()
        .map(
            |(slug, question, category, published, yes, no)| AdminArticle {
                slug,
                question,
                category,
                published: published != 0,
                yes,
                no,
            },
        )
        .collect();
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("select id, term, equivalents from help_synonyms order by term")
            .fetch_all(&state.pool)
            .await?;
    let synonyms = rows
        .into_iter()
        .map(|(id, term, equivalents)| AdminSynonym {
            id,
            term,
            equivalents: serde_json::from_str(&equivalents).unwrap_or_default(),
        })
        .collect();
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "select lower(v.query), a.slug, a.question,
                sum(case when v.helpful = 1 then 1 else 0 end),
                sum(case when v.helpful = 0 then 1 else 0 end)
         from help_votes v join help_articles a on a.id = v.article_id
         where v.query <> '' and v.forgotten = 0
         group by lower(v.query), a.slug, a.question
         order by count(*) desc, lower(v.query) limit 200",
    )
    .fetch_all(&state.pool)
    .await?;
    let learnt = rows
        .into_iter()
        .map(|(query, slug, question, yes, no)| Learnt {
            query,
            slug,
            question,
            yes,
            no,
        })
        .collect();
    let since = now_ms() - WEEKS_SHOWN * 7 * DAY;
    let gaps: Vec<(String, i64)> = sqlx::query_as(
        "select lower(query), count(*) from help_searches where at >= $1
         group by lower(query) order by count(*) desc, lower(query) limit 30",
    )
    .bind(since)
    .fetch_all(&state.pool)
    .await?;
    let unanswered: Vec<(String, i64)> = sqlx::query_as(
        "select lower(query), count(*) from help_votes where helpful = 0 and query <> '' and at >= $1
         group by lower(query) order by count(*) desc, lower(query) limit 30",
    )
    .bind(since)
    .fetch_all(&state.pool)
    .await?;
    let votes: Vec<(i64, i64)> =
        sqlx::query_as("select at, helpful from help_votes where at >= $1")
            .bind(since)
            .fetch_all(&state.pool)
            .await?;
    // Weeks start on Monday (day 0 was a Thursday).
    let week_of = |ms: i64| {
        let day = ms.div_euclid(DAY);
        (day - (day + 3).rem_euclid(7)) * DAY
    };
    let this_week = week_of(now_ms());
    let mut weeks: BTreeMap<i64, WeekVotes> = (0..WEEKS_SHOWN)
        .map(|n| {
            let week = this_week - (WEEKS_SHOWN - 1 - n) * 7 * DAY;
            (
                week,
                WeekVotes {
                    week,
                    yes: 0,
                    no: 0,
                },
            )
        })
        .collect();
    for (at, helpful) in votes {
        if let Some(week) = weeks.get_mut(&week_of(at)) {
            if helpful != 0 {
                week.yes += 1;
            } else {
                week.no += 1;
            }
        }
    }
    Ok(HelpConsole {
        articles,
        categories: categories(state).await?,
        synonyms,
        learnt,
        gaps,
        unanswered,
        weeks: weeks.into_values().collect(),
    })
}

pub async fn article(state: &AppState, slug: &str) -> Result<ArticleEdit, AppError> {
    let categories = categories(state).await?;
    if slug.is_empty() {
        return Ok(ArticleEdit {
            slug: String::new(),
            question: String::new(),
            answer: String::new(),
            category: categories.first().map(|c| c.0.clone()).unwrap_or_default(),
            products: String::new(),
            published: false,
            revision: 0,
            categories,
        });
    }
    let row: Option<(String, String, String, String, i64, i64)> = sqlx::query_as(
        "select question, answer, category_id, products, published, revision
         from help_articles where slug = $1",
    )
    .bind(slug)
    .fetch_optional(&state.pool)
    .await?;
    let (question, answer, category, products, published, revision) = row
        .ok_or_else(|| AppError::NotFound("There is no help article with that address.".into()))?;
    Ok(ArticleEdit {
        slug: slug.to_owned(),
        question,
        answer,
        category,
        products: serde_json::from_str::<Vec<String>>(&products)
            .unwrap_or_default()
            .join(", "),
        published: published != 0,
        revision,
        categories,
    })
}

pub struct Edit {
    pub original: String,
    pub slug: String,
    pub question: String,
    pub answer: String,
    pub category: String,
    pub products: String,
    pub published: bool,
    pub revision: i64,
}

pub async fn save(state: &AppState, merchandiser: &Customer, edit: &Edit) -> Result<(), AppError> {
    let mut form = Form::default();
    let question = form.text("question", "question", &edit.question, 200, false);
    let answer = form.text("answer", "answer", &edit.answer, 10_000, false);
    form.typed("slug", &edit.slug);
    let slug = match edit.slug.trim() {
        "" => slug_of(&question),
        typed => typed.to_owned(),
    };
    if !valid_slug(&slug) {
        form.fault(
            "slug",
            "Use 2 to 60 lowercase letters, digits and single hyphens for the address, such as return-a-lamp.",
        );
    }
    form.typed("category", &edit.category);
    let known: Option<(String,)> = sqlx::query_as("select id from help_categories where id = $1")
        .bind(&edit.category)
        .fetch_optional(&state.pool)
        .await?;
    if known.is_none() {
        form.fault("category", "Choose a category.");
    }
    form.typed("products", &edit.products);
    let mut products: Vec<String> = Vec::new();
    for product in edit
        .products
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let found: Option<(String,)> = sqlx::query_as("select slug from products where slug = $1")
            .bind(product)
            .fetch_optional(&state.pool)
            .await?;
        match found {
            Some((slug,)) if !products.contains(&slug) => products.push(slug),
            Some(_) => {}
            None => form.fault(
                "products",
                format!("“{product}” is not a product's address."),
            ),
        }
    }
    form.typed("published", if edit.published { "true" } else { "" });
    let taken: Option<(String,)> =
        sqlx::query_as("select id from help_articles where slug = $1 and slug <> $2")
            .bind(&slug)
            .bind(&edit.original)
            .fetch_optional(&state.pool)
            .await?;
    if taken.is_some() {
        form.fault("slug", "Another article already has this address.");
    }
    form.done()?;
    let products = serde_json::to_string(&products).unwrap_or_else(|_| "[]".into());
    let now = now_ms();
    let mut tx = begin_write(&state.pool).await?;
    let after = serde_json::json!({
        "slug": slug, "question": question, "category": edit.category,
        "products": products, "published": edit.published,
    })
    .to_string();
    if edit.original.is_empty() {
        let (position,): (i64,) =
            sqlx::query_as("select coalesce(max(position), 0) + 1 from help_articles")
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "insert into help_articles (id, slug, category_id, question, answer, products, published, position, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(new_id())
        .bind(&slug)
        .bind(&edit.category)
        .bind(&question)
        .bind(&answer)
        .bind(&products)
        .bind(i64::from(edit.published))
        .bind(position)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            merchandiser,
            "help article",
            &slug,
            "created",
            None,
            Some(&after),
        )
        .await?;
    } else {
        let before: Option<(String, String, String, i64)> = sqlx::query_as(
            "select question, category_id, products, published from help_articles where slug = $1",
        )
        .bind(&edit.original)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((old_question, old_category, old_products, old_published)) = before else {
            return Err(AppError::NotFound("That article is gone.".into()));
        };
        let updated = sqlx::query(
            "update help_articles set slug = $1, category_id = $2, question = $3, answer = $4, products = $5,
                    published = $6, revision = revision + 1, updated_at = $7
             where slug = $8 and revision = $9",
        )
        .bind(&slug)
        .bind(&edit.category)
        .bind(&question)
        .bind(&answer)
        .bind(&products)
        .bind(i64::from(edit.published))
        .bind(now)
        .bind(&edit.original)
        .bind(edit.revision)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AppError::Conflict(
                "Someone saved this article since you opened it. Nothing was saved: reload to see their change, then make yours again.".into(),
            ));
        }
        let before = serde_json::json!({
            "slug": edit.original, "question": old_question, "category": old_category,
            "products": old_products, "published": old_published != 0,
        })
        .to_string();
        let action = match (old_published != 0, edit.published) {
            (false, true) => "published",
            (true, false) => "unpublished",
            _ => "edited",
        };
        audit(
            &mut tx,
            merchandiser,
            "help article",
            &slug,
            action,
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    bump_index(&mut tx).await?;
    tx.commit().await?;
    leptos_axum::redirect("/admin/help?saved=1");
    Ok(())
}

pub async fn add_synonym(
    state: &AppState,
    merchandiser: &Customer,
    term: &str,
    equivalents: &str,
) -> Result<(), AppError> {
    let mut form = Form::default();
    let term = form
        .text("term", "word or phrase", term, 60, false)
        .to_lowercase();
    form.typed("equivalents", equivalents);
    let list: Vec<String> = equivalents
        .split(',')
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty() && *e != term)
        .collect();
    if list.is_empty() {
        form.fault(
            "equivalents",
            "Name at least one word or phrase that means the same, such as “electric bicycle”.",
        );
    }
    let exists: Option<(String,)> = sqlx::query_as("select id from help_synonyms where term = $1")
        .bind(&term)
        .fetch_optional(&state.pool)
        .await?;
    if exists.is_some() {
        form.fault(
            "term",
            "This word already has synonyms: remove them first to change them.",
        );
    }
    form.done()?;
    let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    let mut tx = begin_write(&state.pool).await?;
    sqlx::query(
        "insert into help_synonyms (id, term, equivalents, updated_at) values ($1, $2, $3, $4)",
    )
    .bind(new_id())
    .bind(&term)
    .bind(&json)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        merchandiser,
        "help synonym",
        &term,
        "added",
        None,
        Some(&json),
    )
    .await?;
    bump_index(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_synonym(
    state: &AppState,
    merchandiser: &Customer,
    id: &str,
) -> Result<(), AppError> {
    let mut tx = begin_write(&state.pool).await?;
    let row: Option<(String, String)> =
        sqlx::query_as("select term, equivalents from help_synonyms where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((term, equivalents)) = row else {
        return Err(AppError::NotFound("That synonym is gone.".into()));
    };
    sqlx::query("delete from help_synonyms where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        merchandiser,
        "help synonym",
        &term,
        "removed",
        Some(&equivalents),
        None,
    )
    .await?;
    bump_index(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn forget(
    state: &AppState,
    merchandiser: &Customer,
    query: &str,
    slug: &str,
) -> Result<(), AppError> {
    let mut tx = begin_write(&state.pool).await?;
    let forgotten = sqlx::query(
        "update help_votes set forgotten = 1
         where lower(query) = $1 and forgotten = 0
           and article_id = (select id from help_articles where slug = $2)",
    )
    .bind(query.to_lowercase())
    .bind(slug)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if forgotten == 0 {
        return Err(AppError::NotFound(
            "Nothing was learnt from that query for this article.".into(),
        ));
    }
    audit(
        &mut tx,
        merchandiser,
        "help learnt",
        slug,
        "forgotten",
        Some(query),
        None,
    )
    .await?;
    bump_index(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
