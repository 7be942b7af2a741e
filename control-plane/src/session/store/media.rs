//! The session's media rows: what each stored piece is (its `MediaInfo`), the prompt it
//! belongs to, and when it was stored. The bytes are in R2 under [`r2_key`].

use oi_protocol::media::{MediaInfo, MediaKind};
use oi_session_core::media::MediaUsage;
use worker::Result;

use super::{enum_str, from_json, json, SqlExec, Store};

/// Where a piece's bytes are in the `MEDIA` bucket.
pub fn r2_key(session_id: &str, media_id: &str) -> String {
    format!("sessions/{session_id}/media/{media_id}")
}

/// A stored piece.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRow {
    pub info: MediaInfo,
    /// The prompt it belongs to: an attachment's once a prompt carries it; an artifact's, the
    /// prompt that was running.
    pub message_id: Option<String>,
    pub created_at: i64,
}

impl<S: SqlExec> Store<S> {
    pub fn insert_media(&self, info: &MediaInfo, message_id: Option<&str>, created_at: i64) -> Result<()> {
        self.run(
            "INSERT INTO media (media_id, kind, size, json, message_id, position, created_at)
             VALUES (?, ?, ?, ?, ?, 0, ?)",
            vec![
                info.media_id.as_str().into(),
                enum_str(info.kind).into(),
                (info.size as i64).into(),
                json(info)?.into(),
                message_id.map(str::to_string).into(),
                created_at.into(),
            ],
        )
    }

    pub fn media(&self, media_id: &str) -> Result<Option<MediaRow>> {
        let rows =
            self.rows("SELECT json, message_id, created_at FROM media WHERE media_id = ?", vec![media_id.into()])?;
        rows.first()
            .map(|r| Ok(MediaRow { info: from_json(&r.text(0)?)?, message_id: r.opt_text(1)?, created_at: r.int(2)? }))
            .transpose()
    }

    /// What the session holds: bytes in all, screenshots, videos.
    pub fn media_usage(&self) -> Result<MediaUsage> {
        let rows = self.rows(
            "SELECT COALESCE(SUM(size), 0), COALESCE(SUM(kind = 'screenshot'), 0), COALESCE(SUM(kind = 'video'), 0)
             FROM media",
            vec![],
        )?;
        let Some(r) = rows.first() else { return Ok(MediaUsage::default()) };
        Ok(MediaUsage { total_bytes: r.int(0)? as u64, screenshots: r.int(1)? as u32, videos: r.int(2)? as u32 })
    }

    /// Attachments no prompt carries yet, oldest first.
    pub fn unbound_attachments(&self) -> Result<Vec<MediaInfo>> {
        let rows = self.rows(
            "SELECT json FROM media WHERE kind = ? AND message_id IS NULL ORDER BY created_at, media_id",
            vec![enum_str(MediaKind::Attachment).into()],
        )?;
        rows.iter().map(|r| from_json(&r.text(0)?)).collect()
    }

    /// Gives the attachments `ids` (in this order) to the prompt `message_id`.
    pub fn bind_attachments(&self, message_id: &str, ids: &[String]) -> Result<()> {
        for (position, id) in ids.iter().enumerate() {
            self.run(
                "UPDATE media SET message_id = ?, position = ? WHERE media_id = ? AND message_id IS NULL",
                vec![message_id.into(), (position as i64).into(), id.as_str().into()],
            )?;
        }
        Ok(())
    }

    /// The attachments a prompt carries, in the order it named them.
    pub fn attachments_of(&self, message_id: &str) -> Result<Vec<MediaInfo>> {
        let rows = self.rows(
            "SELECT json FROM media WHERE kind = ? AND message_id = ? ORDER BY position",
            vec![enum_str(MediaKind::Attachment).into(), message_id.into()],
        )?;
        rows.iter().map(|r| from_json(&r.text(0)?)).collect()
    }

    /// Removes the attachments no prompt took that were stored before `before`; returns their
    /// ids (their bytes are the caller's to delete).
    pub fn remove_unbound_attachments(&self, before: i64) -> Result<Vec<String>> {
        let args = || vec![enum_str(MediaKind::Attachment).into(), before.into()];
        let condition = "kind = ? AND message_id IS NULL AND created_at < ?";
        let rows = self.rows(&format!("SELECT media_id FROM media WHERE {condition}"), args())?;
        let ids = rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>>>()?;
        if !ids.is_empty() {
            self.run(&format!("DELETE FROM media WHERE {condition}"), args())?;
        }
        Ok(ids)
    }

    pub fn remove_media(&self, media_id: &str) -> Result<()> {
        self.run("DELETE FROM media WHERE media_id = ?", vec![media_id.into()])
    }

    /// The screenshots the agent offered as evidence, oldest first.
    pub fn evidence_screenshots(&self) -> Result<Vec<MediaInfo>> {
        let rows = self.rows(
            "SELECT json FROM media WHERE kind = ? ORDER BY created_at, media_id",
            vec![enum_str(MediaKind::Screenshot).into()],
        )?;
        let all = rows.iter().map(|r| from_json::<MediaInfo>(&r.text(0)?)).collect::<Result<Vec<_>>>()?;
        Ok(all.into_iter().filter(|m| m.evidence).collect())
    }

    /// Every piece's id (to delete their bytes with the session).
    pub fn all_media_ids(&self) -> Result<Vec<String>> {
        self.rows("SELECT media_id FROM media", vec![])?.iter().map(|r| r.text(0)).collect()
    }
}
