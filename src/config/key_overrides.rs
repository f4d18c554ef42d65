//! The `[keys]` section of the config as written: unscoped `action = keys` entries and
//! `[keys.CONTEXT]` tables, read with messages that say what was expected.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The `[keys]` config table: `action = "key"` or `["key", …]` rebinds the action in every
/// context that binds it; a `[keys.CONTEXT]` table rebinds actions in that context only.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(transparent)]
pub struct KeyOverrides(pub BTreeMap<String, KeyEntry>);

/// One entry of `[keys]`.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyEntry {
    /// `action = …`: every context.
    Keys(KeyList),
    /// `[keys.CONTEXT]`: action name → keys.
    Context(BTreeMap<String, KeyList>),
}

/// `"key"` or `["key", …]`.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// Reads a [`KeyList`]; with `tables`, a [`KeyEntry`] (a key list, or a table of them).
struct KeysVisitor {
    tables: bool,
}

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = KeyEntry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key (\"ctrl-x\") or a list of keys")?;
        if self.tables {
            f.write_str(", or a table [keys.CONTEXT] of them")?;
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyEntry, E> {
        Ok(KeyEntry::Keys(KeyList::One(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyEntry, A::Error> {
        let mut keys = Vec::new();
        while let Some(k) = seq.next_element::<String>()? {
            keys.push(k);
        }
        Ok(KeyEntry::Keys(KeyList::Many(keys)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyEntry, A::Error> {
        if !self.tables {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        let mut table = BTreeMap::new();
        while let Some((action, keys)) = map.next_entry::<String, KeyList>()? {
            table.insert(action, keys);
        }
        Ok(KeyEntry::Context(table))
    }
}

impl<'de> Deserialize<'de> for KeyEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeysVisitor { tables: true })
    }
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(KeysVisitor { tables: false })? {
            KeyEntry::Keys(keys) => Ok(keys),
            KeyEntry::Context(_) => Err(de::Error::custom("a table is not a key")),
        }
    }
}

impl KeyList {
    pub fn names(&self) -> &[String] {
        match self {
            KeyList::One(k) => std::slice::from_ref(k),
            KeyList::Many(keys) => keys,
        }
    }
}

impl KeyOverrides {
    /// Whether `action` has an unscoped entry.
    pub fn contains_key(&self, action: &str) -> bool {
        matches!(self.0.get(action), Some(KeyEntry::Keys(_)))
    }
}
