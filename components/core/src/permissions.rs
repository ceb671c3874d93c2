//! `has_permission` (spec §1.7): any group of the user (inherited groups included) granting
//! the dotted key wins, otherwise the configured defaults decide. Groups only ever add
//! permissions.

use crate::config::Config;
use crate::context::Ctx;
use crate::db::DbError;
use crate::groups::MEMBER_GROUP_IDS;
use serde_json::Value as Json;

/// Looks up a dotted path (`chat.delete`) in a JSON object; missing means `None`.
pub fn lookup<'a>(value: &'a Json, dotted: &str) -> Option<&'a Json> {
    dotted.split('.').try_fold(value, |node, key| node.get(key))
}

/// Python truthiness of a JSON value.
pub fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(flag) => *flag,
        Json::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Json::String(text) => !text.is_empty(),
        Json::Array(items) => !items.is_empty(),
        Json::Object(map) => !map.is_empty(),
    }
}

/// The `permissions` objects of every group the user belongs to (inherited ones included),
/// in Open WebUI's order.
async fn group_permissions(ctx: &Ctx<'_>, user_id: &str) -> Result<Vec<Json>, DbError> {
    let rows = ctx
        .db
        .query(
            &format!("SELECT permissions FROM \"group\" WHERE id IN ({MEMBER_GROUP_IDS}) ORDER BY updated_at DESC, id"),
            &[user_id.into()],
        )
        .await?;
    Ok(rows.iter().map(|row| row.json(0)).collect())
}

/// True if any of the user's groups grants `dotted`, else the default permissions' value.
pub async fn has_permission(ctx: &Ctx<'_>, config: &Config, user_id: &str, dotted: &str) -> Result<bool, DbError> {
    if group_permissions(ctx, user_id)
        .await?
        .iter()
        .any(|grants| lookup(grants, dotted).is_some_and(truthy))
    {
        return Ok(true);
    }
    Ok(lookup(&config.user_permissions, dotted).is_some_and(truthy))
}

/// `get_permissions`: the defaults with every group's grants OR-ed in (True beats False).
pub async fn effective_permissions(ctx: &Ctx<'_>, config: &Config, user_id: &str) -> Result<Json, DbError> {
    let mut permissions = config.user_permissions.clone();
    for grants in group_permissions(ctx, user_id).await? {
        combine(&mut permissions, &grants);
    }
    Ok(permissions)
}

fn combine(target: &mut Json, grants: &Json) {
    let (Json::Object(target), Json::Object(grants)) = (target, grants) else {
        return;
    };
    for (key, grant) in grants {
        match (target.get_mut(key), grant) {
            (Some(existing @ Json::Object(_)), Json::Object(_)) => combine(existing, grant),
            (Some(existing), _) => {
                if truthy(grant) && !truthy(existing) {
                    *existing = grant.clone();
                }
            }
            (None, _) => {
                target.insert(key.clone(), grant.clone());
            }
        }
    }
}
