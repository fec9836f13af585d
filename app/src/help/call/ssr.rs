//! "Call me" in the database: requests read field by field, the queue with each customer's
//! orders to date, and claims decided by a conditional update.

use super::{CallView, QueuedCall, TOPICS, WINDOWS, bookable_days, e164};
use crate::admin::audit::ssr::audit;
use crate::admin::form::Form;
use crate::db::{begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::session::Customer;
use crate::state::AppState;

pub struct Request {
    name: String,
    phone: String,
    day: String,
    time_window: String,
    topic: String,
    page: String,
    product: Option<String>,
    configuration: Option<String>,
}

/// Choices as a product page's query ("frame=steel&size=m"), re-encoded; anything else dropped.
fn configuration_query(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches('?');
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
        .filter(|(k, v)| !k.is_empty() && !v.is_empty() && k.len() <= 100 && v.len() <= 100)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .take(300)
        .collect();
    (!pairs.is_empty()).then(|| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    })
}

/// The configuration the buyer's page showed when they sent the form: the page's own address
/// (the product page keeps its choices in the URL as they change, so the browser's Referer is
/// current even when the form was rendered before the last change).
fn referer_configuration(product: &str) -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    let referer = parts.headers.get(http::header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    (url.path() == format!("/products/{product}"))
        .then(|| url.query().and_then(configuration_query))
        .flatten()
}

impl Request {
    #[allow(clippy::too_many_arguments)]
    pub fn read(
        name: &str,
        phone: &str,
        day: &str,
        time_window: &str,
        topic: &str,
        page: &str,
        product: &str,
        configuration: &str,
    ) -> Result<Request, AppError> {
        let mut form = Form::default();
        let name = form.text("name", "name we should ask for", name, 100, false);
        form.typed("phone", phone);
        let phone = e164(phone).unwrap_or_else(|message| {
            form.fault("phone", message);
            String::new()
        });
        form.typed("day", day);
        let today = now_ms().div_euclid(86_400_000);
        let day = match crate::time::parse_day(day) {
            Some(d) if bookable_days(today).contains(&d) => crate::time::day_text(d),
            _ => {
                form.fault("day", "Choose a working day in the next two weeks.");
                String::new()
            }
        };
        form.typed("time_window", time_window);
        if !WINDOWS.iter().any(|(v, _)| *v == time_window) {
            form.fault("time_window", "Choose a time window.");
        }
        form.typed("topic", topic);
        if !TOPICS.iter().any(|(v, _)| *v == topic) {
            form.fault("topic", "Choose what the call is about.");
        }
        form.done()?;
        let page = if page.starts_with('/') && !page.starts_with("//") {
            page.to_owned()
        } else {
            "/help".to_owned()
        };
        let product = Some(product.trim().to_owned()).filter(|p| !p.is_empty());
        let configuration = product
            .as_ref()
            .and_then(|p| referer_configuration(p).or_else(|| configuration_query(configuration)));
        Ok(Request {
            name,
            phone,
            day,
            time_window: time_window.to_owned(),
            topic: topic.to_owned(),
            page,
            product,
            configuration,
        })
    }
}

