//! The `folder` row and its wire shapes: FolderModel (spec §3.2), FolderNameIdResponse
//! (the sidebar list) and the access grants `GET /folders/{id}` adds.

use crate::db::{Database, DbError, Row};
use serde_json::{Value as Json, json};

/// Every column, in [`Folder::from_row`] order.
pub const FOLDER_COLUMNS: &str = "id, parent_id, user_id, name, items, meta, data, is_expanded, created_at, updated_at";

/// A `folder` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    /// Folder id (uuid4).
    pub id: String,
    /// Parent folder, `None` at the root. Open WebUI may store `""`, also a root.
    pub parent_id: Option<String>,
    /// Owner.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// `items` object or null.
    pub items: Json,
    /// `meta` object or null (`icon`, …).
    pub meta: Json,
    /// `data` object or null (`share_mode`, `files`, …).
    pub data: Json,
    /// Sidebar state.
    pub is_expanded: bool,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// An object, or null for anything else (FolderModel's `Optional[dict]`).
fn object_or_null(value: Json) -> Json {
    if value.is_object() { value } else { Json::Null }
}

impl Folder {
    /// Reads a row selected with [`FOLDER_COLUMNS`].
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.text(0),
            parent_id: row.opt_text(1),
            user_id: row.text(2),
            name: row.text(3),
            items: object_or_null(row.json(4)),
            meta: object_or_null(row.json(5)),
            data: object_or_null(row.json(6)),
            is_expanded: row.bool(7),
            created_at: row.int(8),
            updated_at: row.int(9),
        }
    }

    /// FolderModel JSON, fields in Open WebUI's order.
    pub fn response(&self) -> Json {
        json!({
            "id": self.id,
            "parent_id": self.parent_id,
            "user_id": self.user_id,
            "name": self.name,
            "items": self.items,
            "meta": self.meta,
            "data": self.data,
            "is_expanded": self.is_expanded,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// FolderNameIdResponse JSON: `meta` narrowed to `{icon}`.
    pub fn name_id_response(&self, unread_count: i64) -> Json {
        let meta = match &self.meta {
            Json::Object(meta) => json!({"icon": meta.get("icon").filter(|icon| icon.is_string())}),
            _ => Json::Null,
        };
        json!({
            "id": self.id,
            "name": self.name,
            "meta": meta,
            "parent_id": self.parent_id,
            "is_expanded": self.is_expanded,
            "unread_count": unread_count,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// The parent id when it names a folder (`""` is a root, as in Open WebUI).
    pub fn parent(&self) -> Option<&str> {
        self.parent_id.as_deref().filter(|parent| !parent.is_empty())
    }

    /// `data.share_mode`, if any.
    pub fn share_mode(&self) -> Option<&Json> {
        self.data.get("share_mode")
    }
}

/// A folder by id, whoever owns it.
pub async fn find(db: &dyn Database, id: &str) -> Result<Option<Folder>, DbError> {
    let rows = db
        .query(&format!("SELECT {FOLDER_COLUMNS} FROM folder WHERE id = ? LIMIT 1"), &[id.into()])
        .await?;
    Ok(rows.first().map(Folder::from_row))
}

/// A folder by id if `user_id` owns it.
pub async fn find_owned(db: &dyn Database, id: &str, user_id: &str) -> Result<Option<Folder>, DbError> {
    let rows = db
        .query(
            &format!("SELECT {FOLDER_COLUMNS} FROM folder WHERE id = ? AND user_id = ? LIMIT 1"),
            &[id.into(), user_id.into()],
        )
        .await?;
    Ok(rows.first().map(Folder::from_row))
}

/// Every folder of the user. Open WebUI has no ORDER BY; we use insertion order.
pub async fn for_user(db: &dyn Database, user_id: &str) -> Result<Vec<Folder>, DbError> {
    let rows = db
        .query(&format!("SELECT {FOLDER_COLUMNS} FROM folder WHERE user_id = ? ORDER BY rowid"), &[user_id.into()])
        .await?;
    Ok(rows.iter().map(Folder::from_row).collect())
}

/// `get_folder_by_parent_id_and_user_id_and_name`: a sibling with the same name, compared
/// with SQL `lower()` (ASCII case folding, as Open WebUI on SQLite).
pub async fn sibling_named(db: &dyn Database, parent_id: Option<&str>, user_id: &str, name: &str) -> Result<Option<String>, DbError> {
    let rows = db
        .query(
            "SELECT id FROM folder WHERE parent_id IS ? AND user_id = ? AND lower(name) = lower(?) LIMIT 1",
            &[parent_id.into(), user_id.into(), name.into()],
        )
        .await?;
    Ok(rows.first().map(|row| row.text(0)))
}

/// The access grants of a folder as AccessGrantModel JSON, in insertion order.
pub async fn grants(db: &dyn Database, folder_id: &str) -> Result<Vec<Json>, DbError> {
    let rows = db
        .query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, permission, created_at \
             FROM access_grant WHERE resource_type = 'folder' AND resource_id = ? ORDER BY rowid",
            &[folder_id.into()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            json!({
                "id": row.text(0),
                "resource_type": row.text(1),
                "resource_id": row.text(2),
                "principal_type": row.text(3),
                "principal_id": row.text(4),
                "permission": row.text(5),
                "created_at": row.int(6),
            })
        })
        .collect())
}
