//! The help centre on the real database: the articles as pages without JavaScript, the search
//! on the server (a typo, a natural question, a gap kept), "Did this answer your question?" once
//! per visitor and what the search learns from it, and "Call me": validated, rate-limited per
//! client, carrying the product page's configuration, queued for staff, claimed by one of two
//! staff claiming at once, done, and followed by the buyer; votes and server searches are
//! rate limited per client.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn search(visitor: &Visitor, query: &str) -> Vec<String> {
    let (status, body) = visitor.call_json("search_help", &[("query", query)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn help_articles_are_pages_and_the_server_search_finds_them() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let (status, page) = visitor.page("/help").await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    for words in [
        "Help centre",
        "Delivery and lead times",
        "How long until my bike arrives?",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(
        page.contains("role=\"search\""),
        "a search form on the page"
    );

    let (status, page) = visitor.page("/help/how-long-until-my-bike-arrives").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<li>"), "the answer's list is a list: {page}");
    assert!(visible_text(&page).contains("Did this answer your question?"));
    assert!(
        page.contains("href=\"/products/bicycle\""),
        "about the bicycle"
    );
    let (status, _) = visitor.page("/help/no-such-article").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A natural question, the same with typos, and the results page without JavaScript.
    let natural = search(&visitor, "how long until my bike arrives").await;
    assert_eq!(
        natural.first().map(String::as_str),
        Some("how-long-until-my-bike-arrives"),
        "{natural:?}"
    );
    let typos = search(&visitor, "how lnog untill my bicyle arives").await;
    assert!(
        typos
            .iter()
            .take(3)
            .any(|s| s == "how-long-until-my-bike-arrives"),
        "{typos:?}"
    );
    let (status, page) = visitor.page("/help/search?q=bike+frame+size").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/help/which-bike-frame-size?q="),
        "{page}"
    );
    assert!(page.contains("<mark>"), "matched words are marked");

    // A search that finds nothing is kept as a gap.
    assert!(search(&visitor, "qwxzv plorbt").await.is_empty());
    let (gaps,): (i64,) =
        sqlx::query_as("select count(*) from help_searches where query = 'qwxzv plorbt'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!(gaps, 1);

    // The product page lists the articles about it.
    let (_, page) = visitor.page("/products/bicycle").await;
    assert!(page.contains("Questions about this product"), "{page}");
    assert!(page.contains("href=\"/help/bicycle-first-service\""));
}

async fn vote(visitor: &Visitor, slug: &str, helpful: bool, query: &str) -> (StatusCode, Value) {
    visitor
        .call_json(
            "vote_help",
            &[
                ("slug", slug),
                ("helpful", if helpful { "true" } else { "false" }),
                ("query", query),
            ],
        )
        .await
}

#[tokio::test]
async fn a_vote_counts_once_per_visitor_and_what_helped_is_learnt() {
    let shop = Shop::start().await;
    let first = shop.visitor();
    let (status, body) = vote(&first, "opening-hours", true, "").await;
    assert_eq!(
        (status, body.clone()),
        (StatusCode::OK, Value::Bool(true)),
        "{body}"
    );
    let (status, body) = vote(&first, "opening-hours", false, "").await;
    assert_eq!(
        (status, body.clone()),
        (StatusCode::OK, Value::Bool(false)),
        "a second answer is not counted"
    );
    let (votes,): (i64,) = sqlx::query_as("select count(*) from help_votes")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(votes, 1);
    let (_, page) = first.page("/help/opening-hours").await;
    assert!(visible_text(&page).contains("You said this answered your question."));

    // Words no article uses find nothing, until visitors who searched them said an article helped.
    let query = "telephone hotline availability";
    let before = search(&first, query).await;
    assert_ne!(
        before.first().map(String::as_str),
        Some("opening-hours"),
        "{before:?}"
    );
    for n in 0..3 {
        let visitor = shop.visitor();
        let (status, body) = vote(&visitor, "opening-hours", true, query).await;
        assert_eq!(status, StatusCode::OK, "{n}: {body}");
    }
    let after = search(&first, "hotline availability telephone").await;
    assert_eq!(
        after.first().map(String::as_str),
        Some("opening-hours"),
        "{after:?}"
    );

    // Without JavaScript the vote goes back to the article with a thank-you.
    let guest = shop.visitor();
    let response = guest
        .submit(
            "vote_help",
            "/help/track-my-order?q=where+is+my+parcel",
            &[
                ("slug", "track-my-order"),
                ("helpful", "false"),
                ("query", "where is my parcel"),
            ],
        )
        .await;
    let to = location(&response).unwrap();
    assert!(
        to.starts_with("/help/track-my-order?voted=thanks&q="),
        "{to}"
    );
    let (helpful, query): (i64, String) =
        sqlx::query_as("select helpful, query from help_votes v join help_articles a on a.id = v.article_id where a.slug = 'track-my-order'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!((helpful, query.as_str()), (0, "where is my parcel"));
}

fn call_fields<'a>(name: &'a str, phone: &'a str, day: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("phone", phone),
        ("day", day),
        ("time_window", "12-15"),
        ("topic", "configuration"),
        ("page", "/products/bicycle"),
        ("product", "bicycle"),
        (
            "configuration",
            "configuration[frame]=titanium&configuration[size]=m&suggested[rack]=none",
        ),
    ]
}

/// The first day a call can be booked on today.
fn bookable_day() -> String {
    let today = app::db::now_ms().div_euclid(86_400_000);
    app::time::day_text(app::help::call::bookable_days(today)[0])
}

#[tokio::test]
async fn one_visitor_answering_twice_at_once_counts_once() {
    let shop = Shop::start().await;
    for round in 0..5 {
        let visitor = shop.visitor();
        // The visitor's session exists before the race (here from a vote on another article):
        // two requests without any cookie yet are two visitors as far as anyone can tell.
        let (status, body) = vote(&visitor, "track-my-order", true, "").await;
        assert_eq!((status, body), (StatusCode::OK, Value::Bool(true)));
        let mut racing = tokio::task::JoinSet::new();
        for n in 0..6 {
            let visitor = visitor.clone();
            racing.spawn(async move { vote(&visitor, "opening-hours", n % 2 == 0, "hours").await });
        }
        let answers = racing.join_all().await;
        for (status, body) in &answers {
            assert_eq!(*status, StatusCode::OK, "round {round}: {body}");
        }
        let counted = answers
            .iter()
            .filter(|(_, body)| *body == Value::Bool(true))
            .count();
        assert_eq!(counted, 1, "round {round}: one answer counted: {answers:?}");
    }
    let (votes,): (i64,) = sqlx::query_as("select count(*) from help_votes")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(votes, 10, "one vote per visitor and article");
}

#[tokio::test]
async fn call_me_reaches_the_queue_is_claimed_once_and_the_buyer_sees_it_done() {
    let shop = Shop::start().await;
    let day = bookable_day();
    let buyer = shop.visitor_at("127.0.0.7");
    buyer
        .register(
            "Carla Caller",
            "carla@example.com",
            "a long enough password",
        )
        .await;
    // Bad input is named field by field.
    let mut fields = call_fields("", "030 1234 5678", "1999-01-01");
    fields[3] = ("time_window", "midnight");
    let (status, body) = buyer.call_json("request_call", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["name", "phone", "day", "time_window"] {
        assert!(
            body["Validation"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, body) = buyer
        .call_json(
            "request_call",
            &call_fields("Carla Caller", "+49 (30) 1234-5678", &day),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body.as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "an unguessable id");
    let (phone, configuration): (String, String) =
        sqlx::query_as("select phone, configuration from callback_requests where id = $1")
            .bind(&id)
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!(phone, "+493012345678");
    assert_eq!(
        configuration,
        "configuration%5Bframe%5D=titanium&configuration%5Bsize%5D=m&suggested%5Brack%5D=none"
    );

    // A guest asks too; the queue is by slot and then by orders to date (neither has any).
    let guest = shop.visitor_at("127.0.0.8");
    let (status, body) = guest
        .call_json(
            "request_call",
            &call_fields("Gus Guest", "0044 20 7946 0958", &day),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let guest_id = body.as_str().unwrap().to_owned();

    let (first, second) = (shop.visitor(), shop.visitor());
    first.login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD).await;
    second
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    let (status, queue) = first.call_json("admin_calls", &[]).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let queued: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(queued.len(), 2);
    let (_, page) = first.page("/admin/calls").await;
    let text = visible_text(&page);
    assert!(
        text.contains("Carla Caller") && text.contains("frame: titanium, size: m"),
        "{text}"
    );

    // Two claims at once: one wins, the other is told.
    let claim = [("id", id.as_str())];
    let (a, b) = tokio::join!(
        first.call_json("claim_call", &claim),
        second.call_json("claim_call", &claim)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let loser = if a.0 == StatusCode::CONFLICT {
        &a.1
    } else {
        &b.1
    };
    assert!(
        error_message(loser).contains("claimed this request first"),
        "{loser}"
    );
    let winner = if a.0 == StatusCode::OK {
        &first
    } else {
        &second
    };
    let (status, _) = winner
        .call_json("finish_call", &[("id", &guest_id), ("note", "not mine")])
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only what one claimed can be done"
    );
    let (status, body) = winner
        .call_json(
            "finish_call",
            &[("id", &id), ("note", "Advised the titanium frame in M.")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The buyer sees it done, in the account and on the confirmation page.
    let (_, page) = buyer.page("/account").await;
    assert!(
        visible_text(&page).contains("Your call-back requests"),
        "{page}"
    );
    assert!(visible_text(&page).contains("Done"));
    let (_, page) = shop.visitor().page(&format!("/help/call/{id}")).await;
    assert!(visible_text(&page).contains("We called you"), "{page}");
    let actions: Vec<(String,)> =
        sqlx::query_as("select action from audit_log where entity = 'call' order by at")
            .fetch_all(shop.pool())
            .await
            .unwrap();
    assert_eq!(actions, vec![("claimed".to_owned(),), ("done".to_owned(),)]);

    // Guests and buyers do not get the queue.
    for (visitor, wanted) in [
        (&guest, StatusCode::UNAUTHORIZED),
        (&buyer, StatusCode::FORBIDDEN),
    ] {
        for (function, fields) in [
            ("admin_calls", vec![]),
            ("claim_call", vec![("id", guest_id.as_str())]),
            ("finish_call", vec![("id", guest_id.as_str())]),
        ] {
            let (status, body) = visitor.call_json(function, &fields).await;
            assert_eq!(status, wanted, "{function}: {body}");
        }
    }
}

#[tokio::test]
async fn call_me_is_rate_limited_per_client() {
    let shop = Shop::start().await;
    let day = bookable_day();
    let flooder = shop.visitor_at("127.0.0.9");
    for n in 0..5 {
        let (status, body) = flooder
            .call_json(
                "request_call",
                &call_fields("Fred", "+49 30 1234 5678", &day),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{n}: {body}");
    }
    let (status, _) = flooder
        .call_json(
            "request_call",
            &call_fields("Fred", "+49 30 1234 5678", &day),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Someone else is unaffected.
    let (status, body) = shop
        .visitor_at("127.0.0.10")
        .call_json(
            "request_call",
            &call_fields("Nora", "+33 1 23 45 67 89", &day),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (count,): (i64,) = sqlx::query_as("select count(*) from callback_requests")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(count, 6);
}

async fn merchandiser(shop: &Shop) -> Visitor {
    let merchandiser = shop.visitor();
    merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    merchandiser
}

async fn category_id(shop: &Shop, slug: &str) -> String {
    let (id,): (String,) = sqlx::query_as("select id from help_categories where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn merchandisers_run_the_articles_synonyms_and_what_was_learnt() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let buyer = shop.visitor();
    buyer
        .register("Bea Buyer", "bea@example.com", "a long enough password")
        .await;
    let guest = shop.visitor();
    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        ("admin_help", vec![]),
        ("admin_help_article", vec![("slug", "opening-hours")]),
        (
            "save_help_article",
            vec![("question", "Q?"), ("answer", "A."), ("category", "x")],
        ),
        (
            "add_help_synonym",
            vec![("term", "x"), ("equivalents", "y")],
        ),
        (
            "forget_help_query",
            vec![("query", "x"), ("slug", "opening-hours")],
        ),
    ];
    for (function, fields) in &calls {
        let (status, body) = guest.call_json(function, fields).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guest {function}: {body}");
        let (status, body) = buyer.call_json(function, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "buyer {function}: {body}");
    }

    // A synonym: a word no article uses finds the article once it means the same as one it does.
    assert!(
        search(&guest, "velocipede").await.is_empty(),
        "no article says velocipede"
    );
    let (status, body) = admin
        .call_json(
            "add_help_synonym",
            &[("term", "Velocipede"), ("equivalents", "bike, bicycle")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = search(&guest, "velocipede arrives").await;
    assert!(
        after
            .iter()
            .take(3)
            .any(|s| s == "how-long-until-my-bike-arrives"),
        "{after:?}"
    );
    let (status, body) = admin
        .call_json(
            "add_help_synonym",
            &[("term", "velocipede"), ("equivalents", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A new article starts unpublished: a 404 for buyers, found by nobody; published, it is.
    let delivery = category_id(&shop, "delivery").await;
    let fields = |published: &'static str, revision: &'static str, original: &'static str| {
        vec![
            ("original", original),
            ("slug", "gift-wrapping"),
            ("question", "Can you gift-wrap my order?"),
            (
                "answer",
                "Yes: every parcel can be **gift-wrapped** in recycled kraft paper.",
            ),
            ("category", delivery.as_str()),
            ("products", "bike-lock, desk-mat"),
            ("published", published),
            ("revision", revision),
        ]
        .into_iter()
        // An unticked checkbox sends nothing, as a browser does.
        .filter(|(name, value)| *name != "published" || !value.is_empty())
        .collect::<Vec<_>>()
    };
    let (status, body) = admin
        .call_json("save_help_article", &fields("", "0", ""))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = guest.page("/help/gift-wrapping").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !search(&guest, "gift wrap")
            .await
            .contains(&"gift-wrapping".to_owned())
    );
    let (status, page) = admin.page("/help/gift-wrapping").await;
    assert_eq!(status, StatusCode::OK);
    assert!(visible_text(&page).contains("only merchandisers see this preview"));
    let (status, body) = admin
        .call_json("save_help_article", &fields("true", "1", "gift-wrapping"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        search(&guest, "gift wrap")
            .await
            .first()
            .map(String::as_str),
        Some("gift-wrapping")
    );
    let (status, page) = guest.page("/help/gift-wrapping").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<strong>gift-wrapped</strong>"), "{page}");
    let (status, body) = admin
        .call_json("save_help_article", &fields("false", "1", "gift-wrapping"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale form: {body}");
    let bad: Vec<(&str, &str)> = fields("true", "2", "gift-wrapping")
        .into_iter()
        .map(|(name, value)| {
            (
                name,
                if name == "products" {
                    "no-such-thing"
                } else {
                    value
                },
            )
        })
        .collect();
    let (status, body) = admin.call_json("save_help_article", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["Validation"]["fields"]["products"].is_string(),
        "{body}"
    );

    // What was learnt is listed, and forgetting it takes it out of the search.
    let query = "telephone hotline availability";
    for _ in 0..2 {
        let (status, _) = vote(&shop.visitor(), "opening-hours", true, query).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        search(&guest, query).await.first().map(String::as_str),
        Some("opening-hours")
    );
    let (status, console) = admin.call_json("admin_help", &[]).await;
    assert_eq!(status, StatusCode::OK, "{console}");
    assert!(
        console["learnt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["query"] == query && l["yes"] == 2),
        "{console}"
    );
    let (status, body) = admin
        .call_json(
            "forget_help_query",
            &[("query", query), ("slug", "opening-hours")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(
        search(&guest, query).await.first().map(String::as_str),
        Some("opening-hours")
    );

    // The console page: articles with their votes, the chart, and the audit log.
    let (status, page) = admin.page("/admin/help").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<svg") && page.contains("role=\"img\""),
        "a chart"
    );
    assert!(visible_text(&page).contains("velocipede"));
    let actions: Vec<(String, String)> = sqlx::query_as(
        "select entity, action from audit_log where entity like 'help%' order by at, action",
    )
    .fetch_all(shop.pool())
    .await
    .unwrap();
    let actions: Vec<String> = actions
        .into_iter()
        .map(|(e, a)| format!("{e}: {a}"))
        .collect();
    for wanted in [
        "help synonym: added",
        "help article: created",
        "help article: published",
        "help learnt: forgotten",
    ] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
    }
}

#[tokio::test]
async fn votes_and_server_searches_are_rate_limited_per_client() {
    let shop = Shop::start().await;
    // A visitor who drops their cookie before every answer gets a new session each time, but
    // stays the same client.
    let limit = app::rate_limit::HELP_VOTES_PER_CLIENT.max_hits;
    for n in 0..limit {
        let fresh = shop.visitor_at("127.0.0.7");
        let (status, body) = vote(&fresh, "opening-hours", true, "").await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, Value::Bool(true)),
            "vote {n}"
        );
    }
    let (status, body) = vote(&shop.visitor_at("127.0.0.7"), "opening-hours", true, "").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(error_message(&body).contains("Too many"), "{body}");
    // Another client is not affected.
    let (status, body) = vote(&shop.visitor_at("127.0.0.8"), "opening-hours", true, "").await;
    assert_eq!((status, body), (StatusCode::OK, Value::Bool(true)));
    let (votes,): (i64,) = sqlx::query_as("select count(*) from help_votes")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(votes, limit + 1, "the refused vote was not counted");

    let searcher = shop.visitor_at("127.0.0.9");
    for _ in 0..app::rate_limit::HELP_SEARCH_PER_CLIENT.max_hits {
        assert!(
            !search(&searcher, "when will my bike arrive")
                .await
                .is_empty()
        );
    }
    let (status, body) = searcher
        .call_json("search_help", &[("query", "when will my bike arrive")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        !search(&shop.visitor_at("127.0.0.10"), "when will my bike arrive")
            .await
            .is_empty()
    );
}
