//! Exactly-once under faults, against the real async-stripe 0.41 client: idempotency keys
//! replay the first answer, conflicting reuse is an `idempotency_error`, injected 5xx failures
//! are retried by async-stripe's strategies without creating twice, and a slow answer holds up
//! only its own request.

mod common;

use std::time::Duration;

use common::{checkout_params, client, http, start, within};
use fake_stripe::{Failure, FaultKind, Route, Running};
use serde_json::{Value, json};
use stripe::{CheckoutSession, ErrorType, ListCheckoutSessions, RequestStrategy, StripeError};

const CREATE: &str = "/v1/checkout/sessions";

fn keyed(fake: &Running, key: &str) -> stripe::Client {
    client(fake).with_strategy(RequestStrategy::Idempotent(key.to_owned()))
}

async fn create(client: &stripe::Client) -> Result<CheckoutSession, StripeError> {
    within(CheckoutSession::create(
        client,
        checkout_params("http://shop.test/ok", "http://shop.test/cancel"),
    ))
    .await
}

fn stripe_error(result: Result<CheckoutSession, StripeError>) -> stripe::RequestError {
    match result {
        Err(StripeError::Stripe(e)) => e,
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

/// A form body as the shop would send it, posted with `key`.
async fn post_form(fake: &Running, path: &str, key: &str, body: &str) -> reqwest::Response {
    within(
        http()
            .post(format!("{}{path}", fake.base_url()))
            .bearer_auth(fake.secret_key())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("idempotency-key", key)
            .body(body.to_owned())
            .send(),
    )
    .await
    .unwrap()
}

const FORM: &str = "mode=payment&success_url=http://shop.test/ok\
&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=1250\
&line_items[0][price_data][product_data][name]=Desk&line_items[0][quantity]=1";

#[tokio::test]
async fn idempotent_strategy_twice_with_one_key_creates_one_session() {
    let fake = start().await;
    let client = keyed(&fake, "order-K7QX2-attempt-1");

    let first = create(&client).await.expect("first create");
    let second = create(&client).await.expect("second create");

    assert_eq!(first.id, second.id);
    assert_eq!(first.expires_at, second.expires_at);
    assert_eq!(fake.sessions().len(), 1);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].idempotency_key(), Some("order-K7QX2-attempt-1"));
    assert_eq!(requests[1].idempotency_key(), Some("order-K7QX2-attempt-1"));
    assert!(!requests[0].replayed);
    assert!(requests[1].replayed);
    assert_eq!(requests[1].status, 200);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_replay_has_the_first_status_and_body_and_is_marked_as_stripe_marks_it() {
    let fake = start().await;

    let first = post_form(&fake, CREATE, "k-1", FORM).await;
    let first_id = first.headers()["request-id"].to_str().unwrap().to_owned();
    let first_status = first.status();
    let first_body = within(first.bytes()).await.unwrap();
    // Parameter order does not make it another request.
    let reordered = FORM.split('&').rev().collect::<Vec<_>>().join("&");
    let again = post_form(&fake, CREATE, "k-1", &reordered).await;

    assert_eq!(again.status(), first_status);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["original-request"], first_id.as_str());
    assert_eq!(again.headers()["idempotency-key"], "k-1");
    assert_ne!(again.headers()["request-id"], first_id.as_str());
    assert_eq!(within(again.bytes()).await.unwrap(), first_body);
    assert_eq!(fake.sessions().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn one_key_with_other_parameters_is_an_idempotency_error() {
    let fake = start().await;
    let client = keyed(&fake, "order-K7QX2-attempt-1");
    create(&client).await.expect("first create");
    let mut other = checkout_params("http://shop.test/ok", "http://shop.test/cancel");
    other.client_reference_id = Some("order_OTHER");

    let error = stripe_error(within(CheckoutSession::create(&client, other)).await);

    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::IdempotencyError);
    assert_eq!(error.code, None);
    let message = error.message.unwrap();
    assert!(message.contains("same parameters"), "{message}");
    assert!(message.contains("order-K7QX2-attempt-1"), "{message}");
    assert_eq!(fake.sessions().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn one_key_on_another_endpoint_is_an_idempotency_error() {
    let fake = start().await;
    let session = create(&keyed(&fake, "k-1")).await.unwrap();

    let error =
        stripe_error(within(CheckoutSession::expire(&keyed(&fake, "k-1"), &session.id)).await);

    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::IdempotencyError);
    assert!(error.message.unwrap().contains("same endpoint"));
    assert_eq!(fake.session(session.id.as_str()).unwrap()["status"], "open");
    fake.shutdown().await;
}

#[tokio::test]
async fn a_request_that_failed_validation_stores_nothing_against_its_key() {
    let fake = start().await;
    let invalid = FORM.replace("&line_items[0][quantity]=1", "");

    let refused = post_form(&fake, CREATE, "k-1", &invalid).await;
    let fixed = post_form(&fake, CREATE, "k-1", FORM).await;

    assert_eq!(refused.status(), 400);
    assert_eq!(fixed.status(), 200);
    assert!(fixed.headers().get("idempotent-replayed").is_none());
    assert_eq!(fake.sessions().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn expiring_twice_with_one_key_expires_once_and_sends_one_event() {
    let fake = start().await;
    let session = create(&client(&fake)).await.unwrap();
    let client = keyed(&fake, "expire-K7QX2");

    let first = within(CheckoutSession::expire(&client, &session.id))
        .await
        .expect("expire");
    // Without the key this would be a 400 (the session is no longer open).
    let second = within(CheckoutSession::expire(&client, &session.id))
        .await
        .expect("replayed expire");

    assert_eq!(first.id, second.id);
    assert!(fake.requests()[2].replayed);
    fake.wait_for_deliveries(1, common::STEP).await.unwrap();
    assert_eq!(fake.events().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn an_injected_failure_is_a_stripe_api_error_and_creates_nothing() {
    let fake = start().await;
    fake.fail_next(Route::post(CREATE), 1, Failure::new(503))
        .unwrap();

    let error = stripe_error(create(&client(&fake)).await);

    assert_eq!(error.http_status, 503);
    assert_eq!(error.error_type, ErrorType::Api);
    assert!(fake.sessions().is_empty());
    let recorded = &fake.requests()[0];
    assert!(recorded.injected_failure);
    assert_eq!(recorded.status, 503);
    assert!(
        fake.faults().is_empty(),
        "a fault for one request is used up"
    );
    create(&client(&fake))
        .await
        .expect("the next request goes through");
    assert_eq!(fake.sessions().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_retry_with_the_same_key_after_an_injected_failure_creates_for_real() {
    let fake = start().await;
    fake.fail_next(Route::post(CREATE), 1, Failure::new(500))
        .unwrap();
    let client = keyed(&fake, "order-K7QX2-attempt-1");

    let failed = create(&client).await;
    let retried = create(&client).await.expect("retry creates");

    assert_eq!(stripe_error(failed).http_status, 500);
    assert_eq!(fake.sessions().len(), 1);
    assert_eq!(fake.sessions()[0]["id"], retried.id.as_str());
    assert!(!fake.requests()[1].replayed);
    fake.shutdown().await;
}

#[tokio::test]
async fn retry_strategy_survives_one_injected_500_and_creates_one_session() {
    let fake = start().await;
    fake.fail_next(Route::post(CREATE), 1, Failure::new(500))
        .unwrap();
    let client = client(&fake).with_strategy(RequestStrategy::Retry(2));

    let session = create(&client).await.expect("the retry succeeds");

    let sessions = fake.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], session.id.as_str());
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].injected_failure);
    assert_eq!(requests[1].status, 200);
    // async-stripe generates this key only with its `uuid` feature; without one, a 500 that
    // came after Stripe had executed would make the retry create a second session.
    let key = requests[0]
        .idempotency_key()
        .expect("Retry sends an idempotency key");
    assert_eq!(requests[1].idempotency_key(), Some(key));
    fake.shutdown().await;
}

#[tokio::test]
async fn stripe_should_retry_false_stops_async_stripe_retrying() {
    let fake = start().await;
    fake.fail_next(
        Route::post(CREATE),
        1,
        Failure::new(500).should_retry(false),
    )
    .unwrap();
    let client = client(&fake).with_strategy(RequestStrategy::Retry(3));

    let error = stripe_error(create(&client).await);

    assert_eq!(error.http_status, 500);
    assert_eq!(fake.requests().len(), 1);
    assert!(fake.sessions().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn a_slow_answer_holds_up_only_its_own_request() {
    let fake = start().await;
    fake.delay(Route::post(CREATE), Duration::from_secs(3))
        .unwrap();
    let slow = tokio::spawn({
        let client = client(&fake);
        async move { create(&client).await }
    });

    // The session exists before the answer arrives: the work is done, only the answer is late.
    within(async {
        while fake.sessions().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let health = within(
        http()
            .get(format!("{}/_test/health", fake.base_url()))
            .send(),
    )
    .await
    .unwrap();
    let listed = within(CheckoutSession::list(
        &client(&fake),
        &ListCheckoutSessions::new(),
    ))
    .await
    .expect("other API requests are answered");

    assert_eq!(health.status(), 200);
    assert_eq!(listed.data.len(), 1);
    assert!(!slow.is_finished(), "the slow answer is still being held");
    let session = within(slow)
        .await
        .unwrap()
        .expect("the slow answer arrives");
    assert_eq!(session.id, listed.data[0].id);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_client_that_gave_up_on_a_slow_answer_gets_the_same_session_by_retrying_its_key() {
    let fake = start().await;
    fake.delay_next(Route::post(CREATE), 1, Duration::from_secs(2))
        .unwrap();
    let client = keyed(&fake, "order-K7QX2-attempt-1");

    let gave_up = tokio::time::timeout(
        Duration::from_millis(300),
        CheckoutSession::create(
            &client,
            checkout_params("http://shop.test/ok", "http://shop.test/cancel"),
        ),
    )
    .await;
    let retried = create(&client).await.expect("retry answers at once");

    assert!(gave_up.is_err(), "the first answer was held back");
    assert_eq!(fake.sessions().len(), 1);
    assert_eq!(fake.sessions()[0]["id"], retried.id.as_str());
    assert!(fake.requests()[1].replayed);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_fake_that_was_shut_down_is_unreachable_to_async_stripe() {
    let fake = start().await;
    let client = client(&fake).with_strategy(RequestStrategy::Retry(2));
    fake.shutdown().await;

    let result = create(&client).await;

    assert!(
        matches!(result, Err(StripeError::ClientError(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn fault_controls_work_over_http() {
    let fake = start().await;
    let http = http();
    let base = fake.base_url().to_owned();
    let post = |path: &str, body: Value| {
        let request = http.post(format!("{base}{path}")).json(&body).send();
        async move {
            let response = within(request).await.unwrap();
            let status = response.status().as_u16();
            (status, within(response.json::<Value>()).await.unwrap())
        }
    };

    let (status, faults) = post(
        "/_test/faults/fail",
        json!({"method": "post", "path": CREATE, "status": 502, "should_retry": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(faults[0]["kind"], "fail");
    assert_eq!(faults[0]["remaining"], 1);
    let (status, _) = post(
        "/_test/faults/delay",
        json!({"path": "/v1/checkout/sessions/*", "ms": 10}),
    )
    .await;
    assert_eq!(status, 200);

    let failed = post_form(&fake, CREATE, "k-1", FORM).await;
    assert_eq!(failed.status(), 502);
    assert_eq!(failed.headers()["stripe-should-retry"], "true");
    let body: Value = within(failed.json()).await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");

    let listed: Value = within(
        within(http.get(format!("{base}/_test/faults")).send())
            .await
            .unwrap()
            .json(),
    )
    .await
    .unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the failure is used up"
    );
    assert_eq!(listed[0]["kind"], "delay");
    assert_eq!(listed[0]["ms"], 10);
    assert_eq!(listed[0]["remaining"], Value::Null);
    assert_eq!(
        fake.faults()[0].kind,
        FaultKind::Delay { ms: 10 },
        "the Rust view agrees"
    );

    let cleared = within(http.delete(format!("{base}/_test/faults")).send())
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(fake.faults().is_empty());

    let (status, error) = post("/_test/faults/fail", json!({"path": CREATE, "status": 404})).await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("5xx"));
    let (status, _) = post("/_test/faults/delay", json!({"path": CREATE})).await;
    assert_eq!(status, 400, "ms is required");
    fake.shutdown().await;
}
