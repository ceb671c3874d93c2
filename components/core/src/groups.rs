//! Group membership as Open WebUI resolves it for grants and permissions
//! (`Groups.get_groups_by_member_id(user_id, include_inherited=True)`): a member of a group
//! also belongs to every ancestor group along `group.parent_group_id`.

use crate::db::{Database, DbError};

/// SQL selecting the ids of every group the user (the one `?` parameter) belongs to,
/// directly or through a child group. `UNION` (not `UNION ALL`) ends the recursion on a
/// parent cycle, as Open WebUI's recursive CTE does; only existing groups are returned.
pub const MEMBER_GROUP_IDS: &str = "WITH RECURSIVE member_groups(group_id) AS ( \
       SELECT group_id FROM group_member WHERE user_id = ? \
       UNION SELECT g.parent_group_id FROM \"group\" g JOIN member_groups m ON g.id = m.group_id \
       WHERE g.parent_group_id IS NOT NULL) \
     SELECT g.id FROM \"group\" g JOIN member_groups m ON g.id = m.group_id";

/// The ids of the user's groups, inherited ones included.
pub async fn member_group_ids(db: &dyn Database, user_id: &str) -> Result<Vec<String>, DbError> {
    let rows = db.query(MEMBER_GROUP_IDS, &[user_id.into()]).await?;
    Ok(rows.iter().map(|row| row.text(0)).collect())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::db::LibsqlDatabase;

    async fn ids(db: &LibsqlDatabase, user_id: &str) -> Vec<String> {
        let mut ids = member_group_ids(db, user_id).await.unwrap_or_else(|e| panic!("{e}"));
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn members_inherit_ancestor_groups_and_cycles_end() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        crate::schema::ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        // Open WebUI never enables foreign keys on SQLite; the dangling parent needs them off.
        db.execute("PRAGMA foreign_keys = OFF", &[]).await.unwrap_or_else(|e| panic!("{e}"));
        db.execute_script(
            "INSERT INTO \"group\" (id, parent_group_id) VALUES ('root', NULL), ('mid', 'root'), ('leaf', 'mid'), \
               ('x', 'y'), ('y', 'x'), ('orphan', 'gone');\n\
             INSERT INTO group_member (id, group_id, user_id) VALUES ('1', 'leaf', 'u'), ('2', 'x', 'v'), ('3', 'orphan', 'w');\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(&db, "u").await, ["leaf", "mid", "root"], "a child group's member belongs to its ancestors");
        assert_eq!(ids(&db, "v").await, ["x", "y"], "a parent cycle ends");
        assert_eq!(ids(&db, "w").await, ["orphan"], "a dangling parent is not a group");
        assert!(ids(&db, "nobody").await.is_empty());
    }
}
