//! The App's JWT, as GitHub checks it: RS256 signed with the App's private key (verified with
//! the configured public key), `iss` the App id (a number or a numeric string), `exp` in the
//! future and at most 10 minutes after `iat` and after now, `iat` not in the future.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::app_config::AppConfig;

/// How much clock drift is forgiven, in seconds.
pub(crate) const LEEWAY: i64 = 30;
/// The longest a JWT may live (GitHub: 10 minutes).
pub(crate) const MAX_LIFETIME: i64 = 600;

pub(crate) const UNDECODABLE: &str = "A JSON web token could not be decoded";
pub(crate) const EXPIRED: &str = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
pub(crate) const TOO_FAR: &str = "'Expiration time' claim ('exp') is too far in the future";
pub(crate) const BAD_IAT: &str =
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
pub(crate) const BAD_ISS: &str = "'Issuer' claim ('iss') must be an Integer";

/// Checks `token` for `app` at `now` (epoch seconds). The error is GitHub's 401 message.
pub(crate) fn verify(token: &str, app: &AppConfig, now: i64) -> Result<(), &'static str> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| UNDECODABLE)?;
    if header.alg != Algorithm::RS256 {
        return Err(UNDECODABLE);
    }
    let key = DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes()).map_err(|_| UNDECODABLE)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|_| UNDECODABLE)?.claims;
    let iss = match &claims["iss"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let iss = iss.ok_or(BAD_ISS)?;
    if iss != app.id {
        return Err(UNDECODABLE);
    }
    let iat = claims["iat"].as_i64().ok_or(BAD_IAT)?;
    if iat > now + LEEWAY {
        return Err(BAD_IAT);
    }
    let exp = claims["exp"].as_i64().ok_or(EXPIRED)?;
    if exp <= now {
        return Err(EXPIRED);
    }
    if exp - iat > MAX_LIFETIME + LEEWAY || exp - now > MAX_LIFETIME + LEEWAY {
        return Err(TOO_FAR);
    }
    Ok(())
}
