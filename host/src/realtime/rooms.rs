//! Rooms: named sets of connections (`user:{id}`, `chat:{id}`), kept by the host.
//!
//! The component decides who joins what; the host only remembers membership, in both
//! directions, so that a closing connection leaves all its rooms in O(its rooms) and an empty
//! room disappears instead of accumulating. Only the actor touches this (it lives in the
//! component's store), so no locking is needed.

use std::collections::{HashMap, HashSet};

/// Room membership, both ways.
#[derive(Default)]
pub struct Rooms {
    members: HashMap<String, HashSet<u64>>,
    rooms_of: HashMap<u64, HashSet<String>>,
}

impl Rooms {
    /// Adds `conn` to `room`. Idempotent.
    pub fn join(&mut self, conn: u64, room: &str) {
        self.members
            .entry(room.to_string())
            .or_default()
            .insert(conn);
        self.rooms_of
            .entry(conn)
            .or_default()
            .insert(room.to_string());
    }

    /// Removes `conn` from `room`. Idempotent.
    pub fn leave(&mut self, conn: u64, room: &str) {
        if let Some(set) = self.members.get_mut(room) {
            set.remove(&conn);
            if set.is_empty() {
                self.members.remove(room);
            }
        }
        if let Some(set) = self.rooms_of.get_mut(&conn) {
            set.remove(room);
            if set.is_empty() {
                self.rooms_of.remove(&conn);
            }
        }
    }

    /// Removes `conn` from every room it is in.
    pub fn leave_all(&mut self, conn: u64) {
        for room in self.rooms_of.remove(&conn).unwrap_or_default() {
            if let Some(set) = self.members.get_mut(&room) {
                set.remove(&conn);
                if set.is_empty() {
                    self.members.remove(&room);
                }
            }
        }
    }

    /// The members of `room` (empty if there is no such room).
    pub fn members(&self, room: &str) -> impl Iterator<Item = u64> + '_ {
        self.members.get(room).into_iter().flatten().copied()
    }

    /// Number of non-empty rooms.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when no room has a member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_leave_and_cleanup() {
        let mut r = Rooms::default();
        r.join(1, "a");
        r.join(1, "a");
        r.join(2, "a");
        r.join(1, "b");
        let mut a: Vec<u64> = r.members("a").collect();
        a.sort_unstable();
        assert_eq!(a, [1, 2]);
        r.leave(2, "a");
        r.leave(2, "a");
        assert_eq!(r.members("a").collect::<Vec<_>>(), [1]);
        r.leave_all(1);
        assert!(r.is_empty());
        assert_eq!(r.members("zzz").count(), 0);
    }
}
