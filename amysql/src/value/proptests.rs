//! Property tests across the module: no input makes a decoder panic, and no value can
//! leave its literal in a formatted query.

use proptest::prelude::*;

use super::escape::model::parse_literal;
use super::*;
use crate::protocol::column::Column;
use crate::protocol::constants::{column_flag, column_type as ty};

const TYPES: &[u8] = &[
    ty::DECIMAL,
    ty::TINY,
    ty::SHORT,
    ty::LONG,
    ty::FLOAT,
    ty::DOUBLE,
    ty::NULL,
    ty::TIMESTAMP,
    ty::LONGLONG,
    ty::INT24,
    ty::DATE,
    ty::TIME,
    ty::DATETIME,
    ty::YEAR,
    ty::NEWDATE,
    ty::VARCHAR,
    ty::BIT,
    ty::JSON,
    ty::NEWDECIMAL,
    ty::ENUM,
    ty::SET,
    ty::BLOB,
    ty::VAR_STRING,
    ty::STRING,
    ty::GEOMETRY,
    99,
];

/// Decodes `raw` into every `FromSql` type; the point is that none of them panics.
fn decode_all(raw: Option<&[u8]>, c: &Column) {
    fn d<T: FromSql>(raw: Option<&[u8]>, c: &Column) {
        let _ = decode_column::<T>(raw, c, 0);
        let _ = decode_column::<Option<T>>(raw, c, 0);
        let _ = decode_column::<ZeroDateAsNone<T>>(raw, c, 0);
    }
    d::<bool>(raw, c);
    d::<i8>(raw, c);
    d::<i16>(raw, c);
    d::<i32>(raw, c);
    d::<i64>(raw, c);
    d::<isize>(raw, c);
    d::<u8>(raw, c);
    d::<u16>(raw, c);
    d::<u32>(raw, c);
    d::<u64>(raw, c);
    d::<usize>(raw, c);
    d::<f32>(raw, c);
    d::<f64>(raw, c);
    d::<String>(raw, c);
    d::<Vec<u8>>(raw, c);
    d::<Value>(raw, c);
    d::<Date>(raw, c);
    d::<DateTime>(raw, c);
    d::<Time>(raw, c);
    #[cfg(feature = "chrono")]
    {
        d::<chrono::NaiveDate>(raw, c);
        d::<chrono::NaiveTime>(raw, c);
        d::<chrono::NaiveDateTime>(raw, c);
        d::<chrono::DateTime<chrono::Utc>>(raw, c);
        d::<chrono::TimeDelta>(raw, c);
    }
    #[cfg(feature = "time")]
    {
        d::<::time::Date>(raw, c);
        d::<::time::Time>(raw, c);
        d::<::time::PrimitiveDateTime>(raw, c);
        d::<::time::OffsetDateTime>(raw, c);
        d::<::time::Duration>(raw, c);
    }
    #[cfg(feature = "uuid")]
    d::<uuid::Uuid>(raw, c);
    #[cfg(feature = "rust_decimal")]
    d::<rust_decimal::Decimal>(raw, c);
    #[cfg(feature = "json")]
    {
        d::<serde_json::Value>(raw, c);
        d::<Json<Vec<i32>>>(raw, c);
    }
}

/// Bytes that look like server text often enough to reach the deeper parser paths.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        "[-+0-9:. e]{0,30}".prop_map(String::into_bytes),
        "-?[0-9]{1,4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,7})?)?".prop_map(String::into_bytes),
    ]
}

/// Reads back a formatted `(lit,lit,...)` list with the lexer model.
fn parse_list(mut s: &[u8], nbe: bool) -> Option<(Vec<Vec<u8>>, &[u8])> {
    s = s.strip_prefix(b"(")?;
    let mut items = Vec::new();
    loop {
        let (item, rest) = parse_literal(s, nbe)?;
        items.push(item);
        match rest.split_first()? {
            (b',', rest) => s = rest,
            (b')', rest) => return Some((items, rest)),
            _ => return None,
        }
    }
}

