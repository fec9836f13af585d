//! Stripe's idempotency keys: the first `POST` with an `Idempotency-Key` is executed and its
//! answer (status and body) stored against the key; a later request with the same key and the
//! same method, path and parameters gets that answer again and executes nothing, and one with
//! other parameters is refused with an `idempotency_error`.
//!
//! As at Stripe, a key is claimed while its first request runs (a concurrent duplicate gets 409
//! `idempotency_key_in_use` instead of a second execution), and nothing is stored when the
//! endpoint never began executing (parameter validation failed), so such a request can be
//! retried with the same key.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::Value;

use crate::api::ApiError;

/// Stripe refuses longer keys.
pub(crate) const MAX_KEY_LEN: usize = 255;

/// What identifies "the same request" for a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fingerprint {
    pub method: String,
    pub path: String,
    /// The parsed form parameters (so parameter order does not matter), or the raw body as a
    /// string when it is not a form.
    pub params: Value,
}

/// The first answer given for a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredResponse {
    pub status: StatusCode,
    pub body: Bytes,
    /// The `request-id` of the request that executed, sent back as `original-request`.
    pub request_id: String,
}

#[derive(Debug)]
enum Entry {
    InFlight(Fingerprint),
    Done(Fingerprint, StoredResponse),
}

impl Entry {
    fn fingerprint(&self) -> &Fingerprint {
        match self {
            Self::InFlight(f) | Self::Done(f, _) => f,
        }
    }
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub(crate) enum Claim {
    /// First use: execute, then [`Keys::complete`] or [`Keys::release`].
    Fresh,
    /// Seen before with the same request: answer this and execute nothing.
    Replay(StoredResponse),
    /// Refused (other parameters or endpoint, key in use, key too long).
    Refused(ApiError),
}

/// Every key seen since start or reset. Stripe forgets keys after 24 hours; a test fake does
/// not live that long.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    entries: HashMap<String, Entry>,
}

impl Keys {
    pub(crate) fn claim(&mut self, key: &str, request: Fingerprint) -> Claim {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Claim::Refused(ApiError::invalid(
                format!(
                    "Invalid idempotency key: keys must be 1 to {MAX_KEY_LEN} characters long."
                ),
                None,
            ));
        }
        let Some(entry) = self.entries.get(key) else {
            self.entries
                .insert(key.to_owned(), Entry::InFlight(request));
            return Claim::Fresh;
        };
        let first = entry.fingerprint();
        if first.method != request.method || first.path != request.path {
            return Claim::Refused(ApiError::idempotency(format!(
                "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{} {}' vs '{} {}'). Try using a key other than '{key}' if you meant to execute a different request.",
                first.method, first.path, request.method, request.path
            )));
        }
        if first.params != request.params {
            return Claim::Refused(ApiError::idempotency(format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
            )));
        }
        match entry {
            Entry::Done(_, response) => Claim::Replay(response.clone()),
            Entry::InFlight(_) => Claim::Refused(ApiError {
                status: StatusCode::CONFLICT,
                ..ApiError::coded_without_param(
                    "idempotency_key_in_use",
                    format!(
                        "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."
                    ),
                )
            }),
        }
    }

    /// Stores the answer of a request that executed.
    pub(crate) fn complete(&mut self, key: &str, response: StoredResponse) {
        if let Some(entry) = self.entries.remove(key) {
            let fingerprint = match entry {
                Entry::InFlight(f) | Entry::Done(f, _) => f,
            };
            self.entries
                .insert(key.to_owned(), Entry::Done(fingerprint, response));
        }
    }

    /// Forgets a claim whose request never executed, so the key can be used again.
    pub(crate) fn release(&mut self, key: &str) {
        if matches!(self.entries.get(key), Some(Entry::InFlight(_))) {
            self.entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(amount: &str) -> Fingerprint {
        Fingerprint {
            method: "POST".into(),
            path: "/v1/checkout/sessions".into(),
            params: json!({"amount": amount}),
        }
    }

    fn answer() -> StoredResponse {
        StoredResponse {
            status: StatusCode::OK,
            body: Bytes::from_static(b"{\"id\":\"cs_test_1\"}"),
            request_id: "req_1".into(),
        }
    }

    #[test]
    fn same_request_after_completion_is_replayed() {
        let mut keys = Keys::default();
        assert!(matches!(keys.claim("k", create("1")), Claim::Fresh));
        keys.complete("k", answer());

        match keys.claim("k", create("1")) {
            Claim::Replay(stored) => assert_eq!(stored, answer()),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn other_parameters_are_an_idempotency_error() {
        let mut keys = Keys::default();
        keys.claim("k", create("1"));
        keys.complete("k", answer());

        let Claim::Refused(error) = keys.claim("k", create("2")) else {
            panic!("expected a refusal");
        };
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.error_type, "idempotency_error");
        assert!(error.message.contains("same parameters"));
    }

    #[test]
    fn another_endpoint_is_an_idempotency_error() {
        let mut keys = Keys::default();
        keys.claim("k", create("1"));
        let mut expire = create("1");
        expire.path = "/v1/checkout/sessions/cs_1/expire".into();

        let Claim::Refused(error) = keys.claim("k", expire) else {
            panic!("expected a refusal");
        };
        assert_eq!(error.error_type, "idempotency_error");
        assert!(error.message.contains("same endpoint"));
    }

    #[test]
    fn a_duplicate_while_the_first_runs_is_key_in_use() {
        let mut keys = Keys::default();
        keys.claim("k", create("1"));

        let Claim::Refused(error) = keys.claim("k", create("1")) else {
            panic!("expected a refusal");
        };
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert_eq!(error.code, Some("idempotency_key_in_use"));
    }

    #[test]
    fn a_released_claim_can_be_made_again() {
        let mut keys = Keys::default();
        keys.claim("k", create("1"));
        keys.release("k");

        assert!(matches!(keys.claim("k", create("2")), Claim::Fresh));
    }

    #[test]
    fn overlong_keys_are_refused() {
        let mut keys = Keys::default();
        let key = "k".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(keys.claim(&key, create("1")), Claim::Refused(_)));
        assert!(matches!(
            keys.claim(&"k".repeat(MAX_KEY_LEN), create("1")),
            Claim::Fresh
        ));
    }
}
