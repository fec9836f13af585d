//! Checkout Sessions: validating the create parameters the way Stripe does (for the subset the
//! fake supports) and rendering sessions, line items and events as the JSON Stripe returns.
//!
//! The JSON carries every field async-stripe 0.41 requires when deserialising `CheckoutSession`
//! and `Event` (e.g. `automatic_tax`, `custom_fields`, `custom_text`, `payment_method_types`,
//! `shipping_options`), or the shop's client would fail on a response real Stripe would accept.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::api::ApiError;

/// Lifecycle of a session, as Stripe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStatus {
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Complete => "complete",
            Self::Expired => "expired",
        }
    }
}

/// One line item as the shop described it through `price_data`.
#[derive(Debug, Clone)]
pub(crate) struct LineItem {
    pub id: String,
    pub price_id: String,
    pub product_id: String,
    pub name: String,
    pub description: Option<String>,
    pub currency: String,
    pub unit_amount: i64,
    pub quantity: i64,
}

impl LineItem {
    pub(crate) fn amount(&self) -> i64 {
        self.unit_amount * self.quantity
    }
}

/// A Checkout Session held by the fake.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub id: String,
    pub created: i64,
    pub expires_at: i64,
    pub status: SessionStatus,
    pub paid: bool,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub payment_method_types: Vec<String>,
    pub payment_intent: Option<String>,
    pub url: String,
}

impl Session {
    pub(crate) fn amount_total(&self) -> i64 {
        self.line_items.iter().map(LineItem::amount).sum()
    }

    /// The session as Stripe's API returns it; `line_items` only when expanded.
    pub(crate) fn to_json(&self, expand_line_items: bool) -> Value {
        let amount = self.amount_total();
        let customer_details = match self.status {
            SessionStatus::Complete => json!({
                "address": null,
                "email": self.customer_email.clone().unwrap_or_else(|| "buyer@example.test".into()),
                "name": "Test Buyer",
                "phone": null,
                "tax_exempt": "none",
                "tax_ids": [],
            }),
            _ => Value::Null,
        };
        let mut value = json!({
            "id": self.id,
            "object": "checkout.session",
            "after_expiration": null,
            "allow_promotion_codes": null,
            "amount_subtotal": amount,
            "amount_total": amount,
            "automatic_tax": {"enabled": false, "liability": null, "status": null},
            "billing_address_collection": null,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "client_secret": null,
            "consent": null,
            "consent_collection": null,
            "created": self.created,
            "currency": self.currency,
            "currency_conversion": null,
            "custom_fields": [],
            "custom_text": {
                "after_submit": null,
                "shipping_address": null,
                "submit": null,
                "terms_of_service_acceptance": null
            },
            "customer": null,
            "customer_creation": "if_required",
            "customer_details": customer_details,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "invoice": null,
            "invoice_creation": null,
            "livemode": false,
            "locale": null,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_link": null,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": null,
            "payment_method_options": {},
            "payment_method_types": self.payment_method_types,
            "payment_status": if self.paid { "paid" } else { "unpaid" },
            "phone_number_collection": {"enabled": false},
            "recovered_from": null,
            "setup_intent": null,
            "shipping_address_collection": null,
            "shipping_cost": null,
            "shipping_details": null,
            "shipping_options": [],
            "status": self.status.as_str(),
            "submit_type": null,
            "subscription": null,
            "success_url": self.success_url,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            // Stripe clears the URL once the session can no longer be paid.
            "url": if self.status == SessionStatus::Open { Value::String(self.url.clone()) } else { Value::Null },
        });
        if expand_line_items && let Value::Object(map) = &mut value {
            map.insert("line_items".into(), self.line_items_json());
        }
        value
    }

