//! Stripe's form encoding: `application/x-www-form-urlencoded` bodies whose keys use bracket
//! notation (`line_items[0][price_data][unit_amount]=1200`), parsed into a JSON tree so the API
//! can validate it and tests can assert on exactly what a client sent.
//!
//! Values stay strings, as on the wire: Stripe's form encoding carries no types, and keeping them
//! as sent lets a test see e.g. that an amount went out as `"1200"`.

use serde_json::{Map, Value};

/// Why a form body could not be turned into a parameter tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid form parameter `{key}`: {reason}")]
pub struct FormError {
    /// The key as it appeared on the wire (decoded).
    pub key: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses a form-encoded body (or query string) with bracket notation into a JSON object.
///
/// Objects whose keys are all array indices become arrays, ordered by index; `key[]=v` appends.
pub fn parse(input: &[u8]) -> Result<Value, FormError> {
    let mut root = Value::Object(Map::new());
    for (key, value) in form_urlencoded::parse(input) {
        if key.is_empty() {
            continue;
        }
        let segments = split_key(&key).ok_or_else(|| FormError {
            key: key.to_string(),
            reason: "malformed brackets",
        })?;
        insert(&mut root, &segments, value.into_owned()).map_err(|reason| FormError {
            key: key.to_string(),
            reason,
        })?;
    }
    Ok(arrays_from_index_maps(root))
}

/// `a[b][0]` → `["a", "b", "0"]`; `a[]` → `["a", ""]` (empty segment means "append").
fn split_key(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut segments = vec![head.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        segments.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    Some(segments)
}

fn insert(node: &mut Value, segments: &[String], value: String) -> Result<(), &'static str> {
    let Value::Object(map) = node else {
        return Err("used both as a value and as a nested parameter");
    };
    let (first, rest) = segments.split_first().ok_or("empty key")?;
    let key = if first.is_empty() {
        // `[]` appends: the next free index among existing numeric keys.
        map.keys()
            .filter_map(|k| k.parse::<usize>().ok())
            .max()
            .map_or(0, |m| m + 1)
            .to_string()
    } else {
        first.clone()
    };
    if rest.is_empty() {
        if map.contains_key(&key) {
            return Err("given more than once");
        }
        map.insert(key, Value::String(value));
        Ok(())
    } else {
        let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        insert(child, rest, value)
    }
}

fn arrays_from_index_maps(node: Value) -> Value {
    match node {
        Value::Object(map) => {
            let all_indices = !map.is_empty() && map.keys().all(|k| is_index(k));
            if all_indices {
                let mut items: Vec<(usize, Value)> = map
                    .into_iter()
                    .filter_map(|(k, v)| k.parse::<usize>().ok().map(|i| (i, v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(
                    items
                        .into_iter()
                        .map(|(_, v)| arrays_from_index_maps(v))
                        .collect(),
                )
            } else {
                Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, arrays_from_index_maps(v)))
                        .collect(),
                )
            }
        }
        other => other,
    }
}

fn is_index(key: &str) -> bool {
    !key.is_empty() && key.len() <= 6 && key.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_brackets_become_objects_and_arrays() {
        let body = b"mode=payment&line_items[0][price_data][unit_amount]=1200\
&line_items[0][quantity]=2&line_items[1][quantity]=1&metadata[order]=A%2BB+C";
        let parsed = parse(body).unwrap();
        assert_eq!(
            parsed,
            json!({
                "mode": "payment",
                "line_items": [
                    {"price_data": {"unit_amount": "1200"}, "quantity": "2"},
                    {"quantity": "1"}
                ],
                "metadata": {"order": "A+B C"}
            })
        );
    }

    #[test]
    fn percent_encoded_brackets_are_understood() {
        let parsed = parse(b"expand%5B0%5D=line_items").unwrap();
        assert_eq!(parsed, json!({"expand": ["line_items"]}));
    }

    #[test]
    fn empty_brackets_append() {
        let parsed = parse(b"expand[]=a&expand[]=b").unwrap();
        assert_eq!(parsed, json!({"expand": ["a", "b"]}));
    }

    #[test]
    fn indices_sort_numerically() {
        let mut body = String::new();
        for i in (0..12).rev() {
            body.push_str(&format!("a[{i}]={i}&"));
        }
        let parsed = parse(body.as_bytes()).unwrap();
        let expected: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        assert_eq!(parsed, json!({ "a": expected }));
    }

    #[test]
    fn scalar_and_nested_use_of_one_key_is_refused() {
        let err = parse(b"a=1&a[b]=2").unwrap_err();
        assert_eq!(err.key, "a[b]");
        assert!(parse(b"a=1&a=2").is_err());
        assert!(parse(b"a[b=1").is_err());
        assert!(parse(b"[x]=1").is_err());
    }
}
