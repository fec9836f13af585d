//! Injected faults on the `/v1` API: failing the next requests to a route with a 5xx as Stripe's
//! servers sometimes answer, and answering late as a slow Stripe does. The rules live in the
//! shared state; the API middleware asks [`Faults::take`] what to do with each request.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which requests a fault applies to: one HTTP method (or any) and a path.
///
/// The path is matched exactly, except that a trailing `*` matches any rest
/// (`/v1/checkout/sessions/*` is every request about one session).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route {
    /// Upper-case method, e.g. `POST`; `None` matches every method.
    #[serde(default)]
    pub method: Option<String>,
    /// E.g. `/v1/checkout/sessions`.
    pub path: String,
}

impl Route {
    /// Requests with this method (any case) to this path.
    pub fn new(method: &str, path: impl Into<String>) -> Self {
        Self {
            method: Some(method.to_ascii_uppercase()),
            path: path.into(),
        }
    }

    /// `POST` requests to `path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new("POST", path)
    }

    /// `GET` requests to `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    /// Requests with any method to `path`.
    pub fn any(path: impl Into<String>) -> Self {
        Self {
            method: None,
            path: path.into(),
        }
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_matches = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_matches = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        method_matches && path_matches
    }
}

/// What an injected failure answers instead of executing the request: a 5xx status with a
/// Stripe `api_error` body and, if set, a `Stripe-Should-Retry` header (which async-stripe's
/// retrying strategies obey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// HTTP status, 500–599.
    pub status: u16,
    /// `Stripe-Should-Retry: true|false`; `None` sends no such header.
    #[serde(default)]
    pub should_retry: Option<bool>,
}

impl Failure {
    /// A failure answering `status` (500–599) without a `Stripe-Should-Retry` header.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            should_retry: None,
        }
    }

    /// Also sends `Stripe-Should-Retry: <should_retry>`.
    #[must_use]
    pub fn should_retry(self, should_retry: bool) -> Self {
        Self {
            should_retry: Some(should_retry),
            ..self
        }
    }
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer with this failure; nothing is executed.
    Fail(Failure),
    /// Execute the request at once but hold its answer back this long.
    Delay {
        /// The delay, in milliseconds.
        ms: u64,
    },
}

/// One injected fault, as listed by `GET /_test/faults` and [`crate::Running::faults`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Which requests it applies to.
    pub route: Route,
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many more requests it applies to; `None` for every request until cleared.
    pub remaining: Option<u32>,
}

/// Why a fault could not be injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// Injected failures simulate Stripe's server errors; other statuses have their own
    /// controls or belong to real validation.
    #[error("an injected failure must have a 5xx status, not {0}")]
    NotServerError(u16),
    /// A fault that applies to no request is a mistake in the test.
    #[error("a fault must apply to at least one request (count 0)")]
    ZeroCount,
    /// Paths start with `/`, as in `/v1/checkout/sessions`.
    #[error("a fault's path must start with `/`, not {0:?}")]
    BadPath(String),
}

/// What the API does with one request, as the fault rules say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub failure: Option<Failure>,
    pub delay: Option<Duration>,
}

/// The fault rules, in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Fault>,
}

impl Faults {
    /// Adds a failure for the next `count` matching requests, after earlier failures for them.
    pub(crate) fn fail_next(
        &mut self,
        route: Route,
        count: u32,
        failure: Failure,
    ) -> Result<(), FaultError> {
        check_route(&route)?;
        if !(500..=599).contains(&failure.status) {
            return Err(FaultError::NotServerError(failure.status));
        }
        if count == 0 {
            return Err(FaultError::ZeroCount);
        }
        self.rules.push(Fault {
            route,
            kind: FaultKind::Fail(failure),
            remaining: Some(count),
        });
        Ok(())
    }

    /// Delays answers to matching requests: the next `count`, or (`None`) every one until
    /// cleared. A standing delay replaces an earlier standing delay for the same route, and a
    /// zero standing delay removes it, so a test can turn slowness up, down and off.
    pub(crate) fn delay(
        &mut self,
        route: Route,
        delay: Duration,
        count: Option<u32>,
    ) -> Result<(), FaultError> {
        check_route(&route)?;
        if count == Some(0) {
            return Err(FaultError::ZeroCount);
        }
        if count.is_none() {
            self.rules.retain(|rule| {
                !(rule.route == route
                    && rule.remaining.is_none()
                    && matches!(rule.kind, FaultKind::Delay { .. }))
            });
            if delay.is_zero() {
                return Ok(());
            }
        }
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.rules.push(Fault {
            route,
            kind: FaultKind::Delay { ms },
            remaining: count,
        });
        Ok(())
    }