    /// The session's line items as a Stripe list (`GET …/line_items`, `expand[]=line_items`).
    pub(crate) fn line_items_json(&self) -> Value {
        let data: Vec<Value> = self
            .line_items
            .iter()
            .map(|item| {
                json!({
                    "id": item.id,
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": item.amount(),
                    "amount_tax": 0,
                    "amount_total": item.amount(),
                    "currency": item.currency,
                    "description": item.name,
                    "price": {
                        "id": item.price_id,
                        "object": "price",
                        "active": false,
                        "billing_scheme": "per_unit",
                        "created": self.created,
                        "currency": item.currency,
                        "livemode": false,
                        "lookup_key": null,
                        "metadata": {},
                        "nickname": null,
                        "product": item.product_id,
                        "recurring": null,
                        "tax_behavior": "unspecified",
                        "tiers_mode": null,
                        "transform_quantity": null,
                        "type": "one_time",
                        "unit_amount": item.unit_amount,
                        "unit_amount_decimal": item.unit_amount.to_string(),
                    },
                    "quantity": item.quantity,
                })
            })
            .collect();
        json!({
            "object": "list",
            "data": data,
            "has_more": false,
            "url": format!("/v1/checkout/sessions/{}/line_items", self.id),
        })
    }
}

/// Builds the JSON of an event about a session, as Stripe sends it to webhook endpoints.
pub(crate) fn event_json(id: &str, event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2023-10-16",
        "created": created,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

/// Top-level create parameters that Stripe knows and the fake accepts but does not act on.
const ACCEPTED_IGNORED: &[&str] = &[
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "consent_collection",
    "custom_fields",
    "custom_text",
    "customer_creation",
    "expand",
    "invoice_creation",
    "locale",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_options",
    "phone_number_collection",
    "shipping_address_collection",
    "submit_type",
    "tax_id_collection",
];

/// Top-level create parameters that Stripe knows but the fake cannot honour: refused loudly so a
/// test never passes against behaviour the fake silently skipped.
const UNSUPPORTED: &[&str] = &[
    "customer",
    "customer_update",
    "discounts",
    "redirect_on_completion",
    "return_url",
    "setup_intent_data",
    "shipping_options",
    "subscription_data",
];

const HANDLED: &[&str] = &[
    "cancel_url",
    "client_reference_id",
    "currency",
    "customer_email",
    "expires_at",
    "line_items",
    "metadata",
    "mode",
    "payment_method_types",
    "success_url",
    "ui_mode",
];

/// Fresh ids for a new session's parts.
pub(crate) trait IdSource {
    fn id(&mut self, prefix: &str) -> String;
}

/// Validates `POST /v1/checkout/sessions` parameters and builds the session.
pub(crate) fn create_session(
    params: &Value,
    now: i64,
    base_url: &str,
    ids: &mut dyn IdSource,
) -> Result<Session, ApiError> {
    let Value::Object(params) = params else {
        return Err(ApiError::invalid("Invalid request body.", None));
    };
    for key in params.keys() {
        let key = key.as_str();
        if UNSUPPORTED.contains(&key) {
            return Err(ApiError::invalid(
                format!("fake-stripe does not support the parameter `{key}`."),
                Some(key),
            ));
        }
        if !HANDLED.contains(&key) && !ACCEPTED_IGNORED.contains(&key) {
            return Err(ApiError::unknown_parameter(key));
        }
    }

    match string(params, "mode", "mode")? {
        None => return Err(ApiError::missing("mode")),
        Some("payment") => {}
        Some("setup" | "subscription") => {
            return Err(ApiError::invalid(
                "fake-stripe supports only `mode=payment`.",
                Some("mode"),
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid(
                format!(
                    "Invalid mode: must be one of payment, setup, or subscription (got `{other}`)."
                ),
                Some("mode"),
            ));
        }
    }
    if let Some(ui) = string(params, "ui_mode", "ui_mode")?
        && ui != "hosted"
    {
        return Err(ApiError::invalid(
            "fake-stripe supports only `ui_mode=hosted`.",
            Some("ui_mode"),
        ));
    }

    let success_url = string(params, "success_url", "success_url")?
        .ok_or_else(|| ApiError::missing("success_url"))?;
    check_url(success_url, "success_url")?;
    let cancel_url = string(params, "cancel_url", "cancel_url")?;
    if let Some(url) = cancel_url {
        check_url(url, "cancel_url")?;
    }

    let client_reference_id = string(params, "client_reference_id", "client_reference_id")?;
    if let Some(reference) = client_reference_id
        && (reference.is_empty() || reference.chars().count() > 200)
    {
        return Err(ApiError::invalid(
            "`client_reference_id` must be 1 to 200 characters.",
            Some("client_reference_id"),
        ));
    }

    let customer_email = string(params, "customer_email", "customer_email")?;
    if let Some(email) = customer_email
        && !looks_like_email(email)
    {
        return Err(ApiError::coded(
            "email_invalid",
            format!("Invalid email address: {email}"),
            "customer_email",
        ));
    }

    let expires_at = match params.get("expires_at") {
        None => now + 24 * 3600,
        Some(value) => {
            let at = integer(value, "expires_at")?;
            // Stripe's window is 30 minutes to 24 hours; a minute of slack for clock and
            // request latency, so a shop asking for exactly 30 minutes is not refused.
            if at < now + 30 * 60 - 60 {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                    Some("expires_at"),
                ));
            }
            if at > now + 24 * 3600 + 60 {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                    Some("expires_at"),
                ));
            }
            at
        }
    };

    let metadata = metadata(params.get("metadata"))?;

    let payment_method_types = match params.get("payment_method_types") {
        None => vec!["card".to_owned()],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(ApiError::invalid(
                    "Invalid payment method type.",
                    Some(&format!("payment_method_types[{i}]")),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid(
                "Invalid array.",
                Some("payment_method_types"),
            ));
        }
    };

    let line_items = line_items(params.get("line_items"), ids)?;
    let currency = line_items[0].currency.clone();
    if let Some(top) = string(params, "currency", "currency")?
        && !top.eq_ignore_ascii_case(&currency)
    {
        return Err(ApiError::invalid(
            "`currency` must match the currency of the line items.",
            Some("currency"),
        ));
    }
    let total: i64 = line_items.iter().map(LineItem::amount).sum();
    if total > 99_999_999 {
        return Err(ApiError::coded(
            "amount_too_large",
            "The total amount must be no more than 99,999,999 in minor units.",
            "line_items",
        ));
    }

    let id = ids.id("cs_test_");
    Ok(Session {
        url: format!("{base_url}/pay/{id}"),
        id,
        created: now,
        expires_at,
        status: SessionStatus::Open,
        paid: false,
        currency,
        line_items,
        success_url: success_url.to_owned(),
        cancel_url: cancel_url.map(str::to_owned),
        client_reference_id: client_reference_id.map(str::to_owned),
        customer_email: customer_email.map(str::to_owned),
        metadata,
        payment_method_types,
        payment_intent: None,
    })
}

