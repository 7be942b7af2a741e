//! The session's media over HTTP, and its bytes in R2 (the `MEDIA` binding):
//! `POST /attachments` (a person's image for a prompt), `POST /sandbox/media` (the agent's
//! screenshots and videos, with the sandbox token), `GET /media/:id` (whoever may view the
//! session; `Range` for video), `GET /sandbox/media/:id` (the sandbox reads a prompt's images),
//! and `GET /shared-media/:id?key=` (an evidence screenshot, for the pull request's readers).
//!
//! Invariant: the bytes are checked (`oi_session_core::media::admit`) before they are stored,
//! and a piece is served only with the `Content-Type` its bytes showed, `nosniff`, and no
//! active content.

use oi_protocol::media::{media_path, AgentUpload, AttachmentUpload, MediaInfo, MediaKind};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::media::range::{answer, RangeAnswer};
use oi_session_core::media::{admit, check_labels, link, max_bytes, Upload};
use worker::{Bucket, Headers, Range, Request, Response};

use super::store::{r2_key, MediaRow};
use super::{media, SessionObject};
use crate::http::{json_response, read_body, Outcome};
use crate::{config, ids};

/// The R2 binding that holds every session's media.
pub const MEDIA_BUCKET: &str = "MEDIA";

fn bucket(env: &worker::Env) -> Outcome<Bucket> {
    env.bucket(MEDIA_BUCKET).map_err(|_| {
        ApiError::new(ErrorCode::Misconfigured, format!("the R2 binding {MEDIA_BUCKET} is missing (wrangler.toml)"))
            .into()
    })
}

fn query<T: serde::de::DeserializeOwned>(url: &worker::Url) -> Outcome<T> {
    serde_urlencoded::from_str(url.query().unwrap_or(""))
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("the query is not valid: {e}")).into())
}

/// The key that opens an evidence piece outside the session, if the deployment can make one.
pub fn shared_link(env: &worker::Env, session_id: &str, media_id: &str) -> Option<String> {
    let secret = config::secret(env, "SECRETS_KEY")?;
    let key = link::key(secret.as_bytes(), session_id, media_id);
    Some(format!("{}/api/sessions/{session_id}/shared-media/{media_id}?key={key}", config::control_plane_url(env)))
}

impl SessionObject {
    /// `POST /attachments?name=`: a person's image, kept until a prompt carries it.
    pub(super) async fn upload_attachment(&self, mut req: Request, url: &worker::Url) -> Outcome<Response> {
        let AttachmentUpload { name } = query(url)?;
        check_labels(&name, None, None)?;
        let info = self.store_upload(&mut req, MediaKind::Attachment, name, None, None, false).await?;
        json_response(201, &info)
    }

    /// `POST /sandbox/media?kind=&name=&caption=&source_url=&evidence=`: the agent's piece.
    pub(super) async fn upload_artifact(&self, mut req: Request, url: &worker::Url) -> Outcome<Response> {
        self.check_sandbox_token(&req)?;
        let upload: AgentUpload = query(url)?;
        if upload.kind == MediaKind::Attachment {
            return Err(ApiError::new(ErrorCode::InvalidRequest, "`kind` must be screenshot or video").into());
        }
        check_labels(&upload.name, upload.caption.as_deref(), upload.source_url.as_deref())?;
        let info = self
            .store_upload(&mut req, upload.kind, upload.name, upload.caption, upload.source_url, upload.evidence)
            .await?;
        json_response(201, &info)
    }

    async fn store_upload(
        &self,
        req: &mut Request,
        kind: MediaKind,
        name: String,
        caption: Option<String>,
        source_url: Option<String>,
        evidence: bool,
    ) -> Outcome<MediaInfo> {
        let session_id = self.meta()?.summary.id;
        let usage = self.run(|turn| media::usage_for_upload(turn))?;
        let declared = req.headers().get("content-type")?;
        let bytes = read_body(req, max_bytes(kind) as usize).await?;
        let admitted = admit(Upload { kind, declared: declared.as_deref(), bytes: &bytes }, usage)?;
        let media_id = ids::new_id("med");
        let info = MediaInfo {
            url: media_path(&session_id, &media_id),
            media_id,
            kind,
            name,
            content_type: admitted.content_type,
            size: bytes.len() as u64,
            width: admitted.width,
            height: admitted.height,
            caption,
            source_url,
            evidence,
        };
        let metadata =
            worker::HttpMetadata { content_type: Some(info.content_type.mime().to_string()), ..Default::default() };
        bucket(&self.env)?.put(r2_key(&session_id, &info.media_id), bytes).http_metadata(metadata).execute().await?;
        self.run(|turn| media::keep(turn, info.clone()))?;
        Ok(info)
    }

