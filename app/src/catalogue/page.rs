//! Home and product pages.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};

use super::{GroupView, ProductView, choices_from_query, product_href};
use crate::cart::AddToCart;
use crate::components::{ErrorBox, LoadError, action_error};
use crate::money::format_price;

#[component]
pub fn HomePage() -> impl IntoView {
    let catalogue = Resource::new(|| (), |_| super::catalogue());
    view! {
        <Title text="Atelier — made to order" />
        <section class="hero">
            <h1>"Made to order, made to fit"</h1>
            <p>
                "Configure a product step by step: we only offer options that lead to something we can build, and the price follows every choice."
            </p>
        </section>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the catalogue…"</p> }>
            {move || Suspend::new(async move {
                match catalogue.await {
                    Ok(home) => {
                        let categories = home.categories;
                        view! {
                            {home.greeting.map(|greeting| view! { <p class="greeting welcome">{greeting}</p> })}
                            {categories
                                .into_iter()
                                .map(|category| {
                                    view! {
                                        <section class="category" aria-labelledby=format!("category-{}", category.slug)>
                                            <h2 id=format!("category-{}", category.slug)>{category.name}</h2>
                                            <ul class="product-grid">
                                                {category
                                                    .products
                                                    .into_iter()
                                                    .map(|product| {
                                                        let href = format!("/products/{}", product.slug);
                                                        view! {
                                                            <li class="product-card">
                                                                <img src=product.image alt="" width="320" height="200" />
                                                                <h3>
                                                                    <A href=href>{product.name}</A>
                                                                </h3>
                                                                <p>{product.summary}</p>
                                                                <p class="from-price">
                                                                    {if product.configurable { "from " } else { "" }}
                                                                    {format_price(product.from_price)}
                                                                </p>
                                                            </li>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </ul>
                                        </section>
                                    }
                                })
                                .collect_view()}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let choices = Memo::new(move |_| choices_from_query(&location.search.get()));
    let product = Resource::new(
        move || (slug(), choices.get()),
        |(slug, choices)| super::product(slug, Some(choices)),
    );
    // Set by a change in the browser, cleared when the new assessment is shown. Deliberately not
    // the Transition's own pending state: that one is also computed while rendering on the
    // server, which made server-rendered pages differ from one request to the next.
    let busy = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading the product…"</p> }>
            {move || Suspend::new(async move {
                let product = product.await;
                if busy.get_untracked() {
                    busy.set(false);
                }
                match product {
                    Ok(view) => view! { <Configure product=view choices busy /> }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Configure(
    product: ProductView,
    choices: Memo<BTreeMap<String, String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let pending = move || busy.get();
    let add = ServerAction::<AddToCart>::new();
    let error = action_error(add);
    let slug = product.slug.clone();
    let update_button = r#"<button type="submit" class="button secondary" formmethod="get" formaction="">Update price</button>"#;
    let range = match (product.min_price, product.max_price) {
        (Some(min), Some(max)) if min != max => Some(format!(
            "Valid configurations from {} to {}",
            format_price(min),
            format_price(max)
        )),
        _ => None,
    };
    view! {
        <Title text=format!("{} — Atelier", product.name) />
        <article class="product">
            <div class="product-media">
                <img src=product.image.clone() alt=format!("{} illustration", product.name) width="480" height="300" />
            </div>
            <div class="product-body">
                <h1>{product.name.clone()}</h1>
                <p class="description">{product.description.clone()}</p>
                {product.problem.clone().map(|problem| view! { <div class="notice" role="status">{problem}</div> })}
                <ActionForm action=add attr:class="configure" attr:aria-label="Configuration">
                    <input type="hidden" name="slug" value=slug.clone() />
                    {product
                        .groups
                        .iter()
                        .cloned()
                        .map(|group| view! { <GroupControl group slug=slug.clone() choices busy /> })
                        .collect_view()}
                    <div class="price-box" aria-live="polite">
                        <span class="price-label">"Price"</span>
                        <output data-testid="price" class="price-total" class:pending=pending aria-busy=move || pending().to_string()>
                            {format_price(product.price)}
                        </output>
                        {move || pending().then(|| view! { <span class="spinner" role="status">"Updating price…"</span> })}
                        {range.map(|range| view! { <p class="price-range">{range}</p> })}
                        <details class="quote-lines">
                            <summary>"Price breakdown"</summary>
                            <table>
                                <tbody>
                                    {product
                                        .lines
                                        .iter()
                                        .map(|line| view! {
                                            <tr><th scope="row">{line.label.clone()}</th><td>{format_price(line.amount)}</td></tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </details>
                    </div>
                    <div class="quantity-row">
                        <label for="quantity">"Quantity"</label>
                        <input id="quantity" name="quantity" type="number" min="1" max="20" value="1" inputmode="numeric" />
                    </div>
                    <ErrorBox error />
                    <div class="actions">
                        <noscript inner_html=update_button></noscript>
                        <button type="submit" class="button primary" disabled=move || add.pending().get() || !product.in_stock>
                            "Add to cart"
                        </button>
                        {move || add.pending().get().then(|| view! { <span role="status">"Adding…"</span> })}
                    </div>
                    {(!product.in_stock).then(|| view! { <p class="notice">"Sold out for now."</p> })}
                </ActionForm>
            </div>
        </article>
    }
}

#[component]
fn GroupControl(
    group: GroupView,
    slug: String,
    choices: Memo<BTreeMap<String, String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let id = format!("group-{}", group.id);
    let name = format!("configuration[{}]", group.id);
    let group_id = group.id.clone();
    let navigate = use_navigate();
    let slug_for_change = slug.clone();
    let on_change = move |event| {
        let mut next = choices.get_untracked();
        next.insert(group_id.clone(), event_target_value(&event));
        busy.set(true);
        navigate(
            &product_href(&slug_for_change, &next),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let (available, unavailable): (Vec<_>, Vec<_>) = group
        .options
        .iter()
        .cloned()
        .partition(|o| o.available || o.id == group.selected);
    let hint = if group.forced {
        Some("Set by your other choices")
    } else if !group.chosen {
        Some("Suggested: the cheapest option that fits")
    } else {
        None
    };
    view! {
        <fieldset class="group">
            <label for=id.clone()>{group.name.clone()}</label>
            {(!group.chosen).then(|| view! { <input type="hidden" name=format!("suggested[{}]", group.id) value=group.selected.clone() /> })}
            <select id=id.clone() name=name on:change=on_change>
                {available
                    .into_iter()
                    .map(|option| {
                        let selected = option.id == group.selected;
                        let label = if option.price > 0 {
                            format!("{} (+{})", option.name, format_price(option.price))
                        } else {
                            option.name.clone()
                        };
                        view! { <option value=option.id selected=selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            {(!unavailable.is_empty()).then(|| view! {
                <ul class="unavailable" aria-label=format!("Unavailable {} options", group.name)>
                    {unavailable
                        .into_iter()
                        .map(|option| {
                            let fix = option.fix.clone().map(|fix| {
                                let href = product_href(&slug, &fix.choices);
                                view! {
                                    " "
                                    <a class="fix" href=href title=fix.message.clone()>"Make available"</a>
                                    <span class="fix-note">{format!(" ({})", fix.message)}</span>
                                }
                            });
                            view! {
                                <li>
                                    {format!("Not available: {} — {}", option.name, option.reason.clone().unwrap_or_else(|| "not possible with your choices".into()))}
                                    {fix}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            })}
        </fieldset>
    }
}
