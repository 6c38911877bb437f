//! The nested parts of a value (sequences, maps, enums) read through
//! [`Expand`], so every string below the top is expanded too.

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use super::{Expand, State, Visit, Want};

/// A sequence, map, enum or variant whose values are read through
/// [`Expand`] (map keys and variant names are not expanded).
pub(super) struct Access<'s, A> {
    pub(super) inner: A,
    pub(super) state: &'s State<'s>,
}

/// A seed whose deserializer is wrapped in [`Expand`].
struct Seed<'s, S> {
    inner: S,
    state: &'s State<'s>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        let state = self.state;
        self.inner.deserialize(Expand { de: d, state })
    }
}

impl<'s, A> Access<'s, A> {
    fn seed<S>(&self, inner: S) -> Seed<'s, S> {
        Seed {
            inner,
            state: self.state,
        }
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<'_, A> {
    type Error = A::Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let seed = self.seed(seed);
        self.inner.next_element_seed(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<'_, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(seed)
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.next_value_seed(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 's, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<'s, A> {
    type Error = A::Error;
    type Variant = Access<'s, A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let state = self.state;
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            Access {
                inner: variant,
                state,
            },
        ))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<'_, A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.newtype_variant_seed(seed)
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let visitor = Visit {
            inner: visitor,
            state: self.state,
            want: Want::Any,
        };
        self.inner.tuple_variant(len, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = Visit {
            inner: visitor,
            state: self.state,
            want: Want::Any,
        };
        self.inner.struct_variant(fields, visitor)
    }
}
