//! JSON: `Json<T>` for any serde type and `serde_json::Value`, sent as a quoted JSON
//! document (MySQL parses it into a JSON column) and decoded from a column's JSON text.

/// A value sent and decoded as a JSON document through serde:
/// `cur.execute("INSERT INTO t (doc) VALUES (%s)", (Json(&settings),))`,
/// `let Json(settings): Json<Settings> = row.get("doc")?`.
///
/// The type is always available so that `amysql::Json` names the same thing with and
/// without the `json` feature; its `ToSql`/`FromSql` impls need the feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[cfg(feature = "json")]
mod impls {
    use std::io;

    use serde::de::DeserializeOwned;
    use serde::Serialize;

    use super::Json;
    use crate::error::{Error, Result};
    use crate::protocol::column::Column;
    use crate::value::escape::escape_string_into;
    use crate::value::format::FormatContext;
    use crate::value::from_sql::{non_null, DecodeError, FromSql};
    use crate::value::to_sql::ToSql;
    use crate::value::Value;

    /// Escapes serde_json's output as it is produced, so the document is never
    /// materialised in a separate buffer. Escaping is byte-wise, so chunks that split a
    /// UTF-8 character are handled correctly.
    struct EscapingWriter<'a> {
        out: &'a mut Vec<u8>,
        no_backslash_escapes: bool,
    }

    impl io::Write for EscapingWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            escape_string_into(self.out, buf, self.no_backslash_escapes);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn write_json<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        ctx.check()?;
        out.push(b'\'');
        let writer = EscapingWriter { out: &mut *out, no_backslash_escapes: ctx.no_backslash_escapes() };
        serde_json::to_writer(writer, v).map_err(|e| Error::Encode(format!("cannot serialize JSON: {e}")))?;
        out.push(b'\'');
        Ok(())
    }

    /// JSON text as a string parameter, as the text path sends it as a string literal.
    fn write_json_binary<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) -> super::super::binary::BinaryResult {
        let text = serde_json::to_vec(v).map_err(|e| Error::Encode(format!("cannot serialize JSON: {e}")))?;
        super::super::binary::put_str(&text, out)
    }

    impl<T: Serialize> ToSql for Json<T> {
        fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
            write_json(&self.0, out, ctx)
        }

        fn write_binary(&self, out: &mut Vec<u8>) -> super::super::binary::BinaryResult {
            write_json_binary(&self.0, out)
        }
    }

    impl ToSql for serde_json::Value {
        fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
            write_json(self, out, ctx)
        }

        fn write_binary(&self, out: &mut Vec<u8>) -> super::super::binary::BinaryResult {
            write_json_binary(self, out)
        }
    }

    fn parse<T: DeserializeOwned>(raw: Option<&[u8]>) -> std::result::Result<T, DecodeError> {
        serde_json::from_slice(non_null(raw)?).map_err(|e| DecodeError::new(format!("invalid JSON: {e}")))
    }

    impl<T: DeserializeOwned> FromSql for Json<T> {
        fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
            parse(raw).map(Json)
        }
    }

    impl FromSql for serde_json::Value {
        fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
            parse(raw)
        }
    }

    impl From<serde_json::Value> for Value {
        fn from(v: serde_json::Value) -> Value {
            Value::Json(v.to_string())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::protocol::constants::column_type;
        use serde::Deserialize;

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Settings {
            theme: String,
            size: u32,
        }

        fn lit<T: ToSql>(v: &T, nbe: bool) -> String {
            let mut out = Vec::new();
            v.write_sql(&mut out, &FormatContext::new(nbe, "utf8mb4")).unwrap();
            String::from_utf8(out).unwrap()
        }

        #[test]
        fn json_literals_are_escaped_strings() {
            let s = Settings { theme: "it's \"dark\"".into(), size: 3 };
            assert_eq!(lit(&Json(&s), false), r#"'{\"theme\":\"it\'s \\\"dark\\\"\",\"size\":3}'"#);
            assert_eq!(lit(&Json(&s), true), r#"'{"theme":"it''s \"dark\"","size":3}'"#);
            assert_eq!(lit(&serde_json::json!([1, null]), false), "'[1,null]'");
        }

        #[test]
        fn json_decodes_from_text() {
            let c = Column::new("doc", column_type::JSON, 45, 0);
            let raw = br#"{"theme": "dark", "size": 3}"#;
            let Json(s): Json<Settings> = FromSql::from_sql(Some(raw), &c).unwrap();
            assert_eq!(s, Settings { theme: "dark".into(), size: 3 });
            let v = serde_json::Value::from_sql(Some(b"[1,2]"), &c).unwrap();
            assert_eq!(v, serde_json::json!([1, 2]));
            let e = serde_json::Value::from_sql(Some(b"{"), &c).unwrap_err();
            assert!(e.reason().starts_with("invalid JSON"), "{e}");
            assert!(Json::<Settings>::from_sql(Some(b"[1]"), &c).is_err());
            assert_eq!(serde_json::Value::from_sql(None, &c).unwrap_err().reason(), "unexpected NULL");
            assert_eq!(Value::from(serde_json::json!({"a": 1})), Value::Json(r#"{"a":1}"#.into()));
        }
    }
}
