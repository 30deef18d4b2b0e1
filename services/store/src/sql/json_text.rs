//! Lists kept as JSON in a TEXT column (translations, images, mentions).
//!
//! sqlx's own `Json<T>` reads only PostgreSQL's JSON types; these columns are TEXT on both
//! backends, so that one SQL text serves both.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A value stored as its JSON text: bind `JsonText(&value)`; read a row field with
/// `#[sqlx(try_from = "JsonText<…>")]`.
pub(crate) struct JsonText<T>(pub T);

impl<T> From<JsonText<Vec<T>>> for Vec<T> {
    fn from(text: JsonText<Vec<T>>) -> Vec<T> {
        text.0
    }
}

impl From<JsonText<crate::AccountProfile>> for crate::AccountProfile {
    fn from(text: JsonText<crate::AccountProfile>) -> crate::AccountProfile {
        text.0
    }
}

impl<DB: Database, T> Type<DB> for JsonText<T>
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database, T: DeserializeOwned> Decode<'r, DB> for JsonText<T>
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(JsonText(serde_json::from_str(<&str as Decode<DB>>::decode(value)?)?))
    }
}

impl<'q, DB: Database, T: Serialize> Encode<'q, DB> for JsonText<T>
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<DB>>::encode(serde_json::to_string(&self.0)?, buf)
    }
}
