//! The `/v1` Checkout Session API against the real async-stripe 0.41 client: every call
//! round-trips, errors arrive as typed Stripe errors, and the fake records what was sent.

mod common;

use common::{checkout_params, client, http, start, within};
use serde_json::{Value, json};
use stripe::{
    CheckoutSession, CheckoutSessionId, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
    Currency, ErrorCode, ErrorType, StripeError,
};

fn stripe_error(result: Result<CheckoutSession, StripeError>) -> stripe::RequestError {
    match result {
        Err(StripeError::Stripe(e)) => e,
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

#[tokio::test]
async fn created_session_round_trips_through_async_stripe() {
    let fake = start().await;
    let client = client(&fake);

    let session = within(CheckoutSession::create(
        &client,
        checkout_params(
            "http://shop.test/checkout/done?session={CHECKOUT_SESSION_ID}",
            "http://shop.test/checkout",
        ),
    ))
    .await
    .expect("create succeeds");

    assert!(session.id.as_str().starts_with("cs_test_"));
    assert_eq!(session.amount_total, Some(64_900 + 2 * 2_450));
    assert_eq!(session.currency, Some(Currency::EUR));
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(session.client_reference_id.as_deref(), Some("order_K7QX2"));
    assert_eq!(session.customer_email.as_deref(), Some("ada@example.test"));
    let metadata = session.metadata.clone().unwrap();
    assert_eq!(metadata["order_number"], "K7QX2");
    assert_eq!(metadata["cart"], "c 1&2=3");
    assert_eq!(
        session.url.as_deref(),
        Some(format!("{}/pay/{}", fake.base_url(), session.id).as_str())
    );
    assert!(!session.livemode);
    assert!(session.expires_at > session.created);

    let again = within(CheckoutSession::retrieve(&client, &session.id, &[]))
        .await
        .expect("retrieve succeeds");
    assert_eq!(again.id, session.id);
    assert_eq!(again.amount_total, session.amount_total);
    assert!(again.line_items.is_none());

    let expanded = within(CheckoutSession::retrieve(
        &client,
        &session.id,
        &["line_items"],
    ))
    .await
    .expect("retrieve with expand succeeds");
    let items = expanded.line_items.expect("line items expanded").data;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].description, "Cable tray");
    assert_eq!(items[1].quantity, Some(2));
    assert_eq!(items[1].amount_total, 4_900);

    // async-stripe sends `expand` as an indexed array in the query string.
    let retrieve = &fake.requests()[2];
    assert_eq!(retrieve.method, "GET");
    assert_eq!(retrieve.query["expand"][0], "line_items");
    fake.shutdown().await;
}

#[tokio::test]
async fn fake_records_the_bracket_encoded_form_async_stripe_sends() {
    let fake = start().await;
    let client = client(&fake);

    within(CheckoutSession::create(
        &client,
        checkout_params("http://shop.test/ok", "http://shop.test/cancel"),
    ))
    .await
    .expect("create succeeds");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/checkout/sessions");
    assert_eq!(sent.status, 200);
    assert!(sent.authorized);
    assert_eq!(sent.headers["authorization"], "(redacted)");
    assert_eq!(sent.headers["stripe-version"], "2023-10-16");
    assert!(
        sent.body
            .contains("line_items[0][price_data][unit_amount]=64900")
    );
    let form = &sent.form;
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["line_items"][0]["price_data"]["currency"], "eur");
    assert_eq!(form["line_items"][0]["price_data"]["unit_amount"], "64900");
    assert_eq!(
        form["line_items"][1]["price_data"]["product_data"]["name"],
        "Cable tray"
    );
    assert_eq!(form["line_items"][1]["quantity"], "2");
    assert_eq!(form["metadata"]["cart"], "c 1&2=3");
    println!("async-stripe sent: {}", sent.body);
    fake.shutdown().await;
}

