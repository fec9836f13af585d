//! Behind a reverse proxy: which client a request is from (forwarded headers believed only from
//! `ATELIER_TRUSTED_PROXIES`), and the CSRF origin check against `SITE_URL`, never the `Host`
//! header a proxy may rewrite.

mod common;

use common::*;
use reqwest::StatusCode;

async fn login_from(visitor: &Visitor, forwarded_for: &str, password: &str) -> StatusCode {
    visitor
        .client
        .post(format!("{}/api/login", visitor.base))
        .header("accept", "application/json")
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", "pat@example.com"), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn shop_with_owner(trusted: &str) -> Shop {
    let shop = Shop::start_with(|config| {
        config.trusted_proxies = app::client::parse_trusted(trusted).unwrap();
    })
    .await;
    shop.visitor_at("127.0.0.7")
        .register("Pat Owner", "pat@example.com", "the right password")
        .await;
    shop
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_buyer_has_their_own_limits() {
    let shop = shop_with_owner("127.0.0.1/32").await;
    // Every request comes through the proxy (127.0.0.1), which says who the client is.
    let proxy = shop.visitor();
    for _ in 0..5 {
        assert_eq!(
            login_from(&proxy, "198.51.100.1", "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&proxy, "198.51.100.1", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A hop the client prepended itself does not make it someone else.
    assert_eq!(
        login_from(&proxy, "203.0.113.99, 198.51.100.1", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner, another client behind the same proxy, is not locked out.
    assert_eq!(
        login_from(&shop.visitor(), "198.51.100.2", "the right password").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let shop = shop_with_owner("").await;
    let attacker = shop.visitor_at("127.0.0.8");
    for i in 0..5 {
        // A fresh address each time would dodge the limit if the header were believed.
        let status = login_from(&attacker, &format!("192.0.2.{i}"), "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&attacker, "192.0.2.200", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let trusted_elsewhere = shop_with_owner("10.0.0.0/8").await;
    let attacker = trusted_elsewhere.visitor_at("127.0.0.8");
    for i in 0..5 {
        login_from(&attacker, &format!("192.0.2.{i}"), "wrong").await;
    }
    assert_eq!(
        login_from(&attacker, "192.0.2.200", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS,
        "only the listed proxies are believed"
    );
}

async fn post_with(shop: &Shop, origin: Option<&str>, host: Option<&str>) -> StatusCode {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let mut request = client
        .post(shop.url("/api/add_to_cart"))
        .header("accept", "application/json")
        .form(&[("slug", "bike-lock"), ("quantity", "1")]);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn the_csrf_check_compares_scheme_host_and_port_with_the_site_url() {
    let shop = Shop::start().await;
    let own = shop.url("");
    assert_eq!(post_with(&shop, Some(&own), None).await, StatusCode::OK);
    let https = own.replacen("http://", "https://", 1);
    assert_eq!(
        post_with(&shop, Some(&https), None).await,
        StatusCode::FORBIDDEN,
        "https:// is another origin than this http site"
    );
    let other_port = format!("http://127.0.0.1:{}", shop.server.addr.port() + 1);
    assert_eq!(
        post_with(&shop, Some(&other_port), None).await,
        StatusCode::FORBIDDEN
    );
    // Origin and a rewritten Host agreeing is not enough.
    assert_eq!(
        post_with(&shop, Some("http://evil.example"), Some("evil.example")).await,
        StatusCode::FORBIDDEN
    );

    // Behind a proxy: the site's public origin passes whatever Host the app server sees.
    let proxied = Shop::start_with(|config| {
        config.site_url = Some("https://shop.example".into());
    })
    .await;
    assert_eq!(
        post_with(
            &proxied,
            Some("https://shop.example"),
            Some("10.0.0.5:3000")
        )
        .await,
        StatusCode::OK
    );
    let inner = proxied.url("");
    assert_eq!(
        post_with(&proxied, Some(&inner), None).await,
        StatusCode::FORBIDDEN,
        "the app server's own address is not the site"
    );
}
