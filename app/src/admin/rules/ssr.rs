//! The rule console's database work: drafts with a revision check, versions kept for good,
//! publishing and rolling back with a conditional update of the product's current version, test
//! configurations, and the audit log each change writes in the same transaction.

use std::sync::Arc;

use configurator::{Configurator, RuleSet};
use sqlx::{Any, AnyPool, Transaction};

use super::{
    DraftView, RuleCheck, RulesRow, RulesView, TestConfiguration, TestOutcome, VersionRow,
    check_compiled, draft_effect, parse_choices, parse_rules, run_test,
};
use crate::admin::audit::ssr::audit;
use crate::db::{begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::session::Customer;
use crate::state::{AppState, run_engine};

struct Product {
    id: String,
    name: String,
    rule_set: String,
    rule_version: i64,
    updated_at: i64,
}

async fn product(pool: &AnyPool, slug: &str) -> Result<Product, AppError> {
    let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
        "select id, name, rule_set, rule_version, updated_at from products
         where slug = $1 and rule_set is not null",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    let (id, name, rule_set, rule_version, updated_at) = row.ok_or_else(|| {
        AppError::NotFound("There is no configurable product with that name.".into())
    })?;
    Ok(Product {
        id,
        name,
        rule_set,
        rule_version,
        updated_at,
    })
}

/// The product's draft, read on the pool or inside a transaction.
async fn draft<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
    product_id: &str,
) -> Result<Option<DraftView>, AppError> {
    let row: Option<(String, i64, i64, i64, Option<String>)> = sqlx::query_as(
        "select d.rule_set, d.revision, d.based_on, d.updated_at, c.full_name
         from rule_drafts d left join customers c on c.id = d.updated_by
         where d.product_id = $1",
    )
    .bind(product_id)
    .fetch_optional(executor)
    .await?;
    Ok(
        row.map(|(rules, revision, based_on, updated_at, by)| DraftView {
            rules,
            revision,
            based_on,
            updated_at,
            updated_by: by.unwrap_or_default(),
        }),
    )
}

async fn tests(pool: &AnyPool, product_id: &str) -> Result<Vec<TestConfiguration>, AppError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select id, name, configuration, expect_valid from test_configurations
         where product_id = $1 order by created_at, id",
    )
    .bind(product_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, configuration, expect_valid)| TestConfiguration {
                id,
                name,
                choices: serde_json::from_str(&configuration).unwrap_or_default(),
                expect_valid: expect_valid != 0,
            },
        )
        .collect())
}

/// A compiled rule set and its check, or why the engine refuses it (too complex for the
/// server's limits included). Runs on the engine's bounded pool.
async fn compile(
    state: &AppState,
    json: String,
) -> Result<Result<(Arc<Configurator>, RuleCheck), String>, AppError> {
    let steps = state.limits.compile_steps;
    run_engine(state, move || {
        let engine = build(&json, steps)?;
        let check = check_compiled(&engine);
        Ok((Arc::new(engine), check))
    })
    .await
}

/// As `compile`, without the check (which is most of the work): for running test
/// configurations or seeing that the engine takes the rules.
async fn compile_only(
    state: &AppState,
    json: String,
) -> Result<Result<Arc<Configurator>, String>, AppError> {
    let steps = state.limits.compile_steps;
    run_engine(state, move || build(&json, steps).map(Arc::new)).await
}

fn build(json: &str, steps: u64) -> Result<Configurator, String> {
    let rules: RuleSet = parse_rules(json)?;
    Configurator::compile_within(&rules, steps)
        .map_err(|e| format!("The engine cannot use these rules: {e}"))
}

pub async fn products(state: &AppState) -> Result<Vec<RulesRow>, AppError> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select p.slug, p.name, p.rule_version,
                (select count(*) from rule_drafts d where d.product_id = p.id)
         from products p where p.rule_set is not null order by p.position, p.name",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut out = Vec::new();
    for (slug, name, version, drafts) in rows {
        out.push(RulesRow {
            slug,
            name,
            version,
            draft: drafts > 0,
        });
    }
    Ok(out)
}

