//! XAPI's JSON as it is: numbers that may come as strings (`"4294967296"`), floats that may
//! be the bare tokens `NaN`, `Infinity` and `-Infinity` (not JSON, but XAPI writes them),
//! and error data that may be a list or a single value.

use serde_json::Value;
use std::borrow::Cow;

/// `text` with every bare `NaN`, `Infinity`, `+Infinity` and `-Infinity` outside a string
/// made a string (`"NaN"`…), so that a JSON parser takes it; [`float`] reads them back.
pub fn quote_special_floats(text: &str) -> Cow<'_, str> {
    const TOKENS: [&str; 4] = ["-Infinity", "+Infinity", "Infinity", "NaN"];
    if !TOKENS.iter().any(|t| text.contains(t)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
        } else if c == '"' {
            in_string = true;
        } else if let Some(t) = TOKENS.iter().find(|t| rest.starts_with(**t)) {
            out.push('"');
            out.push_str(t);
            out.push('"');
            rest = &rest[t.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// An integer given as a JSON number or as a string of digits.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A float given as a number, a numeric string, or one of XAPI's special values.
pub fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" | "+Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

/// A value as text: a string as it is, anything else as its JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// XAPI's error data: a list of parameters, or one value standing alone.
pub fn params(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(text).collect(),
        Some(one) => vec![text(one)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_floats_outside_strings_are_quoted_and_read_back() {
        let raw = r#"{"a": Infinity, "b": -Infinity, "c": NaN, "d": "NaN Infinity", "e": "\"Infinity"}"#;
        let v: Value = serde_json::from_str(&quote_special_floats(raw)).unwrap();
        assert_eq!(float(&v["a"]), Some(f64::INFINITY));
        assert_eq!(float(&v["b"]), Some(f64::NEG_INFINITY));
        assert!(float(&v["c"]).unwrap().is_nan());
        assert_eq!(v["d"], "NaN Infinity");
        assert_eq!(v["e"], "\"Infinity");
    }

    #[test]
    fn integers_come_as_numbers_or_strings() {
        assert_eq!(int(&serde_json::json!(4294967296u64)), Some(4294967296));
        assert_eq!(int(&serde_json::json!("4294967296")), Some(4294967296));
        assert_eq!(int(&serde_json::json!(2.0)), Some(2));
        assert_eq!(int(&serde_json::json!("two")), None);
        assert_eq!(params(Some(&serde_json::json!(["a", 1]))), vec!["a", "1"]);
        assert_eq!(params(Some(&serde_json::json!(2.0))), vec!["2.0"]);
    }
}