#[tokio::test]
async fn expire_round_trips_and_only_open_sessions_expire() {
    let fake = start().await;
    let client = client(&fake);
    let session = within(CheckoutSession::create(
        &client,
        checkout_params("http://shop.test/ok", "http://shop.test/cancel"),
    ))
    .await
    .unwrap();

    let expired = within(CheckoutSession::expire(&client, &session.id))
        .await
        .expect("expire succeeds");
    assert_eq!(expired.status, Some(CheckoutSessionStatus::Expired));
    assert_eq!(expired.url, None);

    let error = stripe_error(within(CheckoutSession::expire(&client, &session.id)).await);
    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::InvalidRequest);
    fake.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_key_is_refused_with_a_stripe_shaped_401() {
    let fake = start().await;
    let client = stripe::Client::from_url(fake.base_url(), "sk_test_wrong");

    let error = stripe_error(
        within(CheckoutSession::create(
            &client,
            checkout_params("http://shop.test/ok", "http://shop.test/cancel"),
        ))
        .await,
    );

    assert_eq!(error.http_status, 401);
    assert_eq!(error.error_type, ErrorType::InvalidRequest);
    assert!(error.message.unwrap().contains("Invalid API Key"));
    assert!(fake.sessions().is_empty());
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].authorized);
    assert_eq!(recorded[0].status, 401);
    fake.shutdown().await;
}

#[tokio::test]
async fn missing_authorization_is_refused() {
    let fake = start().await;
    let response = within(
        http()
            .get(format!(
                "{}/v1/checkout/sessions/cs_test_x",
                fake.base_url()
            ))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = within(response.json()).await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_session_is_resource_missing() {
    let fake = start().await;
    let client = client(&fake);
    let id: CheckoutSessionId = "cs_test_doesnotexist".parse().unwrap();

    let error = stripe_error(within(CheckoutSession::retrieve(&client, &id, &[])).await);

    assert_eq!(error.http_status, 404);
    assert_eq!(error.code, Some(ErrorCode::ResourceMissing));
    fake.shutdown().await;
}

#[tokio::test]
async fn missing_success_url_is_an_invalid_request_naming_the_param() {
    let fake = start().await;
    let client = client(&fake);
    let mut params = checkout_params("http://shop.test/ok", "http://shop.test/cancel");
    params.success_url = None;

    let error = stripe_error(within(CheckoutSession::create(&client, params)).await);

    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::InvalidRequest);
    assert_eq!(error.code, Some(ErrorCode::ParameterMissing));
    assert!(error.message.unwrap().contains("success_url"));
    fake.shutdown().await;
}

#[tokio::test]
async fn malformed_form_parameters_get_400_with_the_param_named() {
    let fake = start().await;
    let cases = [
        (
            "mode=payment&success_url=http://s.test/&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][unit_amount]=12.5&line_items[0][price_data][product_data][name]=X\
&line_items[0][quantity]=1",
            "line_items[0][price_data][unit_amount]",
        ),
        (
            "mode=payment&success_url=http://s.test/&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][unit_amount]=100&line_items[0][quantity]=1",
            "line_items[0][price_data][product_data]",
        ),
        ("mode=payment&success_url=http://s.test/", "line_items"),
        (
            "mode=payment&success_url=not a url&line_items[0][price]=price_1",
            "success_url",
        ),
    ];
    for (body, param) in cases {
        let response = within(
            http()
                .post(format!("{}/v1/checkout/sessions", fake.base_url()))
                .bearer_auth(fake.secret_key())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = within(response.json()).await.unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["error"]["param"], json!(param), "{body}");
    }
    assert!(fake.sessions().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_api_url_is_a_stripe_shaped_404() {
    let fake = start().await;
    let response = within(
        http()
            .get(format!("{}/v1/customers", fake.base_url()))
            .bearer_auth(fake.secret_key())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = within(response.json()).await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    fake.shutdown().await;
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    let result = fake_stripe::FakeStripe::start(fake_stripe::Config {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..fake_stripe::Config::default()
    })
    .await;
    assert!(matches!(
        result,
        Err(fake_stripe::StartError::NotLoopback(_))
    ));
}