proptest! {
    #[test]
    fn no_decoder_panics(raw in cell(), t in proptest::sample::select(TYPES), unsigned: bool, binary: bool, null: bool) {
        let flags = if unsigned { column_flag::UNSIGNED } else { 0 };
        let c = Column::new("c", t, if binary { 63 } else { 45 }, flags);
        decode_all(if null { None } else { Some(&raw) }, &c);
    }

    #[test]
    fn decoded_values_round_trip_through_literals(raw in cell(), t in proptest::sample::select(TYPES)) {
        // Whatever decodes into a Value must be writable again, and decode back the same.
        let c = Column::new("c", t, 45, 0);
        if let Ok(v) = Value::from_sql(Some(&raw), &c) {
            let lit = escape_value(&v, &FormatContext::default());
            if let (Value::Int(_) | Value::UInt(_) | Value::Decimal(_), Ok(lit)) = (&v, &lit) {
                prop_assert_eq!(Value::from_sql(Some(lit.as_bytes()), &c).ok(), Some(v.clone()));
            }
            let is_nan = matches!(v, Value::Float(f) if !f.is_finite()) || matches!(v, Value::Double(f) if !f.is_finite());
            prop_assert!(lit.is_ok() || is_nan, "{:?} -> {:?}", v, lit);
        }
    }

    #[test]
    fn formatted_strings_stay_inside_their_literals(
        a in ".{0,40}",
        b in proptest::collection::vec(any::<u8>(), 0..40),
        list in proptest::collection::vec("[\\\\'\"a\\x00]{0,6}", 1..5),
        nbe: bool,
    ) {
        let ctx = FormatContext::new(nbe, "utf8mb4");
        let mut out = Vec::new();
        format_query("A %s B %s C %s D", &(&a, &b, &list), &ctx, &mut out).unwrap();
        let rest = out.strip_prefix(b"A ").unwrap();
        let (got_a, rest) = parse_literal(rest, nbe).unwrap();
        prop_assert_eq!(got_a, a.as_bytes());
        let rest = rest.strip_prefix(b" B ").unwrap();
        let (got_b, rest) = parse_literal(rest, nbe).unwrap();
        prop_assert_eq!(got_b, b);
        let rest = rest.strip_prefix(b" C ").unwrap();
        let (got_list, rest) = parse_list(rest, nbe).unwrap();
        let want: Vec<Vec<u8>> = list.iter().map(|s| s.clone().into_bytes()).collect();
        prop_assert_eq!(got_list, want);
        prop_assert_eq!(rest, b" D");
    }

    #[test]
    fn template_parser_never_panics(sql in "[%s()a-z ']{0,30}") {
        let _ = SqlTemplate::parse(&sql);
        let mut out = Vec::new();
        let _ = format_query(&sql, &(1, "x"), &FormatContext::default(), &mut out);
        let _ = format_query(&sql, &crate::params! {"a" => 1}, &FormatContext::default(), &mut out);
    }

    #[test]
    fn qmark_templates_give_the_sql_back(sql in "[?%s()a '\"`#*/!\\\n-]{0,40}") {
        let mut out = Vec::new();
        let _ = format_query(&sql, &(1, "x"), &FormatContext::default(), &mut out);
        let _ = format_query(&sql, &(), &FormatContext::default(), &mut out);
        if let Ok(t) = SqlTemplate::parse(&sql) {
            if t.is_qmark() {
                // Literal pieces are the text as written, one `?` per placeholder between them.
                let joined: String = t.pieces().iter().map(|p| match p {
                    Piece::Literal(text) => *text,
                    _ => "?",
                }).collect();
                prop_assert_eq!(joined, sql);
            }
        }
    }

    #[test]
    fn integers_round_trip(v: i64, u: u64) {
        let c = Column::new("c", ty::LONGLONG, 63, 0);
        let lit = escape_value(&v, &FormatContext::default()).unwrap();
        prop_assert_eq!(decode_column::<i64>(Some(lit.as_bytes()), &c, 0).unwrap(), v);
        let lit = escape_value(&u, &FormatContext::default()).unwrap();
        prop_assert_eq!(decode_column::<u64>(Some(lit.as_bytes()), &c, 0).unwrap(), u);
    }

    #[test]
    fn floats_round_trip(v in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
        let lit = escape_value(&v, &FormatContext::default()).unwrap();
        prop_assert!(lit.contains('e'));
        let c = Column::new("c", ty::DOUBLE, 63, 0);
        prop_assert_eq!(decode_column::<f64>(Some(lit.as_bytes()), &c, 0).unwrap().to_bits(), v.to_bits());
    }
}