pub async fn create(
    state: &AppState,
    customer: Option<&Customer>,
    request: &Request,
) -> Result<String, AppError> {
    // The product must exist and be on sale; otherwise the call is about the page only.
    let product = match &request.product {
        Some(slug) => sqlx::query_as::<_, (String,)>(
            "select p.slug from products p join categories c on c.id = p.category_id
             where p.slug = $1 and p.hidden = 0 and c.hidden = 0",
        )
        .bind(slug)
        .fetch_optional(&state.pool)
        .await?
        .map(|(slug,)| slug),
        None => None,
    };
    let id = new_id();
    sqlx::query(
        "insert into callback_requests (id, customer_id, name, phone, day, time_window, topic, page,
                                        product_slug, configuration, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(customer.map(|c| c.id.clone()))
    .bind(&request.name)
    .bind(&request.phone)
    .bind(&request.day)
    .bind(&request.time_window)
    .bind(&request.topic)
    .bind(&request.page)
    .bind(&product)
    .bind(product.as_ref().and(request.configuration.clone()))
    .bind(now_ms())
    .execute(&state.pool)
    .await?;
    tracing::info!(request = %id, topic = %request.topic, "call-back requested");
    Ok(id)
}

type ViewRow = (String, String, String, String, String, i64, Option<String>);

fn view_of((id, day, time_window, topic, status, created_at, product): ViewRow) -> CallView {
    CallView {
        id,
        day,
        time_window,
        topic,
        status,
        created_at,
        product,
    }
}

const VIEW_COLUMNS: &str = "id, day, time_window, topic, status, created_at, product_slug";

pub async fn by_id(state: &AppState, id: &str) -> Result<CallView, AppError> {
    let row: Option<ViewRow> = sqlx::query_as(&format!(
        "select {VIEW_COLUMNS} from callback_requests where id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    row.map(view_of)
        .ok_or_else(|| AppError::NotFound("There is no call-back request at this address.".into()))
}

pub async fn of_customer(state: &AppState, customer: &str) -> Result<Vec<CallView>, AppError> {
    let rows: Vec<ViewRow> = sqlx::query_as(&format!(
        "select {VIEW_COLUMNS} from callback_requests where customer_id = $1
         order by created_at desc limit 50"
    ))
    .bind(customer)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows.into_iter().map(view_of).collect())
}

type QueueRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    i64,
);

pub async fn queue(state: &AppState, staff: &Customer) -> Result<Vec<QueuedCall>, AppError> {
    let rows: Vec<QueueRow> = sqlx::query_as(
        "select r.id, r.name, r.phone, r.day, r.time_window, r.topic, r.page, r.product_slug,
                r.configuration, r.status, r.claimed_by, s.full_name, r.note,
                coalesce(o.orders, 0), coalesce(o.value, 0), r.created_at
         from callback_requests r
         left join customers s on s.id = r.claimed_by
         left join (select customer_id, count(*) as orders, cast(sum(total) as bigint) as value from orders
                    where customer_id is not null and status <> 'cancelled' group by customer_id) o
           on o.customer_id = r.customer_id
         where r.status <> 'done'
         order by r.day, r.time_window, coalesce(o.value, 0) desc, r.created_at
         limit 500",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                name,
                phone,
                day,
                time_window,
                topic,
                page,
                product,
                configuration,
                status,
                claimed_by_id,
                claimed_by,
                note,
                orders,
                orders_value,
                created_at,
            )| QueuedCall {
                claimed_by_me: claimed_by_id.as_deref() == Some(staff.id.as_str()),
                id,
                name,
                phone,
                day,
                time_window,
                topic,
                page,
                product,
                configuration,
                status,
                claimed_by,
                note,
                orders,
                orders_value,
                created_at,
            },
        )
        .collect())
}

/// Who holds a request now, for the message to the one who lost the race.
async fn holder(state: &AppState, id: &str) -> Result<Option<(String, Option<String>)>, AppError> {
    Ok(sqlx::query_as(
        "select r.status, c.full_name from callback_requests r
         left join customers c on c.id = r.claimed_by where r.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.pool)
    .await?)
}

pub async fn claim(state: &AppState, staff: &Customer, id: &str) -> Result<(), AppError> {
    let mut tx = begin_write(&state.pool).await?;
    let claimed = sqlx::query(
        "update callback_requests set status = 'claimed', claimed_by = $1, claimed_at = $2
         where id = $3 and status = 'waiting'",
    )
    .bind(&staff.id)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        drop(tx);
        return Err(match holder(state, id).await? {
            None => AppError::NotFound("That call-back request is gone.".into()),
            Some((status, by)) if status == "claimed" => AppError::Conflict(format!(
                "{} claimed this request first.",
                by.unwrap_or_else(|| "Someone else".into())
            )),
            Some(_) => AppError::Conflict("This request is already done.".into()),
        });
    }
    audit(
        &mut tx,
        staff,
        "call",
        id,
        "claimed",
        Some("waiting"),
        Some("claimed"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn finish(
    state: &AppState,
    staff: &Customer,
    id: &str,
    note: &str,
) -> Result<(), AppError> {
    let mut tx = begin_write(&state.pool).await?;
    let done = sqlx::query(
        "update callback_requests set status = 'done', note = $1, done_at = $2
         where id = $3 and status = 'claimed' and claimed_by = $4",
    )
    .bind(note.trim())
    .bind(now_ms())
    .bind(id)
    .bind(&staff.id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !done {
        return Err(AppError::Conflict(
            "Only the person who claimed this request can mark it done; claim it first.".into(),
        ));
    }
    audit(
        &mut tx,
        staff,
        "call",
        id,
        "done",
        Some("claimed"),
        Some(note.trim()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
