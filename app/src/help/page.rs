//! The help centre's pages: the articles by category, and one article with its answer, the
//! products it is about, the other articles of its category and "Did this answer your question?".
//! Server-rendered, plain forms: they work without JavaScript and load no wasm.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::format::Answer;
use super::{ArticleView, HelpCategory, VoteHelp};
use crate::components::{ErrorBox, LoadError, action_error};

/// The search form every page has: a GET form, so it works without JavaScript.
#[component]
pub fn HelpSearchForm(
    #[prop(optional, into)] query: String,
    #[prop(optional)] large: bool,
) -> impl IntoView {
    let id = if large {
        "help-search-page"
    } else {
        "help-search"
    };
    view! {
        <form role="search" aria-label="Search help" action="/help/search" method="get" class="help-search" class:large=large>
            <label for=id class:sr-only=!large>"Search help"</label>
            <div class="search-row">
                <input id=id type="search" name="q" value=query maxlength=super::MAX_QUERY autocomplete="off"
                    placeholder="Ask a question, e.g. how long until my bike arrives" />
                <button type="submit" class="button secondary">"Search"</button>
            </div>
        </form>
    }
}

#[component]
pub fn HelpHomePage() -> impl IntoView {
    let categories = Resource::new(|| (), |_| super::help_home());
    view! {
        <Title text="Help centre — Atelier" />
        <section class="panel wide help">
            <h1>"Help centre"</h1>
            <p class="lead">"Answers about delivery, configuring, paying, returns, caring for what you bought, and your account, at any hour."</p>
            <HelpSearchForm large=true />
            <super::CallMeForm page="/help".to_owned() />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the articles…"</p> }>
                {move || Suspend::new(async move {
                    match categories.await {
                        Ok(categories) => view! { <Categories categories /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Categories(categories: Vec<HelpCategory>) -> impl IntoView {
    view! {
        <div class="help-categories">
            {categories.into_iter().map(|category| view! {
                <section class="help-category" aria-labelledby=format!("help-{}", category.slug)>
                    <h2 id=format!("help-{}", category.slug)>{category.name}</h2>
                    <ul>
                        {category.articles.into_iter().map(|a| view! {
                            <li><a href=format!("/help/{}", a.slug)>{a.question}</a></li>
                        }).collect_view()}
                    </ul>
                </section>
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn HelpArticlePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let vote = ServerAction::<VoteHelp>::new();
    let error = action_error(vote);
    let article = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        super::help_article,
    );
    let (searched, voted) = {
        let q = query.read_untracked();
        (q.get("q").unwrap_or_default(), q.get("voted"))
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the answer…"</p> }>
            {move || {
                let (searched, voted) = (searched.clone(), voted.clone());
                Suspend::new(async move {
                    match article.await {
                        Ok(article) => view! { <ArticleBody article searched voted vote error /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ArticleBody(
    article: ArticleView,
    searched: String,
    voted: Option<String>,
    vote: ServerAction<VoteHelp>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let ArticleView {
        slug,
        question,
        answer,
        category,
        products,
        published,
        vote: given,
    } = article;
    let kept_query = searched.clone();
    let page = format!("/help/{slug}");
    let feedback = match (voted.as_deref(), given) {
        (Some("thanks"), _) => view! { <p class="notice notice-success" role="status">"Thank you: your answer is recorded. It helps us improve the search for everyone."</p> }.into_any(),
        (Some("already"), _) => view! { <p class="notice" role="status">"You already answered for this article. Thank you."</p> }.into_any(),
        (_, Some(helpful)) => view! { <p class="muted">{if helpful { "You said this answered your question. Thank you." } else { "You said this did not answer your question. Thank you for telling us." }}</p> }.into_any(),
        _ => view! {
            <ErrorBox error />
            <ActionForm action=vote attr:class="vote-form">
                <input type="hidden" name="slug" value=slug.clone() />
                <input type="hidden" name="query" value=kept_query />
                <fieldset>
                    <legend>"Did this answer your question?"</legend>
                    <div class="actions">
                        <button type="submit" name="helpful" value="true" class="button secondary">"Yes"</button>
                        <button type="submit" name="helpful" value="false" class="button secondary">"No"</button>
                    </div>
                </fieldset>
            </ActionForm>
        }
        .into_any(),
    };
    let back = if searched.is_empty() {
        view! { <a href="/help">"← Help centre"</a> }.into_any()
    } else {
        let href = format!(
            "/help/search?q={}",
            percent_encoding::utf8_percent_encode(&searched, percent_encoding::NON_ALPHANUMERIC)
        );
        view! { <a href=href>{format!("← Results for “{searched}”")}</a> }.into_any()
    };
    view! {
        <Title text=format!("{question} — Atelier help") />
        <article class="panel narrow help-article" aria-labelledby="article-heading">
            <p class="breadcrumbs">{back}" · "{category.name.clone()}</p>
            {(!published).then(|| view! { <p class="notice" role="status">"Not published: only merchandisers see this preview."</p> })}
            <h1 id="article-heading">{question}</h1>
            <div class="answer"><Answer text=answer /></div>
            {(!products.is_empty()).then(|| view! {
                <p class="about-products">"About: "
                    {products.into_iter().enumerate().map(|(i, p)| view! {
                        {(i > 0).then_some(", ")}<a href=format!("/products/{}", p.slug)>{p.name}</a>
                    }).collect_view()}
                </p>
            })}
            <section id="feedback" class="feedback" aria-label="Feedback">{feedback}</section>
            <super::CallMeForm page />
            {(!category.articles.is_empty()).then(|| view! {
                <section aria-labelledby="more-heading">
                    <h2 id="more-heading">{format!("More about {}", category.name.to_lowercase())}</h2>
                    <ul>
                        {category.articles.into_iter().map(|a| view! { <li><a href=format!("/help/{}", a.slug)>{a.question}</a></li> }).collect_view()}
                    </ul>
                </section>
            })}
        </article>
    }
}

/// Text with its matched words in `<mark>`.
fn with_marks(runs: Vec<(String, bool)>) -> impl IntoView + use<> {
    runs.into_iter()
        .map(|(run, mark)| {
            if mark {
                view! { <mark>{run}</mark> }.into_any()
            } else {
                run.into_any()
            }
        })
        .collect_view()
}

/// The results of a search, rendered on the server: the search without JavaScript.
#[component]
pub fn HelpSearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked().get("q").unwrap_or_default();
    let typed = q.clone();
    let results = Resource::new(move || q.clone(), super::search::search_help);
    view! {
        <Title text="Search help — Atelier" />
        <section class="panel wide help">
            <p class="breadcrumbs"><a href="/help">"← Help centre"</a></p>
            <h1>"Search help"</h1>
            <HelpSearchForm large=true query=typed />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(results) => view! { <Results results /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Results(results: super::search::SearchResults) -> impl IntoView {
    let super::search::SearchResults { query, hits } = results;
    if query.trim().is_empty() {
        return view! { <p>"Type a question above, or browse the "<a href="/help">"help centre"</a>"."</p> }.into_any();
    }
    if hits.is_empty() {
        return view! {
            <p role="status">{format!("Nothing found for “{}”.", query.trim())}</p>
            <p>"Try other or fewer words, browse the "<a href="/help">"help centre"</a>", or ask us to call you back."</p>
        }
        .into_any();
    }
    let encoded =
        percent_encoding::utf8_percent_encode(query.trim(), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    view! {
        <p role="status">{format!("{} answer{} for “{}”", hits.len(), if hits.len() == 1 { "" } else { "s" }, query.trim())}</p>
        <ol class="help-results">
            {hits.into_iter().map(|hit| view! {
                <li>
                    <a href=format!("/help/{}?q={encoded}", hit.slug)>{with_marks(hit.question)}</a>
                    <p>{with_marks(hit.snippet)}</p>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// Under a product: the help articles about it, and "Call me" with the configuration shown.
#[component]
pub fn ProductHelp(slug: String, configuration: String) -> impl IntoView {
    let about = slug.clone();
    let articles = Resource::new(move || about.clone(), super::product_help);
    let page = format!("/products/{slug}");
    view! {
        <section class="product-help" aria-labelledby="product-help-heading">
            <h2 id="product-help-heading">"Questions about this product"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match articles.await {
                        Ok(list) if !list.is_empty() => view! {
                            <ul>
                                {list.into_iter().map(|a| view! { <li><a href=format!("/help/{}", a.slug)>{a.question}</a></li> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Ok(_) => view! { <p><a href="/help">"Browse the help centre"</a></p> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
            <super::CallMeForm page product=slug configuration />
        </section>
    }
}
