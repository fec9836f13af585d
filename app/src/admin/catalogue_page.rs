//! The console's catalogue pages: every category with its products (reorder, hide and show,
//! rename, create), and one product's page (its fields, image upload, links to its rules and its
//! page in the shop). Server-rendered forms that work without JavaScript; no wasm is loaded.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ConsoleNav;
use super::catalogue::{
    AdminCategory, CreateCategory, CreateProduct, MAX_DESCRIPTION, MAX_NAME, MAX_SUMMARY,
    MoveCategory, MoveProduct, ProductEdit, SaveCategory, SaveProduct, SetCategoryHidden,
    SetProductHidden,
};
use super::images::{MAX_IMAGE_BYTES, Refusal};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, first_error, typed};
use crate::error::AppError;
use crate::money::{format_price, price_input};

#[component]
pub fn AdminCataloguePage() -> impl IntoView {
    let move_category = ServerAction::<MoveCategory>::new();
    let hide_category = ServerAction::<SetCategoryHidden>::new();
    let save_category = ServerAction::<SaveCategory>::new();
    let move_product = ServerAction::<MoveProduct>::new();
    let hide_product = ServerAction::<SetProductHidden>::new();
    let create_category = ServerAction::<CreateCategory>::new();
    let create_product = ServerAction::<CreateProduct>::new();
    let list_error = first_error(vec![
        action_error(move_category),
        action_error(hide_category),
        action_error(save_category),
        action_error(move_product),
        action_error(hide_product),
    ]);
    let category_error = action_error(create_category);
    let product_error = action_error(create_product);
    let catalogue = Resource::new(
        move || {
            (
                move_category.version().get(),
                hide_category.version().get(),
                save_category.version().get(),
                move_product.version().get(),
                hide_product.version().get(),
                create_category.version().get(),
            )
        },
        |_| super::catalogue::admin_catalogue(),
    );
    view! {
        <Title text="Catalogue — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"Catalogue"</h1>
            <p class="hint">"The shop shows categories and their products in this order. Hidden ones stay here, and their pages are a preview only you can see."</p>
            <ErrorBox error=list_error />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    match catalogue.await {
                        Ok(categories) => {
                            let choices: Vec<(String, String)> = categories.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
                            view! {
                                {categories.into_iter().map(|category| view! {
                                    <CategoryBlock category move_category hide_category save_category move_product hide_product />
                                }).collect_view()}
                                <div class="console-forms">
                                    <NewProductForm action=create_product error=product_error categories=choices />
                                    <NewCategoryForm action=create_category error=category_error />
                                </div>
                            }.into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// "Move up" / "Move down" buttons, each a form of its own, named for screen readers.
macro_rules! move_buttons {
    ($action:expr, $field:literal, $value:expr, $what:expr, $first:expr, $last:expr) => {{
        let (value, what) = ($value, $what);
        let button = |direction: &'static str, label: &'static str, disabled: bool| {
            let (value, what) = (value.clone(), what.clone());
            view! {
                <ActionForm action=$action attr:class="inline-form">
                    <input type="hidden" name=$field value=value.clone() />
                    <input type="hidden" name="direction" value=direction />
                    <button type="submit" class="button secondary small" disabled=disabled>
                        {label}<span class="sr-only">{format!(" {what}")}</span>
                    </button>
                </ActionForm>
            }
        };
        view! {
            {button("up", "Move up", $first)}
            {button("down", "Move down", $last)}
        }
    }};
}

#[component]
fn CategoryBlock(
    category: AdminCategory,
    move_category: ServerAction<MoveCategory>,
    hide_category: ServerAction<SetCategoryHidden>,
    save_category: ServerAction<SaveCategory>,
    move_product: ServerAction<MoveProduct>,
    hide_product: ServerAction<SetProductHidden>,
) -> impl IntoView {
    let heading = format!("category-{}", category.slug);
    let labelledby = heading.clone();
    let name_id = format!("category-name-{}", category.slug);
    let slug_id = format!("category-slug-{}", category.slug);
    let count = category.products.len();
    let AdminCategory {
        id,
        slug,
        name,
        hidden,
        revision,
        products,
    } = category;
    let hidden_label = if hidden {
        "Show in shop"
    } else {
        "Hide from shop"
    };
    let (id_hide, id_rename) = (id.clone(), id.clone());
    let moved = format!("category {name}");
    let (name_hide, name_rename) = (format!(" category {name}"), format!(" category {name}"));
    view! {
        <section class="catalogue-category" class:hidden-row=hidden aria-labelledby=labelledby>
            <div class="category-head">
                <h2 id=heading>
                    {name.clone()}
                    {hidden.then(|| view! { <span class="badge">"Hidden"</span> })}
                </h2>
                <div class="row-actions">
                    {move_buttons!(move_category, "id", id, moved, false, false)}
                    <ActionForm action=hide_category attr:class="inline-form">
                        <input type="hidden" name="id" value=id_hide />
                        <input type="hidden" name="hidden" value=(!hidden).to_string() />
                        <input type="hidden" name="revision" value=revision />
                        <button type="submit" class="button secondary small">
                            {hidden_label}
                            <span class="sr-only">{name_hide}</span>
                        </button>
                    </ActionForm>
                </div>
            </div>
            <details class="rename">
                <summary>"Rename"<span class="sr-only">{name_rename}</span></summary>
                <ActionForm action=save_category attr:class="inline-fields">
                    <input type="hidden" name="id" value=id_rename />
                    <input type="hidden" name="revision" value=revision />
                    <label for=name_id.clone()>"Name"</label>
                    <input id=name_id name="name" required maxlength=MAX_NAME value=name.clone() />
                    <label for=slug_id.clone()>"Address"</label>
                    <input id=slug_id name="slug" required maxlength="60" value=slug.clone() />
                    <button type="submit" class="button secondary small">"Save"</button>
                </ActionForm>
            </details>
            {if count == 0 {
                view! { <p class="hint">"No products in this category yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="catalogue-table">
                            <thead>
                                <tr>
                                    <th scope="col"><span class="sr-only">"Image"</span></th>
                                    <th scope="col">"Product"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Base price"</th>
                                    <th scope="col">"In the shop"</th>
                                    <th scope="col">"Order and visibility"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {products.into_iter().enumerate().map(|(i, product)| view! {
                                    <tr class:hidden-row=product.hidden>
                                        <td><img src=product.image.clone() alt="" width="64" height="40" loading="lazy" /></td>
                                        <th scope="row"><a href=format!("/admin/catalogue/{}", product.slug)>{product.name.clone()}</a></th>
                                        <td>{if product.configurable { "Configurable" } else { "Simple" }}</td>
                                        <td>{format_price(product.base_price)}</td>
                                        <td data-testid="visibility">{if product.hidden { "Hidden" } else { "Shown" }}</td>
                                        <td class="row-actions">
                                            {move_buttons!(move_product, "slug", product.slug.clone(), product.name.clone(), i == 0, i + 1 == count)}
                                            <ActionForm action=hide_product attr:class="inline-form">
                                                <input type="hidden" name="slug" value=product.slug.clone() />
                                                <input type="hidden" name="hidden" value=(!product.hidden).to_string() />
                                                <input type="hidden" name="revision" value=product.revision />
                                                <button type="submit" class="button secondary small">
                                                    {if product.hidden { "Show" } else { "Hide" }}
                                                    <span class="sr-only">{format!(" {}", product.name)}</span>
                                                </button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn NewProductForm(
    action: ServerAction<CreateProduct>,
    error: Signal<Option<AppError>>,
    categories: Vec<(String, String)>,
) -> impl IntoView {
    let kind = move || {
        error
            .get()
            .and_then(|e| e.typed_value("kind"))
            .unwrap_or_else(|| "configurable".into())
    };
    let category = typed(error, "category");
    view! {
        <section class="console-form" aria-labelledby="new-product-heading">
            <h2 id="new-product-heading">"New product"</h2>
            <p class="hint">"A new product starts hidden, so you can add its image and rules before buyers see it."</p>
            <ActionForm action attr:class="stacked-form">
                <label for="new-product-name">"Name"</label>
                <input id="new-product-name" name="name" required maxlength=MAX_NAME aria-describedby="new-product-name-error" value=typed(error, "name") />
                <FieldError error name="name" id="new-product-name-error" />
                <label for="new-product-slug">"Address (optional)"</label>
                <input id="new-product-slug" name="slug" maxlength="60" aria-describedby="new-product-slug-hint new-product-slug-error" value=typed(error, "slug") />
                <p class="hint" id="new-product-slug-hint">"The last part of the product's address, such as walnut-lamp. Left empty, it is made from the name."</p>
                <FieldError error name="slug" id="new-product-slug-error" />
                <label for="new-product-category">"Category"</label>
                <select id="new-product-category" name="category" required aria-describedby="new-product-category-error">
                    {categories.into_iter().map(|(id, name)| {
                        let selected = id == category();
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <FieldError error name="category" id="new-product-category-error" />
                <fieldset aria-describedby="new-product-kind-error">
                    <legend>"Kind"</legend>
                    <label class="radio"><input type="radio" name="kind" value="configurable" checked=move || kind() == "configurable" />" Configurable: buyers choose options; stock is kept per option"</label>
                    <label class="radio"><input type="radio" name="kind" value="simple" checked=move || kind() == "simple" />" Simple: one product with its own stock"</label>
                </fieldset>
                <FieldError error name="kind" id="new-product-kind-error" />
                <label for="new-product-price">"Base price (€)"</label>
                <input id="new-product-price" name="base_price" required inputmode="decimal" aria-describedby="new-product-price-error" value=typed(error, "base_price") />
                <FieldError error name="base_price" id="new-product-price-error" />
                <label for="new-product-stock">"Stock (simple products)"</label>
                <input id="new-product-stock" name="stock" type="number" min="0" inputmode="numeric" aria-describedby="new-product-stock-error" value=typed(error, "stock") />
                <FieldError error name="stock" id="new-product-stock-error" />
                <label for="new-product-summary">"Summary"</label>
                <input id="new-product-summary" name="summary" required maxlength=MAX_SUMMARY aria-describedby="new-product-summary-error" value=typed(error, "summary") />
                <FieldError error name="summary" id="new-product-summary-error" />
                <ErrorBox error />
                <button type="submit" class="button primary">"Create product"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn NewCategoryForm(
    action: ServerAction<CreateCategory>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <section class="console-form" aria-labelledby="new-category-heading">
            <h2 id="new-category-heading">"New category"</h2>
            <ActionForm action attr:class="stacked-form">
                <label for="new-category-name">"Name"</label>
                <input id="new-category-name" name="name" required maxlength=MAX_NAME aria-describedby="new-category-name-error" value=typed(error, "name") />
                <FieldError error name="name" id="new-category-name-error" />
                <label for="new-category-slug">"Address (optional)"</label>
                <input id="new-category-slug" name="slug" maxlength="60" aria-describedby="new-category-slug-error" value=typed(error, "slug") />
                <FieldError error name="slug" id="new-category-slug-error" />
                <ErrorBox error />
                <button type="submit" class="button primary">"Create category"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AdminCatalogueProductPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let save = ServerAction::<SaveProduct>::new();
    let hide = ServerAction::<SetProductHidden>::new();
    let error = action_error(save);
    let hide_error = action_error(hide);
    let slug = move || params.read().get("slug").unwrap_or_default();
    let product = Resource::new(
        move || (slug(), save.version().get(), hide.version().get()),
        |(slug, _, _)| super::catalogue::admin_product(slug),
    );
    let uploaded = move || query.read().get("image").as_deref() == Some("uploaded");
    let refused = move || {
        query
            .read()
            .get("image_error")
            .and_then(|code| Refusal::of_code(&code))
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the product…"</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(p) => view! {
                        <Title text=format!("{} — Atelier console", p.name) />
                        <section class="panel wide">
                            <ConsoleNav />
                            <p class="breadcrumb"><a href="/admin/catalogue">"Catalogue"</a>" / "{p.name.clone()}</p>
                            <h1>{p.name.clone()}</h1>
                            <ErrorBox error=hide_error />
                            <ProductStatus p=p.clone() hide />
                            <div class="product-admin">
                                <ProductFieldsForm p=p.clone() save error />
                                <ImageForm p uploaded=uploaded() refused=refused() />
                            </div>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductStatus(p: ProductEdit, hide: ServerAction<SetProductHidden>) -> impl IntoView {
    let status = if p.hidden {
        "Hidden from buyers."
    } else if p.category_hidden {
        "Shown, but its category is hidden, so buyers do not see it."
    } else {
        "On sale in the shop."
    };
    let (slug, hidden, revision) = (p.slug.clone(), p.hidden, p.revision);
    let shop = format!("/products/{}", p.slug);
    let rules = p
        .configurable
        .then(|| format!("/admin/products/{}/rules", p.slug));
    view! {
        <div class="product-status">
            <p data-testid="product-status">{status}</p>
            <ActionForm action=hide attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="hidden" value=(!hidden).to_string() />
                <input type="hidden" name="revision" value=revision />
                <button type="submit" class="button secondary">{if hidden { "Show in shop" } else { "Hide from shop" }}</button>
            </ActionForm>
            <a class="button secondary" href=shop>{if hidden { "Preview in shop" } else { "View in shop" }}</a>
            {rules.map(|href| view! { <a class="button secondary" href=href>"Edit rules"</a> })}
            <a class="button secondary" href="/admin/stock">"Stock"</a>
        </div>
    }
}

#[component]
fn ProductFieldsForm(
    p: ProductEdit,
    save: ServerAction<SaveProduct>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    // After a refused save, the form shows what was typed; else the saved values.
    let value = move |field: &'static str, saved: String| {
        error
            .get_untracked()
            .and_then(|e| e.typed_value(field))
            .unwrap_or(saved)
    };
    let category = value("category", p.category_id.clone());
    view! {
        <section class="console-form" aria-labelledby="fields-heading">
            <h2 id="fields-heading">"Details"</h2>
            <ActionForm action=save attr:class="stacked-form">
                <input type="hidden" name="product" value=p.slug.clone() />
                <input type="hidden" name="revision" value=p.revision />
                <label for="product-name">"Name"</label>
                <input id="product-name" name="name" required maxlength=MAX_NAME aria-describedby="product-name-error" value=value("name", p.name.clone()) />
                <FieldError error name="name" id="product-name-error" />
                <label for="product-slug">"Address"</label>
                <input id="product-slug" name="slug" required maxlength="60" aria-describedby="product-slug-hint product-slug-error" value=value("slug", p.slug.clone()) />
                <p class="hint" id="product-slug-hint">{format!("The shop shows it at /products/{}. Links to the old address stop working when it changes.", p.slug)}</p>
                <FieldError error name="slug" id="product-slug-error" />
                <label for="product-category">"Category"</label>
                <select id="product-category" name="category" required aria-describedby="product-category-error">
                    {p.categories.into_iter().map(|(id, name)| {
                        let selected = id == category;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <FieldError error name="category" id="product-category-error" />
                <label for="product-summary">"Summary"</label>
                <input id="product-summary" name="summary" required maxlength=MAX_SUMMARY aria-describedby="product-summary-error" value=value("summary", p.summary.clone()) />
                <FieldError error name="summary" id="product-summary-error" />
                <label for="product-description">"Description"</label>
                <textarea id="product-description" name="description" rows="6" maxlength=MAX_DESCRIPTION aria-describedby="product-description-error">{value("description", p.description.clone())}</textarea>
                <FieldError error name="description" id="product-description-error" />
                <label for="product-price">{if p.configurable { "Base price (€), before options" } else { "Price (€)" }}</label>
                <input id="product-price" name="base_price" required inputmode="decimal" aria-describedby="product-price-error" value=value("base_price", price_input(p.base_price)) />
                <FieldError error name="base_price" id="product-price-error" />
                {p.stock.map(|stock| view! { <p class="hint">{format!("Stock: {stock} (set it on the stock screen).")}</p> })}
                <ErrorBox error />
                <button type="submit" class="button primary">"Save changes"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ImageForm(p: ProductEdit, uploaded: bool, refused: Option<Refusal>) -> impl IntoView {
    view! {
        <section class="console-form" aria-labelledby="image-heading">
            <h2 id="image-heading">"Image"</h2>
            <img class="product-image-preview" src=p.image.clone() alt=format!("The image of {} now", p.name) width="480" height="300" />
            {uploaded.then(|| view! { <p class="notice notice-success" role="status">"The new image is saved and shown in the shop."</p> })}
            {refused.map(|refusal| view! { <p class="notice notice-error" role="alert">{refusal.message()}</p> })}
            <form method="post" enctype="multipart/form-data" action=format!("/admin/catalogue/{}/image", p.slug) class="stacked-form">
                <input type="hidden" name="revision" value=p.revision />
                <label for="product-image">"New image"</label>
                <input id="product-image" name="image" type="file" required accept="image/png,image/jpeg,image/webp,image/svg+xml" aria-describedby="product-image-hint" />
                <p class="hint" id="product-image-hint">{format!("PNG, JPEG, WebP or SVG, up to {} MB; shown at 480 × 300. SVGs may not contain scripts or links to other files.", MAX_IMAGE_BYTES / (1024 * 1024))}</p>
                <button type="submit" class="button primary">"Upload image"</button>
            </form>
        </section>
    }
}
