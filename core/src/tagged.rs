//! Decoding `{"type": "...", ...fields}` objects (commands, events, queries) without serde's
//! buffering of internally tagged enums: when `type` comes first — as the engine always
//! writes it — the remaining fields are handed straight to a derived, externally tagged
//! mirror of the enum (so field paths and errors stay exact); otherwise the object is
//! buffered once and decoded the same way.

use crate::decode::Text;
use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The rest of a tagged object, presented as an externally tagged enum value.
struct Rest<'v, A> {
    /// Borrowed from the input when it has no escapes (no copy, as the engine writes it).
    variant: Cow<'v, str>,
    map: A,
}

impl<'de, A: MapAccess<'de>> de::Deserializer<'de> for Rest<'_, A> {
    type Error = A::Error;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, A::Error> {
        v.visit_enum(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, A::Error> {
        v.visit_enum(self)
    }
    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de, 'v, A: MapAccess<'de>> EnumAccess<'de> for Rest<'v, A> {
    type Error = A::Error;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), A::Error> {
        let d: StrDeserializer<'_, A::Error> = self.variant.as_ref().into_deserializer();
        let v = seed.deserialize(d)?;
        Ok((v, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Rest<'_, A> {
    type Error = A::Error;
    fn unit_variant(mut self) -> Result<(), A::Error> {
        // A unit variant has no fields: any left is unknown.
        match self.map.next_key::<Cow<'de, str>>()? {
            None => Ok(()),
            Some(k) => Err(de::Error::unknown_field(&k, &[])),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        // A struct variant with a flattened field is read as a newtype over its map.
        seed.deserialize(MapAccessDeserializer::new(self.map))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("a tagged object cannot hold a tuple variant"))
    }
    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        v.visit_map(self.map)
    }
}

/// Visits a tagged object and decodes it through the mirror `M`.
pub(crate) struct TaggedVisitor<M> {
    pub expecting: &'static str,
    pub tag: &'static str,
    pub mirror: PhantomData<M>,
}

impl<'de, M: DeserializeOwned> Visitor<'de> for TaggedVisitor<M> {
    type Value = M;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let Some(Text(first)) = map.next_key::<Text<'de>>()? else {
            return Err(de::Error::missing_field(self.tag));
        };
        if first == self.tag {
            let Text(variant) = map.next_value()?;
            return M::deserialize(Rest { variant, map });
        }
        // The tag is not first: read the object once, then decode it the same way.
        let mut rest = serde_json::Map::new();
        rest.insert(first.into_owned(), map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            rest.insert(k, v);
        }
        let Some(serde_json::Value::String(variant)) = rest.remove(self.tag) else {
            return Err(de::Error::missing_field(self.tag));
        };
        let mut outer = serde_json::Map::new();
        outer.insert(variant, serde_json::Value::Object(rest));
        M::deserialize(serde_json::Value::Object(outer)).map_err(de::Error::custom)
    }
}

/// Declares an enum serialised as a tagged object (`{"type": "snake_case_variant", ...}`),
/// with a derived externally tagged mirror that decodes it quickly (see the module docs).
macro_rules! tagged_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident / $mirror:ident ($expecting:literal) {
            $( $(#[$vmeta:meta])* $variant:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? } ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant { $( $(#[$fmeta])* $field: $ty ),* } ),*
        }

        /// The same variants, externally tagged: what the decoder reads the fields with.
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        #[allow(dead_code, missing_docs, clippy::large_enum_variant)]
        pub(crate) enum $mirror {
            $( $variant { $( $(#[$fmeta])* $field: $ty ),* } ),*
        }

        impl From<$mirror> for $name {
            fn from(m: $mirror) -> $name {
                match m {
                    $( $mirror::$variant { $( $field ),* } => $name::$variant { $( $field ),* } ),*
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($crate::tagged::TaggedVisitor::<$mirror> {
                    expecting: $expecting,
                    tag: "type",
                    mirror: std::marker::PhantomData,
                })
                .map($name::from)
            }
        }
    };
}

pub(crate) use tagged_enum;
