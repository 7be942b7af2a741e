//! Media for tests: real PNG files (encoded by the `png` crate, so browsers, OpenCode and the
//! model see a genuine image) and byte-level requests to the media routes.

use anyhow::Result;
use oi_protocol::media::MediaInfo;

use crate::{Api, ApiResponse};

/// A real `w`×`h` PNG filled with one colour.
pub fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header");
        let pixels: Vec<u8> = (0..w * h).flat_map(|_| rgb).collect();
        writer.write_image_data(&pixels).expect("PNG data");
    }
    out
}

/// The size a PNG's header gives.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().ok()?;
    let info = reader.info();
    Some((info.width, info.height))
}

/// A byte answer: status, headers and body.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    /// `POST path` with `bytes` as the body and `content_type` if given; never fails on a
    /// non-2xx status.
    pub async fn post_bytes(&self, path: &str, bytes: &[u8], content_type: Option<&str>) -> Result<ApiResponse> {
        let mut req = self.request(reqwest::Method::POST, path).body(bytes.to_vec());
        if let Some(content_type) = content_type {
            req = req.header("content-type", content_type);
        }
        let res = req.send().await?;
        Ok(ApiResponse { status: res.status().as_u16(), body: res.text().await? })
    }

    /// `GET path` with extra headers, keeping the answer's bytes.
    pub async fn get_bytes(&self, path: &str, headers: &[(&str, &str)]) -> Result<Fetched> {
        let mut req = self.request(reqwest::Method::GET, path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Ok(Fetched { status, headers, body: res.bytes().await?.to_vec() })
    }

    /// Uploads an image for a prompt of session `id` and answers what was stored.
    pub async fn upload_attachment(&self, id: &str, name: &str, bytes: &[u8], content_type: &str) -> Result<MediaInfo> {
        let name = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        let res =
            self.post_bytes(&format!("/api/sessions/{id}/attachments?name={name}"), bytes, Some(content_type)).await?;
        anyhow::ensure!(res.status == 201, "upload answered {} {}", res.status, res.body);
        res.json()
    }
}