    /// Decides what happens to one request and counts it against the rules that apply: the
    /// first matching failure and the first matching delay, oldest first.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Plan {
        let mut plan = Plan::default();
        for rule in &mut self.rules {
            if !rule.route.matches(method, path) {
                continue;
            }
            let applies = match rule.kind {
                FaultKind::Fail(failure) if plan.failure.is_none() => {
                    plan.failure = Some(failure);
                    true
                }
                FaultKind::Delay { ms } if plan.delay.is_none() => {
                    plan.delay = Some(Duration::from_millis(ms));
                    true
                }
                _ => false,
            };
            if applies && let Some(remaining) = &mut rule.remaining {
                *remaining = remaining.saturating_sub(1);
            }
        }
        self.rules.retain(|rule| rule.remaining != Some(0));
        plan
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        self.rules.clone()
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }
}

fn check_route(route: &Route) -> Result<(), FaultError> {
    if route.path.starts_with('/') {
        Ok(())
    } else {
        Err(FaultError::BadPath(route.path.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = "/v1/checkout/sessions";

    #[test]
    fn failures_apply_to_the_next_requests_then_stop() {
        let mut faults = Faults::default();
        faults
            .fail_next(Route::post(CREATE), 2, Failure::new(500))
            .unwrap();
        faults
            .fail_next(Route::post(CREATE), 1, Failure::new(503))
            .unwrap();

        let statuses: Vec<Option<u16>> = (0..4)
            .map(|_| faults.take("POST", CREATE).failure.map(|f| f.status))
            .collect();

        assert_eq!(statuses, vec![Some(500), Some(500), Some(503), None]);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn other_methods_and_paths_are_untouched() {
        let mut faults = Faults::default();
        faults
            .fail_next(Route::post(CREATE), 1, Failure::new(500))
            .unwrap();

        assert_eq!(faults.take("GET", CREATE), Plan::default());
        assert_eq!(
            faults.take("POST", "/v1/checkout/sessions/cs_1"),
            Plan::default()
        );
        assert!(faults.take("post", CREATE).failure.is_some());
    }

    #[test]
    fn a_trailing_star_matches_any_rest() {
        let route = Route::any("/v1/checkout/sessions/*");
        assert!(route.matches("GET", "/v1/checkout/sessions/cs_1"));
        assert!(route.matches("POST", "/v1/checkout/sessions/cs_1/expire"));
        assert!(!route.matches("POST", CREATE));
    }

    #[test]
    fn a_standing_delay_is_replaced_and_removed_by_zero() {
        let mut faults = Faults::default();
        let route = Route::post(CREATE);
        faults
            .delay(route.clone(), Duration::from_millis(100), None)
            .unwrap();
        faults
            .delay(route.clone(), Duration::from_millis(300), None)
            .unwrap();
        assert_eq!(
            faults.take("POST", CREATE).delay,
            Some(Duration::from_millis(300))
        );
        assert_eq!(faults.list().len(), 1, "a standing delay is not used up");

        faults.delay(route, Duration::ZERO, None).unwrap();

        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_counted_delay_and_a_failure_can_apply_together() {
        let mut faults = Faults::default();
        faults
            .delay(Route::any(CREATE), Duration::from_millis(50), Some(1))
            .unwrap();
        faults
            .fail_next(Route::post(CREATE), 1, Failure::new(502).should_retry(true))
            .unwrap();

        let plan = faults.take("POST", CREATE);

        assert_eq!(plan.delay, Some(Duration::from_millis(50)));
        assert_eq!(
            plan.failure,
            Some(Failure {
                status: 502,
                should_retry: Some(true)
            })
        );
        assert_eq!(faults.take("POST", CREATE), Plan::default());
    }

    #[test]
    fn nonsense_faults_are_refused() {
        let mut faults = Faults::default();
        assert_eq!(
            faults.fail_next(Route::post(CREATE), 1, Failure::new(404)),
            Err(FaultError::NotServerError(404))
        );
        assert_eq!(
            faults.fail_next(Route::post(CREATE), 0, Failure::new(500)),
            Err(FaultError::ZeroCount)
        );
        assert!(matches!(
            faults.delay(Route::post("v1/x"), Duration::from_secs(1), None),
            Err(FaultError::BadPath(_))
        ));
        assert!(faults.list().is_empty());
    }
}
