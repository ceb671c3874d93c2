//! The newest-first strategy of a one-needle search: walk the user's candidate chats in list
//! order, test each for the needle, and stop at the page end, instead of first collecting
//! every chat the needle is in (the set of [`super::search`]'s `contains_clause`).
//!
//! The set costs about one lookup per message the needle is in. The walk costs about one test
//! per chat it passes, and it passes (page end) / (share of chats that match). So the walk
//! wins for common needles and loses badly for rare ones: a needle found nowhere would walk
//! every chat. [`walk_limit`] chooses from the needle's hit count and the number of chats, and
//! the walk is bounded: when it does not fill the page within its limit, the caller falls back
//! to the set. At 100,000 chats a word in 10 % of them went from 32 ms to 8 ms of SQLite
//! with the walk (docs/performance.md, session 6).

use crate::context::Ctx;
use crate::db::{DbError, Row, Value};
use crate::search::index::{MESSAGE_HITS, TITLE_HITS, phrase_query};

/// What testing one chat in the walk costs, in units of mapping one message hit to its chat
/// in the set (measured at 100,000 chats: ~5-11 µs against ~1-2 µs).
const WALK_COST_PER_CHAT: u64 = 6;
/// The walk may pass this many times the chats it expects to need.
const WALK_SLACK: u64 = 2;
/// The longest walk, in chats, whatever the estimate says.
const MAX_WALK: u64 = 5_000;
/// Hits counted, at most, for the estimate: past this many, no walk allowed by [`MAX_WALK`]
/// costs as much as the set, so counting further would change nothing but the walk's bound
/// (which a capped count only makes longer, never wrong).
const HIT_COUNT_CAP: u64 = MAX_WALK * WALK_COST_PER_CHAT + 1;

/// How many candidate chats to walk for a page ending at result `page_end`, given that the
/// needle is in `hits` messages and the database has about `chats` chats; `None` when the
/// set is cheaper. The density estimate assumes one hit per matching chat, which overstates
/// the share of matching chats when hits cluster; [`WALK_SLACK`] and the fallback cover that.
pub fn walk_limit(hits: u64, chats: u64, page_end: u64) -> Option<u64> {
    if hits == 0 || page_end == 0 {
        return None;
    }
    let expected = page_end.saturating_mul(chats.max(1)).div_ceil(hits);
    let limit = WALK_SLACK.saturating_mul(expected).max(page_end);
    (limit <= MAX_WALK && limit.saturating_mul(WALK_COST_PER_CHAT) < hits).then_some(limit)
}

/// What [`page_by_walking`] found.
#[derive(Debug)]
pub enum Walk {
    /// The page, full, in `updated_at DESC, id` order.
    Page(Vec<Row>),
    /// No message and no title contains the needle: no chat can match.
    FoundNowhere,
    /// The walk does not pay, or did not fill the page: run the set query.
    UseSet,
}

/// The page by walking, when [`walk_limit`] says the walk pays and it fills the page: the
/// rows of `columns`. `filters` is the `WHERE` body of the user's candidate chats (over
/// table `chat`) with its `filter_params`.
pub async fn page_by_walking(
    ctx: &Ctx<'_>,
    columns: &str,
    filters: &str,
    filter_params: &[Value],
    needle: &str,
    offset: u64,
    page_size: u64,
) -> Result<Walk, DbError> {
    let fts = phrase_query(needle);
    let estimate = ctx
        .db
        .query(
            &format!(
                "SELECT (SELECT count(*) FROM ({MESSAGE_HITS} LIMIT {HIT_COUNT_CAP})), (SELECT coalesce(max(rowid), 0) FROM chat), \
                   EXISTS ({TITLE_HITS})"
            ),
            &[fts.as_str().into(), fts.as_str().into()],
        )
        .await?;
    let Some(row) = estimate.first() else { return Ok(Walk::UseSet) };
    let (hits, chats) = (u64::try_from(row.int(0)).unwrap_or(0), u64::try_from(row.int(1)).unwrap_or(0));
    if hits == 0 && !row.bool(2) {
        // Found nowhere: the set would be empty, yet its query would pass every candidate
        // chat to learn that (17 ms for 50,000 chats).
        return Ok(Walk::FoundNowhere);
    }
    let Some(limit) = walk_limit(hits, chats, offset.saturating_add(page_size)) else { return Ok(Walk::UseSet) };
    // `+m.rowid` keeps the planner from probing the FTS list once per chat: it reads the
    // chat's few messages from `ix_chat_message_chat_id` and tests each against the list.
    let sql = format!(
        "SELECT {columns} FROM (SELECT {columns}, rowid AS chat_rowid FROM chat WHERE {filters} \
           ORDER BY updated_at DESC, id LIMIT {limit}) AS chat \
         WHERE EXISTS (SELECT 1 FROM chat_message m WHERE m.chat_id = chat.id AND +m.rowid IN ({MESSAGE_HITS})) \
           OR chat_rowid IN ({TITLE_HITS}) \
         ORDER BY updated_at DESC, id LIMIT {page_size} OFFSET {offset}"
    );
    let mut params = filter_params.to_vec();
    params.push(fts.as_str().into());
    params.push(fts.into());
    let rows = ctx.db.query(&sql, &params).await?;
    Ok(match u64::try_from(rows.len()).unwrap_or(0) == page_size {
        true => Walk::Page(rows),
        false => Walk::UseSet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_for_common_needles_only() {
        // A word in ~10 % of 100,000 chats, page 1: walk ~1,200 chats (about 600 needed).
        assert_eq!(walk_limit(10_000, 100_000, 60), Some(1_200));
        // The same share of 10,000 chats: the set is cheap enough.
        assert_eq!(walk_limit(1_000, 10_000, 60), None);
        // A rare phrase (2 %) at 100,000 chats: the set.
        assert_eq!(walk_limit(2_000, 100_000, 60), None);
        // No hits, or nothing to show: never walk.
        assert_eq!(walk_limit(0, 100_000, 60), None);
        assert_eq!(walk_limit(10_000, 100_000, 0), None);
        // A needle in nearly every chat: the walk is the page itself, at least.
        assert_eq!(walk_limit(1_000_000, 100_000, 60), Some(60));
        // Deep pages walk further, and stop walking past MAX_WALK.
        assert_eq!(walk_limit(10_000, 100_000, 600), None);
        assert_eq!(walk_limit(100_000, 100_000, 2_400), Some(4_800));
        // A count stopped at the cap still allows the longest walk.
        assert_eq!(walk_limit(HIT_COUNT_CAP, 1_250_000, 60), Some(MAX_WALK));
    }
}
