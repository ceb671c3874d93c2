//! The `access_grant` table: who may read or write a resource (spec §3.7). One row per
//! (resource, principal, permission); principals are `user:<id>`, `user:*` (every signed-in
//! user), `group:<id>` and `anyone:*` (no login needed, read only).
//!
//! Checking a user's grants lives in [`crate::access::has_grant`]; this module normalises
//! grant lists from request bodies and reads and replaces a resource's grants.

use crate::access::Permission;
use crate::context::new_id;
use crate::db::{Database, DbError};
use serde::Serialize;
use serde_json::Value as Json;

/// One grant as the API shows it (`AccessGrantResponse`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grant {
    /// Row id (uuid4).
    pub id: String,
    /// `user`, `group` or `anyone`.
    pub principal_type: String,
    /// A user or group id, or `*`.
    pub principal_id: String,
    /// `read` or `write`.
    pub permission: String,
}

impl Grant {
    /// `user:*`: every signed-in user.
    pub fn is_public(&self) -> bool {
        self.principal_type == "user" && self.principal_id == "*"
    }
}

/// `normalize_access_grants`: keeps well-formed grants (`user`/`group`/`anyone`, `read`/`write`,
/// a non-empty string id, `anyone` only as `anyone:*:read`) and drops duplicates on
/// (type, id, permission). As with Python's dict, a duplicate keeps the first one's position
/// and the last one's `id`; a missing or empty `id` gets a fresh uuid.
pub fn normalise(raw: &[Json]) -> Vec<Grant> {
    let mut grants: Vec<Grant> = Vec::new();
    for item in raw {
        let text = |key: &str| item.get(key).and_then(Json::as_str);
        let (Some(principal_type), Some(principal_id), Some(permission)) =
            (text("principal_type"), text("principal_id"), text("permission"))
        else {
            continue;
        };
        if !matches!(principal_type, "user" | "group" | "anyone")
            || !matches!(permission, "read" | "write")
            || principal_id.is_empty()
            || (principal_type == "anyone" && (principal_id != "*" || permission != "read"))
        {
            continue;
        }
        let grant = Grant {
            id: text("id").filter(|id| !id.is_empty()).map_or_else(new_id, str::to_owned),
            principal_type: principal_type.to_owned(),
            principal_id: principal_id.to_owned(),
            permission: permission.to_owned(),
        };
        let same = |other: &Grant| {
            (&other.principal_type, &other.principal_id, &other.permission)
                == (&grant.principal_type, &grant.principal_id, &grant.permission)
        };
        match grants.iter_mut().find(|other| same(other)) {
            Some(existing) => *existing = grant,
            None => grants.push(grant),
        }
    }
    grants
}

/// The grants on a resource, in the order they were written.
pub async fn list(db: &dyn Database, resource_type: &str, resource_id: &str) -> Result<Vec<Grant>, DbError> {
    let rows = db
        .query(
            "SELECT id, principal_type, principal_id, permission FROM access_grant \
             WHERE resource_type = ? AND resource_id = ? ORDER BY rowid",
            &[resource_type.into(), resource_id.into()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Grant { id: row.text(0), principal_type: row.text(1), principal_id: row.text(2), permission: row.text(3) })
        .collect())
}

/// `replace_access_grants`: deletes every grant on the resource and writes `grants` (already
/// normalised) as new rows. Like Open WebUI, each row gets a fresh id; the ids in the
/// request only decided which duplicate won.
pub async fn replace(db: &dyn Database, resource_type: &str, resource_id: &str, grants: &[Grant], now: i64) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM access_grant WHERE resource_type = ? AND resource_id = ?",
        &[resource_type.into(), resource_id.into()],
    )
    .await?;
    for grant in grants {
        db.execute(
            "INSERT INTO access_grant (id, resource_type, resource_id, principal_type, principal_id, permission, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                new_id().into(),
                resource_type.into(),
                resource_id.into(),
                grant.principal_type.as_str().into(),
                grant.principal_id.as_str().into(),
                grant.permission.as_str().into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// `has_anyone_access`: is there an `anyone:*` grant (no login needed) on the resource?
pub async fn has_anyone(db: &dyn Database, resource_type: &str, resource_id: &str, permission: Permission) -> Result<bool, DbError> {
    let rows = db
        .query(
            "SELECT 1 FROM access_grant WHERE resource_type = ? AND resource_id = ? AND principal_type = 'anyone' \
             AND principal_id = '*' AND permission = ? LIMIT 1",
            &[resource_type.into(), resource_id.into(), permission.as_str().into()],
        )
        .await?;
    Ok(!rows.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalise_keeps_well_formed_grants_once() {
        let raw = [
            json!({"principal_type": "user", "principal_id": "u1", "permission": "read", "id": "first"}),
            json!({"principal_type": "group", "principal_id": "g", "permission": "write"}),
            json!({"principal_type": "user", "principal_id": "u1", "permission": "read", "id": "second"}),
            json!({"principal_type": "anyone", "principal_id": "*", "permission": "read"}),
            json!({"principal_type": "anyone", "principal_id": "*", "permission": "write"}),
            json!({"principal_type": "anyone", "principal_id": "u1", "permission": "read"}),
            json!({"principal_type": "role", "principal_id": "x", "permission": "read"}),
            json!({"principal_type": "user", "principal_id": "", "permission": "read"}),
            json!({"principal_type": "user", "principal_id": 5, "permission": "read"}),
            json!({"principal_type": "user", "principal_id": "u2", "permission": "admin"}),
            json!("user:u3"),
        ];
        let grants = normalise(&raw);
        let keys: Vec<(&str, &str, &str)> =
            grants.iter().map(|g| (g.principal_type.as_str(), g.principal_id.as_str(), g.permission.as_str())).collect();
        assert_eq!(keys, [("user", "u1", "read"), ("group", "g", "write"), ("anyone", "*", "read")]);
        assert_eq!(grants[0].id, "second", "the last duplicate's id, the first one's place");
        assert_eq!(grants[1].id.len(), 36, "a fresh uuid when none is given");
        assert!(normalise(&[]).is_empty());
    }
}
