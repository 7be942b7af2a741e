//! Shared test helpers: a configured double, a client that does not follow redirects, the OAuth
//! dance, and a small validator for the schemas of `openapi-subset.json`.

#![allow(dead_code)]

pub mod app;

use oi_github_double::{DoubleConfig, EmailConfig, GithubDouble, UserConfig};
use serde_json::Value;

pub const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
pub const CLIENT_SECRET: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
pub const CALLBACK: &str = "http://127.0.0.1:8787/api/auth/github/callback";

pub fn config() -> DoubleConfig {
    DoubleConfig::new(CLIENT_ID, CLIENT_SECRET)
        .user(
            UserConfig::new("octocat", 1)
                .name("monalisa octocat")
                .email(EmailConfig::primary("octocat@github.com"))
                .email(EmailConfig::secondary("octo@example.com"))
                .org("github")
                .org("acme"),
        )
        .user(UserConfig::new("hubot", 2).email(EmailConfig::primary("hubot@example.com").visibility(Some("private"))))
        .user(UserConfig::new("newbie", 3).email(EmailConfig::primary("newbie@example.com").verified(false)))
        .authorizing_user("octocat")
}

pub async fn start() -> GithubDouble {
    let github = GithubDouble::start(config()).await.expect("start the double");
    github.set_redirect_uri(CALLBACK);
    github
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The query parameters of a `Location` header.
pub fn location_params(response: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    (base.to_string(), serde_urlencoded::from_str(query).unwrap())
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `GET /login/oauth/authorize` with `query`: checks the 302 and returns where it redirects and
/// the redirect's parameters.
pub async fn authorize_redirect(github: &GithubDouble, query: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let response = client().get(format!("{}/login/oauth/authorize", github.url)).query(query).send().await.unwrap();
    assert_eq!(response.status(), 302);
    location_params(&response)
}

/// Runs the authorize step and returns the code.
pub async fn authorize(github: &GithubDouble, scope: &str) -> String {
    let query = [("client_id", CLIENT_ID), ("redirect_uri", CALLBACK), ("state", "st-1"), ("scope", scope)];
    let (base, params) = authorize_redirect(github, &query).await;
    assert_eq!(base, CALLBACK);
    assert_eq!(param(&params, "state"), Some("st-1"));
    param(&params, "code").expect("a code").to_string()
}

/// Exchanges a code with `Accept: application/json` and returns the body.
pub async fn exchange(github: &GithubDouble, code: &str) -> Value {
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("code", code), ("redirect_uri", CALLBACK)];
    let response = client()
        .post(format!("{}/login/oauth/access_token", github.url))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The whole web flow: a user token with `scope`.
pub async fn sign_in(github: &GithubDouble, scope: &str) -> String {
    let code = authorize(github, scope).await;
    exchange(github, &code).await["access_token"].as_str().expect("a token").to_string()
}

/// `GET {url}{path}` with a bearer token.
pub async fn api_get(github: &GithubDouble, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", github.url))
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .send()
        .await
        .unwrap()
}

/// The contract fixtures.
pub fn oauth_examples() -> Value {
    serde_json::from_str(include_str!("../fixtures/github/oauth-examples.json")).unwrap()
}

/// `openapi-subset.json` and a validator for its schemas: types, `nullable`, `enum`,
/// `required`, `$ref`, `allOf`/`oneOf`/`anyOf` (with `discriminator`), and no properties the
/// schema does not declare.
pub struct Spec(Value);

impl Spec {
    pub fn load() -> Self {
        Self(serde_json::from_str(include_str!("../fixtures/github/openapi-subset.json")).unwrap())
    }

    /// Checks `body` against the JSON schema of `method path`'s `status` answer.
    pub fn check_response(&self, method: &str, path: &str, status: u16, body: &Value) {
        let operation = &self.0["paths"][path][method];
        assert!(operation.is_object(), "no operation {method} {path} in the spec");
        let response = self.resolve(&operation["responses"][status.to_string()]);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {path} has no JSON schema for {status}");
        self.check_schema(schema, body, &format!("{method} {path} {status}"));
    }

    /// Checks `body` against `components/schemas/<name>`.
    pub fn check(&self, name: &str, body: &Value) {
        let schema = &self.0["components"]["schemas"][name];
        assert!(schema.is_object(), "no schema {name}");
        self.check_schema(schema, body, name);
    }

    /// The `required` list of a schema.
    pub fn required(&self, name: &str) -> Vec<String> {
        let required = self.0["components"]["schemas"][name]["required"].as_array().cloned().unwrap_or_default();
        required.iter().map(|r| r.as_str().unwrap().to_string()).collect()
    }

    fn check_schema(&self, schema: &Value, body: &Value, what: &str) {
        let mut errors = Vec::new();
        self.validate(schema, body, "$", &mut errors);
        assert!(errors.is_empty(), "{what}: body does not match the schema:\n{}\n{body:#}", errors.join("\n"));
    }

    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            value = self.0.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        value
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() {
            if schema.get("nullable") != Some(&Value::Bool(true)) && schema.get("type").is_some() {
                errors.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            // The branches together declare the properties: check against their union.
            self.validate(&self.merge_all_of(all), value, at, errors);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                self.validate_branches(schema, branches, value, at, errors);
            }
        }
        let Some(ty) = schema.get("type").and_then(Value::as_str) else { return };
        let type_ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => panic!("unknown type {other}"),
        };
        if !type_ok {
            errors.push(format!("{at}: expected {ty}, got {value}"));
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                errors.push(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        match value {
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(item_schema, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            Value::Object(fields) => {
                for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                    let name = required.as_str().unwrap();
                    if !fields.contains_key(name) {
                        errors.push(format!("{at}: missing required field `{name}`"));
                    }
                }
                let properties = schema.get("properties").and_then(Value::as_object);
                for (name, field) in fields {
                    match properties.and_then(|p| p.get(name)) {
                        Some(field_schema) => self.validate(field_schema, field, &format!("{at}.{name}"), errors),
                        None if properties.is_some() => errors.push(format!("{at}: `{name}` is not in the schema")),
                        None => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// One schema with the `type`, `required` and `properties` of every `allOf` branch.
    fn merge_all_of(&self, branches: &[Value]) -> Value {
        let mut merged = serde_json::Map::new();
        let (mut required, mut properties) = (Vec::new(), serde_json::Map::new());
        for branch in branches {
            let branch = self.resolve(branch);
            if let Some(ty) = branch.get("type") {
                merged.insert("type".into(), ty.clone());
            }
            required.extend(branch.get("required").and_then(Value::as_array).cloned().unwrap_or_default());
            properties.extend(branch.get("properties").and_then(Value::as_object).cloned().unwrap_or_default());
        }
        merged.insert("required".into(), Value::Array(required));
        merged.insert("properties".into(), Value::Object(properties));
        Value::Object(merged)
    }

    fn validate_branches(&self, schema: &Value, branches: &[Value], value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(discriminator) = schema.get("discriminator") {
            let property = discriminator["propertyName"].as_str().unwrap();
            let tag = value.get(property).and_then(Value::as_str);
            let Some(target) = tag.and_then(|t| discriminator["mapping"][t].as_str()) else {
                errors.push(format!("{at}: discriminator `{property}` is missing or unknown"));
                return;
            };
            self.validate(&serde_json::json!({ "$ref": target }), value, at, errors);
            return;
        }
        let mut branch_errors = Vec::new();
        for branch in branches {
            let mut these = Vec::new();
            self.validate(branch, value, at, &mut these);
            if these.is_empty() {
                return;
            }
            branch_errors.extend(these);
        }
        errors.push(format!("{at}: matches no branch: {}", branch_errors.join("; ")));
    }
}
