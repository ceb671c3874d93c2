//! Rows of Open WebUI's `user` table, as far as the chats API needs them.

use crate::db::{Database, DbError, Row};
use serde::Serialize;

/// The columns every auth check reads.
pub const USER_COLUMNS: &str = "id, name, email, role, profile_image_url";

/// A user, as authentication resolves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// `user.id`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address (lower-cased by Open WebUI on signup).
    pub email: String,
    /// `admin`, `user` or `pending` (a free string in the table).
    pub role: String,
    /// Avatar URL.
    pub profile_image_url: String,
}

impl User {
    /// Reads a row selected with [`USER_COLUMNS`].
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.text(0),
            name: row.text(1),
            email: row.text(2),
            role: row.opt_text(3).unwrap_or_else(|| "pending".into()),
            profile_image_url: row.text(4),
        }
    }

    /// True for the `admin` role.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    /// True for roles that may use the API (`user`, `admin`).
    pub fn is_verified(&self) -> bool {
        self.role == "user" || self.role == "admin"
    }
}

/// Loads a user by id.
pub async fn find_by_id(db: &dyn Database, id: &str) -> Result<Option<User>, DbError> {
    let rows = db
        .query(&format!("SELECT {USER_COLUMNS} FROM \"user\" WHERE id = ?"), &[id.into()])
        .await?;
    Ok(rows.first().map(User::from_row))
}

/// Loads a user by email (case-insensitive, as Open WebUI lower-cases on write).
pub async fn find_by_email(db: &dyn Database, email: &str) -> Result<Option<User>, DbError> {
    let rows = db
        .query(
            &format!("SELECT {USER_COLUMNS} FROM \"user\" WHERE lower(email) = lower(?)"),
            &[email.into()],
        )
        .await?;
    Ok(rows.first().map(User::from_row))
}

/// Display names for a set of user ids (missing users are absent from the result).
pub async fn names(db: &dyn Database, ids: &[String]) -> Result<Vec<(String, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; ids.len()].join(",");
    let params: Vec<_> = ids.iter().map(Into::into).collect();
    let rows = db
        .query(&format!("SELECT id, name FROM \"user\" WHERE id IN ({placeholders})"), &params)
        .await?;
    Ok(rows.iter().map(|row| (row.text(0), row.text(1))).collect())
}
