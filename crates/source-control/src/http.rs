//! The one HTTP call a provider needs, supplied by its caller.

/// A request to the host's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// The host's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends one request. `Err` is for a request that got no answer (the message says why).
#[allow(async_fn_in_trait)] // Used through generics, on one thread (WASM) or with tokio.
pub trait HttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String>;
}
