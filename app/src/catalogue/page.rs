//! Home and product pages.

use leptos::prelude::*;
use leptos_meta::{Link, Title};
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_params_map};

use super::island::Configure;
use super::{selection_from_query, why_from_query};
use crate::cart::AddToCart;
use crate::components::{LoadError, action_error};
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

/// The product page, rendered on the server; its form is the configurator island.
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let product = Resource::new(
        move || {
            let search = location.search.get();
            let (choices, budget) = selection_from_query(&search);
            (slug(), choices, budget, why_from_query(&search))
        },
        |(slug, choices, budget, why)| super::product(slug, Some(choices), budget, why),
    );
    // A refused add to cart (stale page, stock gone, bad quantity) comes back here after the
    // form post, with the error in the URL and what was typed in the draft cookie.
    let error = action_error(ServerAction::<AddToCart>::new());
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the product…"</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(product) => {
                        let error = error.get_untracked();
                        let notice = error.as_ref().map(|e| e.to_string());
                        let quantity = error.as_ref().and_then(|e| e.typed_value("quantity"));
                        let facts = product.facts.clone();
                        view! {
                            <Title text=format!("{} — Atelier", facts.name) />
                            // The engine asks for its rules only once the page is hydrated: ask
                            // now, while the wasm loads (same credentials mode as its fetch).
                            <Link rel="preload" href=facts.rules_url.clone() as_="fetch" crossorigin="anonymous" />
                            <article class="product">
                                <div class="product-media">
                                    <img src=facts.image.clone() alt=format!("{} illustration", facts.name) width="480" height="300" />
                                </div>
                                <div class="product-body">
                                    <h1>{facts.name.clone()}</h1>
                                    {(!facts.on_sale).then(|| view! {
                                        <p class="notice notice-warning" role="status">"Hidden from buyers: you see this page as a preview. Show it in the console's catalogue to put it on sale."</p>
                                    })}
                                    <p class="description">{facts.description.clone()}</p>
                                    <Configure product notice quantity />
                                </div>
                            </article>
                            <crate::help::page::ProductHelp slug=facts.slug.clone() configuration=location.search.get_untracked() />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