pub async fn rules_view(state: &AppState, slug: &str) -> Result<RulesView, AppError> {
    let product = product(&state.pool, slug).await?;
    let draft = draft(&state.pool, &product.id).await?;
    let tests = tests(&state.pool, &product.id).await?;
    let (published_engine, published_check) = match compile(state, product.rule_set.clone()).await?
    {
        Ok((engine, check)) => (Some(engine), check),
        Err(message) => (None, RuleCheck::failed(message)),
    };
    let (draft_engine, draft_check) = match &draft {
        Some(d) => match compile(state, d.rules.clone()).await? {
            Ok((engine, check)) => (Some(engine), Some(check)),
            Err(message) => (None, Some(RuleCheck::failed(message))),
        },
        None => (None, None),
    };
    let effect = match (&published_engine, &draft_engine, &draft_check) {
        (Some(published), Some(drafted), Some(draft_check)) => Some(draft_effect(
            published.rules(),
            &published_check,
            drafted.rules(),
            draft_check,
        )),
        _ => None,
    };
    // Tests run against what would be published: the draft, else the published rules.
    let against = if draft.is_some() {
        &draft_engine
    } else {
        &published_engine
    };
    let outcomes = outcomes(against.as_deref(), &tests);
    let blockers = match (&draft, &draft_check) {
        (Some(d), Some(check)) => publish_blockers(&product, d, check, &outcomes),
        _ => Vec::new(),
    };
    let versions = versions(&state.pool, &product).await?;
    Ok(RulesView {
        slug: slug.to_owned(),
        name: product.name,
        version: product.rule_version,
        // Shown to edit: indented, as a person reads it (the stored text is compact).
        published: pretty(&product.rule_set),
        check: draft_check.unwrap_or(published_check),
        draft,
        effect,
        tests: outcomes,
        versions,
        blockers,
    })
}

/// Every test configuration that fails against the rules it would be published with (the
/// draft, else the published rules), as (slug, product name, outcome): for the console's home.
pub async fn failing_tests(
    state: &AppState,
) -> Result<Vec<(String, String, TestOutcome)>, AppError> {
    let slugs: Vec<(String,)> = sqlx::query_as(
        "select distinct p.slug from test_configurations t join products p on p.id = t.product_id
         order by p.slug",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut failing = Vec::new();
    for (slug,) in slugs {
        let product = product(&state.pool, &slug).await?;
        let rules = match draft(&state.pool, &product.id).await? {
            Some(d) => d.rules,
            None => product.rule_set.clone(),
        };
        let engine = compile_only(state, rules).await?.ok();
        let tests = tests(&state.pool, &product.id).await?;
        for outcome in outcomes(engine.as_deref(), &tests) {
            if !outcome.passes {
                failing.push((slug.clone(), product.name.clone(), outcome));
            }
        }
    }
    Ok(failing)
}

/// `tests` run on `engine`; without one (rules that do not compile) each fails, saying so.
fn outcomes(engine: Option<&Configurator>, tests: &[TestConfiguration]) -> Vec<TestOutcome> {
    tests
        .iter()
        .map(|t| match engine {
            Some(engine) => run_test(engine, t),
            None => TestOutcome {
                test: t.clone(),
                passes: false,
                outcome: "cannot be checked: the rules do not compile".into(),
            },
        })
        .collect()
}

/// Why `draft` cannot be published over `product` now: it does not compile, nothing is valid,
/// a test configuration fails, or another version was published since it was saved.
fn publish_blockers(
    product: &Product,
    draft: &DraftView,
    check: &RuleCheck,
    tests: &[TestOutcome],
) -> Vec<String> {
    let mut blockers = Vec::new();
    if let Some(error) = &check.error {
        blockers.push(error.clone());
    } else if !check.satisfiable {
        blockers.push(format!(
            "No configuration satisfies these rules; conflicting: {}.",
            if check.conflicting_rules.is_empty() {
                "the groups themselves".to_owned()
            } else {
                check.conflicting_rules.join(", ")
            }
        ));
    }
    for outcome in tests.iter().filter(|t| !t.passes) {
        blockers.push(format!(
            "Test configuration \u{201c}{}\u{201d} fails: {}.",
            outcome.test.name, outcome.outcome
        ));
    }
    if draft.based_on != product.rule_version {
        blockers.push(format!(
            "The draft was last saved on version {}, and version {} has been published since: save it again to base it on the current version.",
            draft.based_on, product.rule_version
        ));
    }
    blockers
}

async fn versions(pool: &AnyPool, product: &Product) -> Result<Vec<VersionRow>, AppError> {
    let rows: Vec<(i64, i64, Option<String>, String)> = sqlx::query_as(
        "select v.version, v.published_at, c.full_name, v.note
         from rule_versions v left join customers c on c.id = v.published_by
         where v.product_id = $1 order by v.version desc",
    )
    .bind(&product.id)
    .fetch_all(pool)
    .await?;
    let mut versions: Vec<VersionRow> = rows
        .into_iter()
        .map(|(version, published_at, by, note)| VersionRow {
            version,
            published_at,
            published_by: by.unwrap_or_default(),
            note,
        })
        .collect();
    if !versions.iter().any(|v| v.version == product.rule_version) {
        versions.insert(
            0,
            VersionRow {
                version: product.rule_version,
                published_at: product.updated_at,
                published_by: String::new(),
                note: FIRST_NOTE.into(),
            },
        );
    }
    Ok(versions)
}

/// `json` indented, or as it is when it does not parse.
fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| json.to_owned())
}

