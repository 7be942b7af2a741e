//! What every vendor's delivery route does before it reads a payload, in the same order, so
//! nothing unverified changes anything: the integration is on (503), the body within its limit
//! (413, refused from its declared length before reading), the integration's secret set (503);
//! then the route verifies the raw bytes with it; then the rate limit (429). Every refusal is
//! logged with its reason (Settings → Integrations → deliveries). A verified delivery claims its
//! id before it is queued, so a vendor's retry is answered and starts nothing.

use oi_integrations::inbound::{self, Refusal};
use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::integrations::IntegrationName;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::rate_limit::Limit;
use worker::{Env, Request};

use super::{deliveries, settings};
use crate::http::{Failure, Outcome};
use crate::jobs::{self, Work};
use crate::rate_limiter;

/// One vendor's delivery route.
pub struct Receiver {
    pub integration: IntegrationName,
    /// The largest body read.
    pub body_limit: usize,
    pub deliveries_per_minute: u32,
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

impl Receiver {
    fn source(&self) -> &'static str {
        self.integration.as_str()
    }

    /// Logs `refusal` and answers it.
    pub async fn refuse(&self, env: &Env, refusal: Refusal) -> Failure {
        if let Err(e) = deliveries::refused(env, self.source(), refusal.status(), &refusal.reason).await {
            worker::console_error!("logging a refused delivery: {e}");
        }
        ApiError::new(refusal.code, refusal.reason).into()
    }

    /// The raw body and the integration's `secret`, once the integration is on and the body
    /// within its limit.
    pub async fn body_and_secret(&self, req: &mut Request, env: &Env, secret: &str) -> Outcome<(Vec<u8>, String)> {
        let name = self.source();
        let off = |why: String| Refusal { code: ErrorCode::Misconfigured, reason: why };
        if !settings::enabled(env, self.integration).await? {
            return Err(self
                .refuse(env, off(format!("the {name} integration is off (Settings → Integrations)")))
                .await);
        }
        if let Err(r) = inbound::check_declared_length(header(req, "content-length").as_deref(), self.body_limit) {
            return Err(self.refuse(env, r).await);
        }
        let body = match crate::http::read_body(req, self.body_limit).await {
            Ok(body) => body,
            Err(Failure::Api(e)) => return Err(self.refuse(env, Refusal { code: e.code, reason: e.message }).await),
            Err(other) => return Err(other),
        };
        let keys = crate::secrets::keys::key_ring(env)?;
        let Some(value) = settings::secret(env, self.integration, secret, &keys).await? else {
            return Err(self.refuse(env, off(format!("the {name} integration has no {secret}"))).await);
        };
        Ok((body, value))
    }

    /// The rate limit on a verified delivery.
    pub async fn rate_limit(&self, env: &Env) -> Outcome<()> {
        let limit = Limit { max: self.deliveries_per_minute, window_ms: 60_000 };
        let key = format!("deliveries:{}", self.source());
        if let Err(e) = rate_limiter::check(env, &key, limit, "deliveries").await {
            return Err(self.refuse(env, Refusal { code: e.code, reason: e.message }).await);
        }
        Ok(())
    }

    /// Queues `work` under a claimed delivery `key`: false when it was seen before.
    pub async fn queue(&self, env: &Env, key: &str, work: Work) -> Outcome<bool> {
        let Some(claim) = deliveries::claim(env, self.source(), Some(key)).await? else { return Ok(false) };
        if let Err(e) = jobs::enqueue(env, work).await {
            let _ = deliveries::release(env, &claim).await;
            return Err(e.into());
        }
        deliveries::settle(env, &claim, DeliveryOutcome::Started, 200, None, None, None).await?;
        Ok(true)
    }
}
