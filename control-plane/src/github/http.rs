//! The source-control provider's HTTP calls, made with the Worker's `fetch`.

use oi_source_control::{HttpClient, HttpRequest, HttpResponse};
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// `fetch`, for [`HttpClient`].
pub struct WorkerHttp;

fn method(name: &str) -> Method {
    match name {
        "POST" => Method::Post,
        "PATCH" => Method::Patch,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        _ => Method::Get,
    }
}

impl HttpClient for WorkerHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(|e| e.to_string())?;
        }
        let mut init = RequestInit::new();
        init.with_method(method(request.method)).with_headers(headers);
        if let Some(body) = request.body {
            init.with_body(Some(body.into()));
        }
        let outgoing = Request::new_with_init(&request.url, &init).map_err(|e| e.to_string())?;
        let mut response = Fetch::Request(outgoing).send().await.map_err(|e| e.to_string())?;
        let headers = response.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok(HttpResponse { status: response.status_code(), headers, body })
    }
}
