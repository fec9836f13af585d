//! The console's audit log: every change a merchandiser makes (rules, test configurations,
//! stock), who made it, when, and what it was before and after. Entries are written inside the
//! change's own transaction (`ssr::audit`), so the log holds exactly the changes that happened.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::ConsoleNav;
use crate::components::LoadError;
use crate::error::AppError;
use crate::time::format_time;

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: i64,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[server(endpoint = "admin_audit_log")]
pub async fn admin_audit_log() -> Result<Vec<AuditRow>, AppError> {
    crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::audit_log(&state).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use sqlx::{Any, Transaction};

    use crate::db::{new_id, now_ms};
    use crate::error::AppError;
    use crate::session::Customer;
    use crate::state::AppState;

    /// Writes one audit entry inside the change's own transaction, so the log has exactly the
    /// changes that happened.
    pub async fn audit(
        tx: &mut Transaction<'static, Any>,
        actor: &Customer,
        entity: &str,
        entity_id: &str,
        action: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<(), AppError> {
        sqlx::query(
            "insert into audit_log (id, at, actor_id, entity, entity_id, action, before_value, after_value)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(now_ms())
        .bind(&actor.id)
        .bind(entity)
        .bind(entity_id)
        .bind(action)
        .bind(before)
        .bind(after)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// An audit row as read: at, actor name, entity, entity id, action, before, after.
    type AuditTuple = (
        i64,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );

    pub async fn audit_log(state: &AppState) -> Result<Vec<super::AuditRow>, AppError> {
        let rows: Vec<AuditTuple> = sqlx::query_as(
            "select a.at, c.full_name, a.entity, a.entity_id, a.action, a.before_value, a.after_value
                 from audit_log a left join customers c on c.id = a.actor_id
                 order by a.at desc, a.id limit 200",
        )
        .fetch_all(&state.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(at, actor, entity, entity_id, action, before, after)| super::AuditRow {
                    at,
                    actor: actor.unwrap_or_default(),
                    entity,
                    entity_id,
                    action,
                    before,
                    after,
                },
            )
            .collect())
    }
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| admin_audit_log());
    view! {
        <Title text="Audit log — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"Audit log"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the log…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(rows) => view! {
                            <div class="table-scroll">
                                <table class="audit-log">
                                    <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Change"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| view! {
                                            <tr>
                                                <td>{format_time(row.at)}</td>
                                                <td>{row.actor}</td>
                                                <td>{format!("{} {}: {}", row.entity, row.entity_id, row.action)}</td>
                                                <td>
                                                    <details>
                                                        <summary>"Before and after"</summary>
                                                        <p>"Before:"</p><pre>{row.before.unwrap_or_else(|| "—".into())}</pre>
                                                        <p>"After:"</p><pre>{row.after.unwrap_or_else(|| "—".into())}</pre>
                                                    </details>
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
