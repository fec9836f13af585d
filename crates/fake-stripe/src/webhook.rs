//! Webhook signing and delivery records: the `Stripe-Signature` scheme (HMAC-SHA256 over
//! `"<t>.<payload>"`, header `t=<unix>,v1=<hex>`) and what the fake remembers of every delivery.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Computes the `Stripe-Signature` header value Stripe would send for `payload` at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, payload: &str) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, payload))
}

fn sign(secret: &str, timestamp: i64, payload: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// How a delivery is signed; everything but `Valid` must be refused by a correct endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "signature")]
pub enum Signing {
    /// Signed now with the webhook secret.
    Valid,
    /// Signed correctly but with a timestamp `age_secs` in the past (Stripe's tolerance is 300 s).
    Stale {
        /// How old the timestamp is, in seconds.
        age_secs: i64,
    },
    /// Signed now with a secret that is not the webhook secret.
    Forged,
    /// No `Stripe-Signature` header at all.
    Missing,
    /// This exact header value.
    Header {
        /// The header value to send.
        header: String,
    },
}

impl Signing {
    /// The header to send (if any) for `payload` at `now`.
    pub(crate) fn header(&self, secret: &str, now: i64, payload: &str) -> Option<String> {
        match self {
            Self::Valid => Some(signature_header(secret, now, payload)),
            Self::Stale { age_secs } => Some(signature_header(secret, now - age_secs, payload)),
            Self::Forged => Some(signature_header(&format!("{secret}_forged"), now, payload)),
            Self::Missing => None,
            Self::Header { header } => Some(header.clone()),
        }
    }
}

/// Why a payload was sent to the webhook endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// Sent as the event happened.
    Live,
    /// Sent when held events were released.
    Released,
    /// The same event sent again (same id), as Stripe does on retries.
    Redelivery,
    /// Signed with a timestamp older than the tolerance.
    Stale,
    /// Signed with the wrong secret.
    Forged,
    /// A payload supplied by the test.
    Raw,
}

/// One attempt to POST a payload to the webhook endpoint, and how the endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Position in the delivery log, from 1.
    pub seq: u64,
    /// The event sent, if the payload was an event the fake created.
    pub event_id: Option<String>,
    /// That event's type, e.g. `checkout.session.completed`.
    pub event_type: Option<String>,
    /// Why it was sent.
    pub kind: DeliveryKind,
    /// Where it was sent; `None` when no webhook URL was configured (nothing was sent).
    pub url: Option<String>,
    /// The `Stripe-Signature` header sent, if any.
    pub signature: Option<String>,
    /// The HTTP status the endpoint answered with; `None` if it did not answer.
    pub status: Option<u16>,
    /// Why there is no status (no URL, connection refused, timeout).
    pub error: Option<String>,
    /// The start of the endpoint's response body, for debugging a refusal.
    pub response_body: String,
    /// Unix time the delivery was attempted.
    pub sent_at: i64,
}

impl Delivery {
    /// Whether the endpoint answered with a 2xx status.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_stripes_documented_scheme() {
        // HMAC-SHA256(key="whsec_test", msg="1700000000.{}"), computed independently with openssl.
        let header = signature_header("whsec_test", 1_700_000_000, "{}");
        assert_eq!(
            header,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
