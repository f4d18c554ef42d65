//! The cursor of a sorted list whose rows move while the user looks at it.
//!
//! Until the user moves it, the cursor stays on the first row, so that what sorts first (the
//! most unhealthy pod, the latest rollout) stays in view and is what `r`/`u` act on. Once the
//! user moved, it follows the row it is on as that row moves; if the row is gone it stays at
//! the same index.

/// Cursor over a list of keys `K`.
#[derive(Debug, Clone)]
pub struct Cursor<K> {
    index: usize,
    key: Option<K>,
    moved: bool,
}

impl<K> Default for Cursor<K> {
    fn default() -> Self {
        Cursor {
            index: 0,
            key: None,
            moved: false,
        }
    }
}

impl<K: Clone> Cursor<K> {
    /// After the list changed: `position` finds a key's new index, `key_at` the key at an index.
    pub fn follow(
        &mut self,
        len: usize,
        position: impl Fn(&K) -> Option<usize>,
        key_at: impl Fn(usize) -> Option<K>,
    ) {
        if self.moved {
            if let Some(at) = self.key.as_ref().and_then(&position) {
                self.index = at;
                return;
            }
        } else {
            self.index = 0;
        }
        self.index = self.index.min(len.saturating_sub(1));
        self.key = key_at(self.index);
    }

    /// Put the cursor on `index` (clamped to `len`): an explicit move by the user.
    pub fn select(&mut self, index: usize, len: usize, key_at: impl Fn(usize) -> Option<K>) {
        self.index = index.min(len.saturating_sub(1));
        self.key = key_at(self.index);
        self.moved = self.index != 0;
    }

    /// Move by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize, len: usize, key_at: impl Fn(usize) -> Option<K>) {
        if len == 0 {
            return;
        }
        let to = (self.index as isize + delta).clamp(0, len as isize - 1) as usize;
        self.select(to, len, key_at);
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn key(&self) -> Option<&K> {
        self.key.as_ref()
    }
}