const FIRST_NOTE: &str = "published before the console kept versions";

/// Keeps the product's current rules as a version row if they are not one yet (rules loaded
/// with the catalogue, before the console), so every published version can be rolled back to.
async fn keep_current(
    tx: &mut Transaction<'static, Any>,
    product: &Product,
) -> Result<(), AppError> {
    let exists: Option<(i64,)> =
        sqlx::query_as("select version from rule_versions where product_id = $1 and version = $2")
            .bind(&product.id)
            .bind(product.rule_version)
            .fetch_optional(&mut **tx)
            .await?;
    if exists.is_none() {
        sqlx::query(
            "insert into rule_versions (product_id, version, rule_set, published_at, published_by, note)
             values ($1, $2, $3, $4, null, $5)",
        )
        .bind(&product.id)
        .bind(product.rule_version)
        .bind(&product.rule_set)
        .bind(product.updated_at)
        .bind(FIRST_NOTE)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn stale_draft(revision: i64, found: &Option<DraftView>) -> AppError {
    match found {
        Some(d) => AppError::Conflict(format!(
            "This draft was saved again since you opened it (revision {} of {}, by {}). Nothing was overwritten: reload to see it, then apply your change again.",
            d.revision,
            crate::time::format_time(d.updated_at),
            if d.updated_by.is_empty() { "someone" } else { &d.updated_by }
        )),
        None if revision > 0 => AppError::Conflict(
            "The draft you opened was published or discarded since. Nothing was changed: reload to see the current rules.".into(),
        ),
        None => AppError::Conflict("The draft changed since you opened it; reload.".into()),
    }
}

pub async fn save_draft(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    rules: &str,
    revision: i64,
) -> Result<(), AppError> {
    save_draft_as(state, merchandiser, slug, rules, revision, "draft saved").await
}

/// The rules a merchandiser works on: the draft's text and revision, or the published rules and
/// revision 0 when there is no draft.
pub struct Working {
    pub name: String,
    pub version: i64,
    pub text: String,
    pub revision: i64,
}

pub async fn working(state: &AppState, slug: &str) -> Result<Working, AppError> {
    let product = product(&state.pool, slug).await?;
    let found = draft(&state.pool, &product.id).await?;
    let (text, revision) = match found {
        Some(d) => (d.rules, d.revision),
        None => (product.rule_set, 0),
    };
    Ok(Working {
        name: product.name,
        version: product.rule_version,
        text,
        revision,
    })
}

/// The engine's check of `json`, on its bounded pool and within the server's compile limit.
pub async fn check_text(state: &AppState, json: String) -> Result<RuleCheck, AppError> {
    Ok(compile(state, json)
        .await?
        .map_or_else(RuleCheck::failed, |(_, check)| check))
}

/// As `save_draft`, with what changed named in the audit log ("rule r3 added").
pub async fn save_draft_as(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    rules: &str,
    revision: i64,
    action: &str,
) -> Result<(), AppError> {
    // A draft is work in progress: it is kept as typed, even when the engine cannot read it yet
    // (the check says why), so nothing typed is lost; only publishing needs valid rules.
    let product = product(&state.pool, slug).await?;
    let mut tx = begin_write(&state.pool).await?;
    let found = draft(&mut *tx, &product.id).await?;
    if found.as_ref().map_or(0, |d| d.revision) != revision {
        return Err(stale_draft(revision, &found));
    }
    let now = now_ms();
    let saved = if revision == 0 {
        sqlx::query(
            "insert into rule_drafts (product_id, rule_set, revision, based_on, updated_at, updated_by)
             values ($1, $2, 1, $3, $4, $5)",
        )
        .bind(&product.id)
        .bind(rules)
        .bind(product.rule_version)
        .bind(now)
        .bind(&merchandiser.id)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "update rule_drafts set rule_set = $1, revision = revision + 1, based_on = $2,
                    updated_at = $3, updated_by = $4
             where product_id = $5 and revision = $6",
        )
        .bind(rules)
        .bind(product.rule_version)
        .bind(now)
        .bind(&merchandiser.id)
        .bind(&product.id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
    };
    if saved.rows_affected() != 1 {
        return Err(stale_draft(revision, &found));
    }
    let before = found
        .as_ref()
        .map_or(product.rule_set.as_str(), |d| d.rules.as_str());
    audit(
        &mut tx,
        merchandiser,
        "rules",
        slug,
        action,
        Some(before),
        Some(rules),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(product = %product.id, by = %merchandiser.id, "rule draft saved");
    Ok(())
}

pub async fn discard_draft(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    revision: i64,
) -> Result<(), AppError> {
    let product = product(&state.pool, slug).await?;
    let mut tx = begin_write(&state.pool).await?;
    let found = draft(&mut *tx, &product.id).await?;
    let Some(d) = found.as_ref().filter(|d| d.revision == revision) else {
        return Err(stale_draft(revision, &found));
    };
    sqlx::query("delete from rule_drafts where product_id = $1 and revision = $2")
        .bind(&product.id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        merchandiser,
        "rules",
        slug,
        "draft discarded",
        Some(&d.rules),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes `rules` the product's next version, in one transaction: the version row, the
/// product's current rules (only if they are still `product.rule_version`), and the audit entry.
async fn make_current(
    tx: &mut Transaction<'static, Any>,
    merchandiser: &Customer,
    product: &Product,
    slug: &str,
    rules: &str,
    note: &str,
) -> Result<i64, AppError> {
    keep_current(tx, product).await?;
    let (latest,): (i64,) =
        sqlx::query_as("select coalesce(max(version), 0) from rule_versions where product_id = $1")
            .bind(&product.id)
            .fetch_one(&mut **tx)
            .await?;
    let version = latest.max(product.rule_version) + 1;
    let now = now_ms();
    sqlx::query(
        "insert into rule_versions (product_id, version, rule_set, published_at, published_by, note)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&product.id)
    .bind(version)
    .bind(rules)
    .bind(now)
    .bind(&merchandiser.id)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    let updated = sqlx::query(
        "update products set rule_set = $1, rule_version = $2, updated_at = $3
         where id = $4 and rule_version = $5",
    )
    .bind(rules)
    .bind(version)
    .bind(now)
    .bind(&product.id)
    .bind(product.rule_version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "Another version was published meanwhile. Nothing was changed: reload to see it."
                .into(),
        ));
    }
    audit(
        tx,
        merchandiser,
        "rules",
        slug,
        &format!("published version {version} ({note})"),
        Some(&product.rule_set),
        Some(rules),
    )
    .await?;
    Ok(version)
}

pub async fn publish(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    revision: i64,
) -> Result<(), AppError> {
    let product = product(&state.pool, slug).await?;
    let found = draft(&state.pool, &product.id).await?;
    let Some(d) = found.as_ref().filter(|d| d.revision == revision) else {
        return Err(stale_draft(revision, &found));
    };
    let (engine, check) = match compile(state, d.rules.clone()).await? {
        Ok((engine, check)) => (Some(engine), check),
        Err(message) => (None, RuleCheck::failed(message)),
    };
    let tests = tests(&state.pool, &product.id).await?;
    let blockers = publish_blockers(&product, d, &check, &outcomes(engine.as_deref(), &tests));
    if !blockers.is_empty() {
        return Err(AppError::validation(format!(
            "Not published: {} Version {} keeps serving.",
            blockers.join(" "),
            product.rule_version
        )));
    }
    let mut tx = begin_write(&state.pool).await?;
    let deleted = sqlx::query("delete from rule_drafts where product_id = $1 and revision = $2")
        .bind(&product.id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() != 1 {
        return Err(stale_draft(revision, &None));
    }
    let version = make_current(
        &mut tx,
        merchandiser,
        &product,
        slug,
        &d.rules,
        "from the draft",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(product = %product.id, by = %merchandiser.id, version, "rules published");
    Ok(())
}

pub async fn roll_back(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    version: i64,
    current: i64,
) -> Result<(), AppError> {
    let product = product(&state.pool, slug).await?;
    if product.rule_version != current {
        return Err(AppError::Conflict(format!(
            "Version {} has been published since you opened this page. Nothing was changed: reload to see it.",
            product.rule_version
        )));
    }
    if version == current {
        return Err(AppError::validation(format!(
            "Version {version} is already the published one."
        )));
    }
    let row: Option<(String,)> =
        sqlx::query_as("select rule_set from rule_versions where product_id = $1 and version = $2")
            .bind(&product.id)
            .bind(version)
            .fetch_optional(&state.pool)
            .await?;
    let (rules,) =
        row.ok_or_else(|| AppError::NotFound(format!("There is no version {version}.")))?;
    // The engine's limits may have changed since: an old version is checked like a new one.
    compile_only(state, rules.clone())
        .await?
        .map_err(|message| {
            AppError::validation(format!(
                "Not rolled back: {message} Version {current} keeps serving."
            ))
        })?;
    let mut tx = begin_write(&state.pool).await?;
    let note = format!("roll back to version {version}");
    let new_version = make_current(&mut tx, merchandiser, &product, slug, &rules, &note).await?;
    tx.commit().await?;
    tracing::info!(product = %product.id, by = %merchandiser.id, version = new_version, "rules rolled back");
    Ok(())
}

pub async fn add_test(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    name: &str,
    choices: &str,
    expect: &str,
) -> Result<(), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field(
            "name",
            "Give the test configuration a name.",
        ));
    }
    let choices = parse_choices(choices).map_err(|message| AppError::field("choices", message))?;
    let expect_valid = match expect {
        "valid" => true,
        "invalid" => false,
        _ => {
            return Err(AppError::field(
                "expect",
                "Choose whether it must stay possible or impossible.",
            ));
        }
    };
    let product = product(&state.pool, slug).await?;
    // Choices must name groups and options of the published rules or of the draft (a test is
    // often written for what the draft adds), or the test would test nothing.
    let drafted = draft(&state.pool, &product.id).await?;
    let known: Vec<RuleSet> = std::iter::once(product.rule_set.as_str())
        .chain(drafted.as_ref().map(|d| d.rules.as_str()))
        .filter_map(|json| parse_rules(json).ok())
        .collect();
    if !known.is_empty()
        && let Some((group, option)) = choices
            .iter()
            .find(|(g, o)| !known.iter().any(|rules| rules.offers(g, o)))
    {
        return Err(AppError::field(
            "choices",
            format!(
                "{group}: {option} is not an option of this product (use the ids from the rules)."
            ),
        ));
    }
    let configuration = serde_json::to_string(&choices).map_err(crate::error::internal)?;
    let mut tx = begin_write(&state.pool).await?;
    let id = new_id();
    sqlx::query(
        "insert into test_configurations (id, product_id, name, configuration, expect_valid, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&product.id)
    .bind(name)
    .bind(&configuration)
    .bind(i64::from(expect_valid))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let after = format!(
        "{name}: {configuration} must stay {}",
        if expect_valid {
            "possible"
        } else {
            "impossible"
        }
    );
    audit(
        &mut tx,
        merchandiser,
        "test configuration",
        slug,
        "added",
        None,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_test(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    id: &str,
) -> Result<(), AppError> {
    let product = product(&state.pool, slug).await?;
    let mut tx = begin_write(&state.pool).await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "select name, configuration from test_configurations where id = $1 and product_id = $2",
    )
    .bind(id)
    .bind(&product.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, configuration)) = row else {
        return Err(AppError::NotFound(
            "That test configuration is gone already.".into(),
        ));
    };
    sqlx::query("delete from test_configurations where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let before = format!("{name}: {configuration}");
    audit(
        &mut tx,
        merchandiser,
        "test configuration",
        slug,
        "removed",
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
