//! Test harness: a real Atelier server on port 0 with a fresh database per test — a SQLite file,
//! or a new PostgreSQL database when `ATELIER_TEST_POSTGRES` names an admin URL — and an HTTP
//! client that behaves like a browser (cookies, same-origin headers). Every request has a timeout,
//! so a test can fail but never hang.
#![allow(dead_code)]

pub mod process;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, ORIGIN, REFERER};
use reqwest::{Client, Response, StatusCode, redirect};
use serde_json::Value;
use server::{Config, Running, start};

pub const MERCHANDISER_EMAIL: &str = "merchandiser@atelier.test";
pub const MERCHANDISER_PASSWORD: &str = "merch-test-password";

pub struct TestDatabase {
    pub url: String,
    sqlite_dir: Option<std::path::PathBuf>,
    /// The admin URL and the name of a PostgreSQL database to drop when the test ends.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn fresh() -> TestDatabase {
        let name = format!("atelier_test_{}", random_suffix());
        match std::env::var("ATELIER_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(admin_url) => {
                sqlx::any::install_default_drivers();
                let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .expect("connect to ATELIER_TEST_POSTGRES");
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    sqlite_dir: None,
                    postgres: Some((admin_url.clone(), name)),
                }
            }
            None => {
                let dir = std::env::temp_dir().join(name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDatabase {
                    url: format!("sqlite://{}/atelier.db", dir.display()),
                    sqlite_dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.sqlite_dir.is_none()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        // Hundreds of test databases left in the throwaway cluster filled a CI machine's disk.
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with its own
        // runtime drops the database, `force` ending the connections the server's pool kept.
        if let Some((admin_url, name)) = self.postgres.take() {
            let statement = format!("drop database if exists {name} with (force)");
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                        .await
                        .ok()?;
                    sqlx::query(&statement).execute(&mut admin).await.ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(_))) {
                eprintln!("note: test database {name} was not dropped");
            }
        }
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    hex::encode(rand::rngs::OsRng.r#gen::<[u8; 6]>())
}

pub fn config(database_url: &str) -> Config {
    Config {
        database_url: database_url.to_owned(),
        database_max_connections: 8,
        addr: "127.0.0.1:0".parse().unwrap(),
        site_url: None,
        site_root: "target/site".into(),
        output_name: "atelier".into(),
        hash_files: false,
        stripe: None,
        demo: true,
        demo_merchandiser_password: Some(app::state::Secret::from(MERCHANDISER_PASSWORD)),
        json_logs: false,
        payment_hold: std::time::Duration::from_secs(30 * 60),
        trusted_proxies: Vec::new(),
        jobs_every: std::time::Duration::from_secs(1),
        compile_steps: configurator::COMPILE_STEPS,
    }
}

/// Card payments against a local fake Stripe.
pub fn stripe_settings(stripe: &fake_stripe::Running) -> app::state::StripeSettings {
    app::state::StripeSettings {
        secret_key: app::state::Secret::from(stripe.secret_key()),
        webhook_secret: app::state::Secret::from(stripe.webhook_secret()),
        api_base: stripe.base_url().to_owned(),
        timeout: Duration::from_secs(5),
    }
}

pub struct Shop {
    pub server: Running,
    pub database: TestDatabase,
}

impl Shop {
    pub async fn start() -> Shop {
        Shop::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Shop {
        let database = TestDatabase::fresh().await;
        let mut config = config(&database.url);
        adjust(&mut config);
        let server = tokio::time::timeout(Duration::from_secs(60), start(config))
            .await
            .expect("server start timed out")
            .expect("server starts");
        Shop { server, database }
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.server.state.pool
    }

    /// How many orders the shop holds.
    pub async fn order_count(&self) -> i64 {
        sqlx::query_scalar("select count(*) from orders")
            .fetch_one(self.pool())
            .await
            .unwrap()
    }

    /// A new visitor: own cookie jar, same-origin like a browser on the shop's pages.
    pub fn visitor(&self) -> Visitor {
        Visitor::new(&self.url(""))
    }

    /// A visitor on another machine: its connections come from `ip` (any 127.x.y.z works on
    /// Linux loopback), so per-client limits see a different client.
    pub fn visitor_at(&self, ip: &str) -> Visitor {
        Visitor::build(&self.url(""), &self.url(""), Some(ip.parse().unwrap()))
    }
}

#[derive(Clone)]
pub struct Visitor {
    pub client: Client,
    pub base: String,
}

impl Visitor {
    pub fn new(base: &str) -> Visitor {
        Visitor::build(base, base, None)
    }

    /// A browser on a page of `origin` (the shop's public URL, which a proxy may put in front
    /// of `base`), connecting from `local` when given.
    pub fn build(base: &str, origin: &str, local: Option<std::net::IpAddr>) -> Visitor {
        let mut headers = HeaderMap::new();
        headers.insert(
            ORIGIN,
            HeaderValue::from_str(origin.trim_end_matches('/')).unwrap(),
        );
        let client = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            .local_address(local)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Visitor {
            client,
            base: base.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    /// A page as text, with its status.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// A plain HTML form post, as a browser without JavaScript sends it from `from_page`.
    pub async fn submit(
        &self,
        function: &str,
        from_page: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        self.client
            .post(format!("{}/api/{function}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, format!("{}{from_page}", self.base))
            .form(fields)
            .send()
            .await
            .expect("form post")
    }

    /// A server-function call as the hydrated page makes it (JSON answer).
    pub async fn call(&self, function: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}/api/{function}", self.base))
            .header(ACCEPT, "application/json")
            .form(fields)
            .send()
            .await
            .expect("server function call")
    }

    pub async fn call_json(&self, function: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.call(function, fields).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    /// The product as the server prices it without any choices (the cheapest valid completion).
    pub async fn product(&self, slug: &str, choices: &[(&str, &str)]) -> Value {
        let mut fields = vec![("slug".to_owned(), slug.to_owned())];
        for (group, option) in choices {
            fields.push((format!("choices[{group}]"), (*option).to_owned()));
        }
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body) = self.call_json("product", &fields).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn default_configuration(&self, slug: &str) -> BTreeMap<String, String> {
        serde_json::from_value(self.product(slug, &[]).await["configuration"].clone()).unwrap()
    }

    /// Adds a product with `configuration` the way the product form posts it (no JavaScript).
    pub async fn add_to_cart(
        &self,
        slug: &str,
        configuration: &BTreeMap<String, String>,
        quantity: u32,
    ) -> Response {
        let quantity = quantity.to_string();
        let fields = product_form(slug, configuration, &[("quantity", &quantity)]);
        self.submit("add_to_cart", &format!("/products/{slug}"), &pairs(&fields))
            .await
    }

    /// Adds a product as the hydrated product page does; `extra` are further form fields.
    pub async fn add_to_cart_json(
        &self,
        slug: &str,
        configuration: &BTreeMap<String, String>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let fields = product_form(slug, configuration, extra);
        self.call_json("add_to_cart", &pairs(&fields)).await
    }

    pub async fn add_default(&self, slug: &str, quantity: u32) -> BTreeMap<String, String> {
        let configuration = self.default_configuration(slug).await;
        let response = self.add_to_cart(slug, &configuration, quantity).await;
        assert_eq!(
            location(&response).as_deref(),
            Some("/cart"),
            "add to cart redirects to the cart"
        );
        configuration
    }

    pub async fn cart(&self) -> Value {
        let (status, body) = self.call_json("cart", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn checkout(&self, email: &str, payment: &str) -> Response {
        self.submit(
            "place_order",
            "/checkout",
            &[
                ("email", email),
                ("full_name", "Ada Lovelace"),
                ("address", "12 Analytical Row"),
                ("city", "London"),
                ("postal_code", "EC1A 1BB"),
                ("country", "GB"),
                ("payment", payment),
            ],
        )
        .await
    }

    /// Checks out by invoice and returns the order number from the confirmation redirect.
    pub async fn checkout_by_invoice(&self, email: &str) -> String {
        let response = self.checkout(email, "invoice").await;
        let location = location(&response).unwrap_or_else(|| {
            panic!("no redirect after placing the order: {}", response.status())
        });
        location
            .strip_prefix("/orders/")
            .expect("redirect to the order page")
            .to_owned()
    }

    pub async fn register(&self, name: &str, email: &str, password: &str) -> Response {
        self.submit(
            "register",
            "/register",
            &[
                ("full_name", name),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.submit(
            "login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

pub fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The text of an HTML page with tags, scripts and styles removed and whitespace collapsed, as a
/// person reads it.
pub fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    let mut hidden_until: Option<&str> = None;
    for (at, c) in html.char_indices() {
        let rest = &html[at..];
        if let Some(end) = hidden_until {
            if rest
                .get(..end.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(end))
            {
                hidden_until = None;
            }
            continue;
        }
        if c == '<' {
            for (open, close) in [("<script", "</script"), ("<style", "</style")] {
                if rest
                    .get(..open.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(open))
                {
                    hidden_until = Some(close);
                }
            }
            if hidden_until.is_some() {
                continue;
            }
            in_tag = true;
            text.push(' ');
        } else if c == '>' {
            in_tag = false;
        } else if !in_tag {
            text.push(c);
        }
    }
    let text = text
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message a person sees for the error a server function answered.
pub fn error_message(body: &Value) -> String {
    serde_json::from_value::<app::error::AppError>(body.clone())
        .map(|error| error.to_string())
        .unwrap_or_else(|_| body.to_string())
}

/// Where a form post sends the browser next, without the empty query leptos leaves behind.
pub fn next_page(response: &Response) -> Option<String> {
    location(response).map(|l| l.trim_end_matches('?').to_owned())
}

pub fn order_number_format(number: &str) -> bool {
    let alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    number.len() == 9
        && number.as_bytes()[4] == b'-'
        && number
            .chars()
            .enumerate()
            .all(|(i, c)| i == 4 || alphabet.contains(c))
}

/// The fields of the product form: the slug, one `configuration[group]` per group, and `extra`.
pub fn product_form(
    slug: &str,
    configuration: &BTreeMap<String, String>,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut fields = vec![("slug".to_owned(), slug.to_owned())];
    fields.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    fields.extend(
        configuration
            .iter()
            .map(|(group, option)| (format!("configuration[{group}]"), option.clone())),
    );
    fields
}

/// Borrowed pairs for the request helpers.
pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Publishes new rules for a product the way a merchandiser's publish will: its rule set as
/// `edit` leaves it, as a new rule version.
pub async fn publish_rules(shop: &Shop, slug: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let (rules,): (String,) = sqlx::query_as("select rule_set from products where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap();
    let mut rules: serde_json::Value = serde_json::from_str(&rules).unwrap();
    edit(&mut rules);
    sqlx::query(
        "update products set rule_set = $1, rule_version = rule_version + 1 where slug = $2",
    )
    .bind(rules.to_string())
    .bind(slug)
    .execute(shop.pool())
    .await
    .unwrap();
}

/// Publishes new rules for a product with the option `option` of `group` at `price`.
pub async fn publish_price(shop: &Shop, slug: &str, group: &str, option: &str, price: i64) {
    publish_rules(shop, slug, |rules| {
        let options = rules["groups"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|g| g["id"] == group)
            .unwrap()["options"]
            .as_array_mut()
            .unwrap();
        options.iter_mut().find(|o| o["id"] == option).unwrap()["price"] = price.into();
    })
    .await;
}