    /// `GET /media/:id` and `GET /sandbox/media/:id`: the bytes, whole or the `Range` asked.
    pub(super) async fn read_media(&self, req: &Request, media_id: &str) -> Outcome<Response> {
        let row = self.media_row(media_id)?;
        let session_id = self.meta()?.summary.id;
        let size = row.info.size;
        let range = answer(req.headers().get("range")?.as_deref(), size);
        let headers = media_headers(&row)?;
        if let Some(content_range) = range.content_range(size) {
            headers.set("Content-Range", &content_range)?;
        }
        let (status, r2_range) = match range {
            RangeAnswer::Whole => (200, None),
            RangeAnswer::Part { start, end } => {
                (206, Some(Range::OffsetWithLength { offset: start, length: end - start + 1 }))
            }
            RangeAnswer::Unsatisfiable => {
                let body = serde_json::to_string(
                    &ApiError::new(ErrorCode::RangeNotSatisfiable, format!("the piece has {size} bytes")).into_body(),
                )?;
                headers.set("Content-Type", "application/json")?;
                return Ok(Response::ok(body)?.with_status(416).with_headers(headers));
            }
        };
        let bucket = bucket(&self.env)?;
        let key = r2_key(&session_id, media_id);
        let object = match r2_range {
            Some(r) => bucket.get(key).range(r).execute().await?,
            None => bucket.get(key).execute().await?,
        };
        let gone = || ApiError::new(ErrorCode::NotFound, format!("the bytes of {media_id:?} are gone"));
        let object = object.ok_or_else(gone)?;
        let body = object.body().ok_or_else(gone)?.response_body()?;
        let length = match range {
            RangeAnswer::Part { start, end } => end - start + 1,
            _ => size,
        };
        headers.set("Content-Length", &length.to_string())?;
        Ok(Response::from_body(body)?.with_status(status).with_headers(headers))
    }

    /// `GET /shared-media/:id?key=`: an evidence piece, for whoever holds its link.
    pub(super) async fn read_shared_media(
        &self,
        req: &Request,
        url: &worker::Url,
        media_id: &str,
    ) -> Outcome<Response> {
        let session_id = self.meta()?.summary.id;
        let given = crate::http::query_param(url, "key").unwrap_or_default();
        let secret = config::secret(&self.env, "SECRETS_KEY").unwrap_or_default();
        let opens = !secret.is_empty() && link::verify(secret.as_bytes(), &session_id, media_id, &given);
        let evidence = self.store.media(media_id)?.is_some_and(|row| row.info.evidence);
        if !(opens && evidence) {
            return Err(ApiError::new(ErrorCode::Forbidden, "this link does not open that piece").into());
        }
        self.read_media(req, media_id).await
    }

    fn media_row(&self, media_id: &str) -> Outcome<MediaRow> {
        self.store
            .media(media_id)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no media {media_id:?} in this session")).into())
    }

    /// Deletes bytes from R2 in the background (a failure leaves them; nothing refers to them).
    pub(super) fn delete_media(&self, keys: Vec<String>) {
        let Ok(bucket) = bucket(&self.env) else { return };
        self.state.wait_until(async move {
            for chunk in keys.chunks(1000) {
                if let Err(e) = bucket.delete_multiple(chunk.to_vec()).await {
                    worker::console_warn!("media: could not delete {} pieces: {e}", chunk.len());
                }
            }
        });
    }

    /// Every piece's bytes, for deleting the session.
    pub(super) fn all_media_keys(&self) -> Outcome<Vec<String>> {
        let session_id = self.meta()?.summary.id;
        Ok(self.store.all_media_ids()?.iter().map(|id| r2_key(&session_id, id)).collect())
    }
}

fn media_headers(row: &MediaRow) -> Outcome<Headers> {
    let headers = Headers::new();
    headers.set("Content-Type", row.info.content_type.mime())?;
    headers.set("Accept-Ranges", "bytes")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'; sandbox")?;
    headers.set("Cache-Control", "private, max-age=3600")?;
    let file_name: String =
        row.info.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    headers.set("Content-Disposition", &format!("inline; filename=\"{file_name}\""))?;
    Ok(headers)
}