fn line_items(value: Option<&Value>, ids: &mut dyn IdSource) -> Result<Vec<LineItem>, ApiError> {
    let items = match value {
        None => return Err(ApiError::missing("line_items")),
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) => {
            return Err(ApiError::invalid(
                "`line_items` must be a non-empty array.",
                Some("line_items"),
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("line_items[{i}]");
        let Value::Object(item) = item else {
            return Err(ApiError::invalid("Invalid line item.", Some(&at)));
        };
        for key in item.keys() {
            match key.as_str() {
                "price_data"
                | "quantity"
                | "adjustable_quantity"
                | "tax_rates"
                | "dynamic_tax_rates" => {}
                "price" => {
                    let price = item.get("price").and_then(Value::as_str).unwrap_or("");
                    return Err(ApiError::resource_missing(
                        format!("No such price: '{price}'"),
                        &format!("{at}[price]"),
                    ));
                }
                other => return Err(ApiError::unknown_parameter(&format!("{at}[{other}]"))),
            }
        }
        let quantity = match item.get("quantity") {
            None => return Err(ApiError::missing(&format!("{at}[quantity]"))),
            Some(v) => integer(v, &format!("{at}[quantity]"))?,
        };
        if !(1..=999_999).contains(&quantity) {
            return Err(ApiError::invalid(
                "Quantity must be between 1 and 999999.",
                Some(&format!("{at}[quantity]")),
            ));
        }
        let Some(Value::Object(price_data)) = item.get("price_data") else {
            return Err(ApiError::invalid(
                "You must specify either `price` or `price_data` for each line item.",
                Some(&at),
            ));
        };
        let pd = format!("{at}[price_data]");
        for key in price_data.keys() {
            match key.as_str() {
                "currency"
                | "product_data"
                | "unit_amount"
                | "unit_amount_decimal"
                | "tax_behavior" => {}
                "product" => {
                    return Err(ApiError::invalid(
                        "fake-stripe does not support `product`; use `product_data`.",
                        Some(&format!("{pd}[product]")),
                    ));
                }
                "recurring" => {
                    return Err(ApiError::invalid(
                        "You must be in `subscription` mode to use recurring prices.",
                        Some(&format!("{pd}[recurring]")),
                    ));
                }
                other => return Err(ApiError::unknown_parameter(&format!("{pd}[{other}]"))),
            }
        }
        let currency = string(price_data, "currency", &format!("{pd}[currency]"))?
            .ok_or_else(|| ApiError::missing(&format!("{pd}[currency]")))?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::invalid(
                format!("Invalid currency: {currency}."),
                Some(&format!("{pd}[currency]")),
            ));
        }
        let currency = currency.to_ascii_lowercase();
        if let Some(first) = out.first().map(|f: &LineItem| f.currency.clone())
            && first != currency
        {
            return Err(ApiError::invalid(
                "All line items must use the same currency.",
                Some(&format!("{pd}[currency]")),
            ));
        }
        let unit_amount = match (
            price_data.get("unit_amount"),
            price_data.get("unit_amount_decimal"),
        ) {
            (Some(v), None) => integer(v, &format!("{pd}[unit_amount]"))?,
            (None, Some(v)) => {
                let text = v.as_str().unwrap_or("");
                let whole = text.strip_suffix(".0").unwrap_or(text);
                whole.parse::<i64>().map_err(|_| {
                    ApiError::invalid(
                        "fake-stripe supports only whole-number `unit_amount_decimal`.",
                        Some(&format!("{pd}[unit_amount_decimal]")),
                    )
                })?
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
                    Some(&format!("{pd}[unit_amount]")),
                ));
            }
            (None, None) => return Err(ApiError::missing(&format!("{pd}[unit_amount]"))),
        };
        if !(0..=99_999_999).contains(&unit_amount) {
            return Err(ApiError::invalid(
                "`unit_amount` must be between 0 and 99999999.",
                Some(&format!("{pd}[unit_amount]")),
            ));
        }
        let Some(Value::Object(product)) = price_data.get("product_data") else {
            return Err(ApiError::missing(&format!("{pd}[product_data]")));
        };
        let pdata = format!("{pd}[product_data]");
        for key in product.keys() {
            match key.as_str() {
                "name" | "description" | "images" | "metadata" | "tax_code" => {}
                other => return Err(ApiError::unknown_parameter(&format!("{pdata}[{other}]"))),
            }
        }
        let name = string(product, "name", &format!("{pdata}[name]"))?
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiError::missing(&format!("{pdata}[name]")))?;
        let description = string(product, "description", &format!("{pdata}[description]"))?;
        out.push(LineItem {
            id: ids.id("li_"),
            price_id: ids.id("price_"),
            product_id: ids.id("prod_"),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            currency,
            unit_amount,
            quantity,
        });
    }
    Ok(out)
}

