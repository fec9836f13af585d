//! The console's help pages: the articles with their YES/NO counts, synonyms, what the search
//! learnt (with "Forget"), the reports (search gaps, questions answered NO, the most and least
//! helpful articles, YES/NO by week as a chart), and one article's form. Server-rendered forms
//! that work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::admin::{
    AddHelpSynonym, AdminArticle, ForgetHelpQuery, HelpConsole, RemoveHelpSynonym, SaveHelpArticle,
    week_bars,
};
use crate::admin::ConsoleNav;
use crate::components::{ErrorBox, FieldError, LoadError, action_error, first_error};

#[component]
pub fn AdminHelpPage() -> impl IntoView {
    let add = ServerAction::<AddHelpSynonym>::new();
    let remove = ServerAction::<RemoveHelpSynonym>::new();
    let forget = ServerAction::<ForgetHelpQuery>::new();
    let list_error = first_error(vec![action_error(remove), action_error(forget)]);
    let add_error = action_error(add);
    let saved = use_query_map().read_untracked().get("saved").is_some();
    let console = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                forget.version().get(),
            )
        },
        |_| super::admin::admin_help(),
    );
    view! {
        <Title text="Help centre — Atelier console" />
        <section class="panel wide help-console">
            <ConsoleNav />
            <h1>"Help centre"</h1>
            {saved.then(|| view! { <p class="notice notice-success" role="status">"Saved. The search uses it from now on."</p> })}
            <ErrorBox error=list_error />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the help centre…"</p> }>
                {move || Suspend::new(async move {
                    match console.await {
                        Ok(data) => view! { <ConsoleBody data add remove forget add_error /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn share(yes: i64, no: i64) -> String {
    if yes + no == 0 {
        "—".into()
    } else {
        format!("{:.0} %", 100.0 * yes as f64 / (yes + no) as f64)
    }
}

#[component]
fn ConsoleBody(
    data: HelpConsole,
    add: ServerAction<AddHelpSynonym>,
    remove: ServerAction<RemoveHelpSynonym>,
    forget: ServerAction<ForgetHelpQuery>,
    add_error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let HelpConsole {
        articles,
        synonyms,
        learnt,
        gaps,
        unanswered,
        weeks,
        ..
    } = data;
    let mut rated: Vec<&AdminArticle> = articles.iter().filter(|a| a.yes + a.no > 0).collect();
    rated.sort_by(|a, b| {
        let rate = |x: &AdminArticle| x.yes as f64 / (x.yes + x.no) as f64;
        rate(b)
            .total_cmp(&rate(a))
            .then((b.yes + b.no).cmp(&(a.yes + a.no)))
    });
    let best: Vec<String> = rated
        .iter()
        .take(5)
        .map(|a| {
            format!(
                "{} — {} ({} votes)",
                a.question,
                share(a.yes, a.no),
                a.yes + a.no
            )
        })
        .collect();
    let worst: Vec<String> = rated
        .iter()
        .rev()
        .take(5)
        .map(|a| {
            format!(
                "{} — {} ({} votes)",
                a.question,
                share(a.yes, a.no),
                a.yes + a.no
            )
        })
        .collect();
    let article_rows = articles
        .into_iter()
        .map(|a| {
            let href = format!("/admin/help/article?slug={}", a.slug);
            view! {
                <tr>
                    <th scope="row"><a href=href>{a.question.clone()}</a></th>
                    <td>{a.category.clone()}</td>
                    <td>{if a.published { "Published" } else { "Not published" }}</td>
                    <td>{a.yes}</td>
                    <td>{a.no}</td>
                    <td>{share(a.yes, a.no)}</td>
                </tr>
            }
        })
        .collect_view();
    let synonym_rows = synonyms
        .into_iter()
        .map(|s| {
            let label = format!("Remove the synonyms of {}", s.term);
            view! {
                <tr>
                    <th scope="row">{s.term.clone()}</th>
                    <td>{s.equivalents.join(", ")}</td>
                    <td>
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="id" value=s.id.clone() />
                            <button type="submit" class="button link danger" aria-label=label>"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let learnt_rows = learnt
        .into_iter()
        .map(|l| {
            let label = format!("Forget “{}” for {}", l.query, l.question);
            view! {
                <tr>
                    <th scope="row">{l.query.clone()}</th>
                    <td><a href=format!("/help/{}", l.slug)>{l.question.clone()}</a></td>
                    <td>{l.yes}</td>
                    <td>{l.no}</td>
                    <td>
                        <ActionForm action=forget attr:class="inline-form">
                            <input type="hidden" name="query" value=l.query.clone() />
                            <input type="hidden" name="slug" value=l.slug.clone() />
                            <button type="submit" class="button link danger" aria-label=label>"Forget"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let list = |items: Vec<String>, empty: &'static str| {
        if items.is_empty() {
            view! { <p class="muted">{empty}</p> }.into_any()
        } else {
            view! { <ol>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ol> }
                .into_any()
        }
    };
    let counted = |rows: Vec<(String, i64)>| {
        rows.into_iter()
            .map(|(q, n)| format!("“{q}” — {n}×"))
            .collect::<Vec<_>>()
    };
    let bars = week_bars(&weeks);
    let width = if bars.is_empty() {
        100.0
    } else {
        100.0 / bars.len() as f64
    };
    let total: i64 = weeks.iter().map(|w| w.yes + w.no).sum();
    let chart_label = format!(
        "YES share of the answers to “Did this answer your question?”, by week, last {} weeks ({} answers)",
        weeks.len(),
        total
    );
    view! {
        <section aria-labelledby="articles-heading">
            <h2 id="articles-heading">"Articles"</h2>
            <p><a class="button secondary" href="/admin/help/article">"New article"</a></p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Question"</th><th scope="col">"Category"</th><th scope="col">"State"</th><th scope="col">"Yes"</th><th scope="col">"No"</th><th scope="col">"Helpful"</th></tr></thead>
                    <tbody>{article_rows}</tbody>
                </table>
            </div>
        </section>
        <section aria-labelledby="report-heading">
            <h2 id="report-heading">"Reports"</h2>
            <figure class="chart">
                <svg viewBox="0 0 100 50" role="img" aria-label=chart_label.clone() preserveAspectRatio="none">
                    <title>{chart_label.clone()}</title>
                    <line x1="0" y1="25" x2="100" y2="25" class="chart-grid" />
                    {bars.into_iter().map(|(x, height, label)| view! {
                        <rect x=format!("{:.2}", x + width * 0.15) y=format!("{:.2}", 50.0 - height / 2.0) width=format!("{:.2}", width * 0.7) height=format!("{:.2}", height / 2.0) class="chart-bar">
                            <title>{label}</title>
                        </rect>
                    }).collect_view()}
                </svg>
                <figcaption>{format!("{chart_label}. The line is 50 %.")}</figcaption>
            </figure>
            <div class="report-grid">
                <div><h3>"Searches that found nothing"</h3>{list(counted(gaps), "None in the last weeks.")}</div>
                <div><h3>"Questions answered NO"</h3>{list(counted(unanswered), "None in the last weeks.")}</div>
                <div><h3>"Most helpful"</h3>{list(best, "No votes yet.")}</div>
                <div><h3>"Least helpful"</h3>{list(worst, "No votes yet.")}</div>
            </div>
        </section>
        <section aria-labelledby="synonyms-heading">
            <h2 id="synonyms-heading">"Synonyms"</h2>
            <p class="hint">"A search for any of these words also finds articles that use the others."</p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Word"</th><th scope="col">"Means the same as"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{synonym_rows}</tbody>
                </table>
            </div>
            <ErrorBox error=add_error />
            <ActionForm action=add attr:class="stacked-form">
                <div class="field">
                    <label for="synonym-term">"Word or phrase"</label>
                    <input id="synonym-term" name="term" type="text" required maxlength="60" aria-describedby="synonym-term-error" />
                    <FieldError error=add_error name="term" id="synonym-term-error" />
                </div>
                <div class="field">
                    <label for="synonym-equivalents">"Means the same as (separated by commas)"</label>
                    <input id="synonym-equivalents" name="equivalents" type="text" required maxlength="600" aria-describedby="synonym-equivalents-error" />
                    <FieldError error=add_error name="equivalents" id="synonym-equivalents-error" />
                </div>
                <button type="submit" class="button secondary">"Add synonyms"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="learnt-heading">
            <h2 id="learnt-heading">"Learnt from votes"</h2>
            <p class="hint">"Queries after which visitors said an article answered them (or did not). The search learns a query once two visitors voted it alike, and never one with digits or an email address in it."</p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Query"</th><th scope="col">"Article"</th><th scope="col">"Yes"</th><th scope="col">"No"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{learnt_rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// One article's form (`?slug=` empty for a new article).
#[component]
pub fn AdminHelpArticlePage() -> impl IntoView {
    let query = use_query_map();
    let slug = query.read_untracked().get("slug").unwrap_or_default();
    let save = ServerAction::<SaveHelpArticle>::new();
    let error = action_error(save);
    let article = Resource::new(move || slug.clone(), super::admin::admin_help_article);
    view! {
        <Title text="Help article — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <p><a href="/admin/help">"← Help centre"</a></p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the article…"</p> }>
                {move || Suspend::new(async move {
                    match article.await {
                        Ok(a) => {
                            let typed = move |name: &str, saved: String| error.get_untracked().and_then(|e| e.typed_value(name)).unwrap_or(saved);
                            let new = a.slug.is_empty();
                            let category = typed("category", a.category.clone());
                            let published = error.get_untracked().and_then(|e| e.typed_value("published")).map_or(a.published, |v| v == "true");
                            let invalid = move |name: &'static str| move || error.get().and_then(|e| e.field_message(name)).is_some();
                            view! {
                                <h1>{if new { "New help article".to_owned() } else { format!("Article: {}", a.question) }}</h1>
                                {(!new).then(|| view! { <p><a href=format!("/help/{}", a.slug)>"See it as buyers do"</a></p> })}
                                <ErrorBox error />
                                <ActionForm action=save attr:class="stacked-form">
                                    <input type="hidden" name="original" value=a.slug.clone() />
                                    <input type="hidden" name="revision" value=a.revision />
                                    <div class="field" class:invalid=invalid("question")>
                                        <label for="article-question">"Question, as buyers ask it"</label>
                                        <input id="article-question" name="question" type="text" required maxlength="200" value=typed("question", a.question.clone()) aria-describedby="article-question-error" />
                                        <FieldError error name="question" id="article-question-error" />
                                    </div>
                                    <div class="field" class:invalid=invalid("slug")>
                                        <label for="article-slug">"Address (/help/…)"</label>
                                        <input id="article-slug" name="slug" type="text" maxlength="60" value=typed("slug", a.slug.clone()) aria-describedby="article-slug-error article-slug-hint" />
                                        <p class="hint" id="article-slug-hint">"Leave empty to make one from the question."</p>
                                        <FieldError error name="slug" id="article-slug-error" />
                                    </div>
                                    <div class="field" class:invalid=invalid("answer")>
                                        <label for="article-answer">"Answer"</label>
                                        <textarea id="article-answer" name="answer" rows="10" required aria-describedby="article-answer-error article-answer-hint">{typed("answer", a.answer.clone())}</textarea>
                                        <p class="hint" id="article-answer-hint">"Paragraphs separated by a blank line; lines starting with “- ” make a list; **bold**; [a link](/help/other-article) to the shop's own pages."</p>
                                        <FieldError error name="answer" id="article-answer-error" />
                                    </div>
                                    <div class="field" class:invalid=invalid("category")>
                                        <label for="article-category">"Category"</label>
                                        <select id="article-category" name="category" aria-describedby="article-category-error">
                                            {a.categories.iter().map(|(id, name)| view! { <option value=id.clone() selected=*id == category>{name.clone()}</option> }).collect_view()}
                                        </select>
                                        <FieldError error name="category" id="article-category-error" />
                                    </div>
                                    <div class="field" class:invalid=invalid("products")>
                                        <label for="article-products">"About these products (addresses, separated by commas)"</label>
                                        <input id="article-products" name="products" type="text" value=typed("products", a.products.clone()) aria-describedby="article-products-error" />
                                        <FieldError error name="products" id="article-products-error" />
                                    </div>
                                    <label class="checkbox"><input type="checkbox" name="published" value="true" checked=published />" Published: buyers see it and the search finds it"</label>
                                    <button type="submit" class="button primary">{if new { "Create the article" } else { "Save the article" }}</button>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
