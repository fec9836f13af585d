//! The saved configuration page (`/c/{id}`), the comparison (`/compare`) and the list of the
//! visitor's saved configurations in the account. All plain server-rendered HTML and forms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{CompareView, DeleteSaved, RenameSaved, SavedSummary, SavedView};
use crate::catalogue::ships_in;
use crate::components::{ErrorBox, FieldError, LoadError, action_error, typed};
use crate::money::format_price;
use crate::time::format_date;

#[component]
pub fn SavedPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let saved = Resource::new(id, super::saved_configuration);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the configuration…"</p> }>
            {move || Suspend::new(async move {
                match saved.await {
                    Ok(saved) => view! { <Saved saved /> }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Saved(saved: SavedView) -> impl IntoView {
    let rename = ServerAction::<RenameSaved>::new();
    let rename_error = action_error(rename);
    let delete = ServerAction::<DeleteSaved>::new();
    let unchanged = saved.now.changes.is_empty();
    let orderable = saved.now.price.is_some();
    let compare_href = format!("/compare?c={}", saved.id);
    view! {
        <Title text=format!("{} — saved configuration — Atelier", saved.name) />
        <section class="panel saved">
            <p class="eyebrow">"Saved configuration"</p>
            <h1>{saved.name.clone()}</h1>
            <p class="muted">
                {format!("{} · saved on {} at {}", saved.product_name, format_date(saved.saved_at), format_price(saved.saved_price))}
            </p>
            {if unchanged {
                view! { <p class="notice" role="status">"Nothing has changed since it was saved: same options, same price."</p> }.into_any()
            } else {
                view! {
                    <div class="notice notice-warning" role="status">
                        <p><strong>"Since it was saved:"</strong></p>
                        <ul>{saved.now.changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                    </div>
                }
                    .into_any()
            }}
            <table class="saved-options">
                <caption class="sr-only">"Options"</caption>
                <tbody>
                    {saved.rows.iter().map(|(group, option)| view! {
                        <tr><th scope="row">{group.clone()}</th><td>{option.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="price-today">
                {match saved.now.price {
                    Some(price) => format!("Today: {}", format_price(price)),
                    None => "It cannot be ordered as saved today.".to_owned(),
                }}
            </p>
            <p class="lead-time">{ships_in(saved.now.lead_days)}</p>
            <div class="actions">
                <a class="button primary" href=saved.now.configure_href.clone()>
                    {if orderable { "Open in the configurator" } else { "Repair it in the configurator" }}
                </a>
                {orderable.then(|| {
                    let configuration = saved.configuration.clone();
                    view! {
                        <form method="post" action="/api/add_to_cart" class="inline-form">
                            <input type="hidden" name="slug" value=saved.slug.clone() />
                            <input type="hidden" name="rule_version" value=saved.now.rule_version.to_string() />
                            <input type="hidden" name="quote" value=saved.now.price.unwrap_or_default().to_string() />
                            <input type="hidden" name="quantity" value="1" />
                            {configuration.into_iter().map(|(group, option)| view! {
                                <input type="hidden" name=format!("configuration[{group}]") value=option />
                            }).collect_view()}
                            <button type="submit" class="button secondary">"Add to cart"</button>
                        </form>
                    }
                })}
                <a class="button secondary" href=compare_href>"Compare"</a>
            </div>
            <p class="share">"Share it: this page's address opens it for anyone."</p>
            {saved.mine.then(|| {
                let (rename_id, delete_id) = (saved.id.clone(), saved.id.clone());
                let current_name = saved.name.clone();
                view! {
                    <h2>"Manage"</h2>
                    <ActionForm action=rename attr:class="inline-form">
                        <input type="hidden" name="id" value=rename_id />
                        <label for="saved-name">"Name"</label>
                        <input id="saved-name" name="name" maxlength="80" required aria-describedby="saved-name-error"
                            value=move || { let t = typed(rename_error, "name")(); if t.is_empty() { current_name.clone() } else { t } } />
                        <button type="submit" class="button secondary">"Rename"</button>
                        <FieldError error=rename_error name="name" id="saved-name-error" />
                    </ActionForm>
                    <ErrorBox error=rename_error />
                    <ActionForm action=delete attr:class="inline-form">
                        <input type="hidden" name="id" value=delete_id />
                        <button type="submit" class="button link danger">"Delete this saved configuration"</button>
                    </ActionForm>
                }
            })}
        </section>
    }
}

/// The visitor's saved configurations, with a form to compare the ones ticked.
#[component]
pub fn SavedList(saved: Vec<SavedSummary>) -> impl IntoView {
    if saved.is_empty() {
        return view! {
            <p class="muted">"Nothing saved yet. \"Save\" on a product page keeps a configuration here."</p>
        }
        .into_any();
    }
    view! {
        <form method="get" action="/compare" class="saved-list">
            <ul>
                {saved.into_iter().map(|s| {
                    let id = format!("compare-{}", s.id);
                    view! {
                        <li>
                            <input type="checkbox" name="c" value=s.id.clone() id=id.clone() />
                            <label for=id class="sr-only">{format!("Compare {}", s.name)}</label>
                            <a href=format!("/c/{}", s.id)>{s.name.clone()}</a>
                            <span class="muted">{format!(" · {} · {} · {}", s.product_name, format_price(s.saved_price), format_date(s.saved_at))}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <button type="submit" class="button secondary">"Compare the ticked ones"</button>
        </form>
    }
    .into_any()
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let view = Resource::new(
        move || CompareQuery::from(&*query.read()),
        |query| async move {
            super::compare(Some(query.c), query.slug, Some(query.configuration)).await
        },
    );
    view! {
        <Title text="Compare configurations — Atelier" />
        <section class="panel compare">
            <h1>"Compare configurations"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view.await {
                        Ok(compared) => view! { <CompareTable compared /> }.into_any(),
                        Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/compare?c=ID&c=ID` (saved ones, as the account's checkboxes send them) and, from a product
/// page, `slug` and `configuration[…]`.
#[derive(Clone, Debug, Default, PartialEq)]
struct CompareQuery {
    c: Vec<String>,
    slug: Option<String>,
    configuration: std::collections::BTreeMap<String, String>,
}

impl From<&leptos_router::params::ParamsMap> for CompareQuery {
    fn from(query: &leptos_router::params::ParamsMap) -> CompareQuery {
        let configuration = query
            .latest_values()
            .filter_map(|(key, value)| {
                let group = key.strip_prefix("configuration[")?.strip_suffix(']')?;
                (!group.is_empty() && !value.is_empty())
                    .then(|| (group.to_owned(), value.to_owned()))
            })
            .take(crate::limits::MAX_GROUPS + 1)
            .collect();
        CompareQuery {
            c: query.get_all("c").unwrap_or_default(),
            slug: query.get("slug").filter(|s| !s.is_empty()),
            configuration,
        }
    }
}

#[component]
fn CompareTable(compared: CompareView) -> impl IntoView {
    let columns = compared.columns;
    let rows = compared.groups.into_iter().map(|group| {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| c.options.iter().find(|(g, _)| *g == group).map(|(_, o)| o.clone()).unwrap_or_else(|| "—".into()))
            .collect();
        let differs = cells.iter().any(|c| c != &cells[0]);
        view! {
            <tr class:differs=differs>
                <th scope="row">{group.clone()}{differs.then(|| view! { <span class="sr-only">" (differs)"</span> })}</th>
                {cells.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
            </tr>
        }
    }).collect_view();
    let prices: Vec<Option<i64>> = columns.iter().map(|c| c.price).collect();
    let price_differs = prices.iter().any(|p| *p != prices[0]);
    let leads: Vec<u32> = columns.iter().map(|c| c.lead_days).collect();
    let lead_differs = leads.iter().any(|d| *d != leads[0]);
    view! {
        <p class="muted">"Rows where the configurations differ are highlighted."</p>
        <div class="table-scroll">
            <table class="compare-table">
                <caption class="sr-only">"Configurations side by side"</caption>
                <thead>
                    <tr>
                        <td></td>
                        {columns.iter().map(|c| view! {
                            <th scope="col"><a href=c.href.clone()>{c.title.clone()}</a><br /><span class="muted">{c.product_name.clone()}</span></th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows}
                    <tr class:differs=price_differs class="price-row">
                        <th scope="row">"Price"</th>
                        {columns.iter().map(|c| view! {
                            <td>
                                <strong>{c.price.map(format_price).unwrap_or_else(|| "Cannot be ordered today".into())}</strong>
                                {c.problem.clone().map(|p| view! { <br /><span class="field-error">{p}</span> })}
                                <details>
                                    <summary>"Price lines"</summary>
                                    <ul>{c.lines.iter().map(|l| view! { <li>{format!("{}: {}", l.label, format_price(l.amount))}</li> }).collect_view()}</ul>
                                </details>
                            </td>
                        }).collect_view()}
                    </tr>
                    <tr class:differs=lead_differs>
                        <th scope="row">"Delivery"</th>
                        {columns.iter().map(|c| view! { <td>{ships_in(c.lead_days)}</td> }).collect_view()}
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