fn metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let map = match value {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        // `metadata=` (empty) clears metadata in Stripe.
        Some(Value::String(s)) if s.is_empty() => return Ok(BTreeMap::new()),
        Some(_) => return Err(ApiError::invalid("Invalid hash.", Some("metadata"))),
    };
    if map.len() > 50 {
        return Err(ApiError::invalid(
            "You can specify up to 50 metadata keys.",
            Some("metadata"),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let param = format!("metadata[{key}]");
        if key.chars().count() > 40 {
            return Err(ApiError::invalid(
                "Metadata keys can be at most 40 characters long.",
                Some(&param),
            ));
        }
        let Value::String(value) = value else {
            return Err(ApiError::invalid(
                "Metadata values must be strings.",
                Some(&param),
            ));
        };
        if value.chars().count() > 500 {
            return Err(ApiError::invalid(
                "Metadata values can be at most 500 characters long.",
                Some(&param),
            ));
        }
        if !value.is_empty() {
            out.insert(key.clone(), value.clone());
        }
    }
    Ok(out)
}

fn string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<&'a str>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(
            format!("Invalid string: `{param}` must be a string."),
            Some(param),
        )),
    }
}

fn integer(value: &Value, param: &str) -> Result<i64, ApiError> {
    value
        .as_str()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::coded(
                "parameter_invalid_integer",
                format!("Invalid integer: {}", value.as_str().unwrap_or("(nested)")),
                param,
            )
        })
}

fn check_url(url: &str, param: &str) -> Result<(), ApiError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 5000
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ApiError::coded("url_invalid", "Not a valid URL", param))
    }
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form;

    struct Counter(u32);
    impl IdSource for Counter {
        fn id(&mut self, prefix: &str) -> String {
            self.0 += 1;
            format!("{prefix}{}", self.0)
        }
    }

    fn create(body: &str) -> Result<Session, ApiError> {
        let params = form::parse(body.as_bytes()).unwrap();
        create_session(&params, 1_000_000, "http://127.0.0.1:1", &mut Counter(0))
    }

    const OK: &str = "mode=payment&success_url=http://shop.test/ok?s={CHECKOUT_SESSION_ID}\
&line_items[0][price_data][currency]=EUR&line_items[0][price_data][unit_amount]=1250\
&line_items[0][price_data][product_data][name]=Desk&line_items[0][quantity]=2\
&line_items[1][price_data][currency]=eur&line_items[1][price_data][unit_amount]=500\
&line_items[1][price_data][product_data][name]=Lamp&line_items[1][quantity]=1";

    #[test]
    fn totals_sum_unit_amount_times_quantity() {
        let session = create(OK).unwrap();
        assert_eq!(session.amount_total(), 3000);
        assert_eq!(session.currency, "eur");
        assert!(session.id.starts_with("cs_test_"));
        assert_eq!(
            session.url,
            format!("http://127.0.0.1:1/pay/{}", session.id)
        );
    }

    #[test]
    fn missing_quantity_names_the_parameter() {
        let body = OK.replace("&line_items[1][quantity]=1", "");
        let err = create(&body).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("line_items[1][quantity]"));
        assert_eq!(err.code, Some("parameter_missing"));
    }

    #[test]
    fn non_integer_amount_is_refused() {
        let body = OK.replace("unit_amount]=500", "unit_amount]=5.5");
        let err = create(&body).unwrap_err();
        assert_eq!(err.code, Some("parameter_invalid_integer"));
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let err = create(&format!("{OK}&colour=red")).unwrap_err();
        assert_eq!(err.code, Some("parameter_unknown"));
    }

    #[test]
    fn mixed_currencies_are_refused() {
        let body = OK.replace(
            "[1][price_data][currency]=eur",
            "[1][price_data][currency]=usd",
        );
        assert!(create(&body).is_err());
    }

    #[test]
    fn expiry_outside_stripes_window_is_refused() {
        assert!(create(&format!("{OK}&expires_at=1000060")).is_err());
        assert!(create(&format!("{OK}&expires_at={}", 1_000_000 + 25 * 3600)).is_err());
        let ok = create(&format!("{OK}&expires_at={}", 1_000_000 + 3600)).unwrap();
        assert_eq!(ok.expires_at, 1_003_600);
    }
}
