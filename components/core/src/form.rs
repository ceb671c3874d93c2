//! Pydantic-shaped validation of JSON request bodies.
//!
//! FastAPI validates a body model field by field and reports every failure at once as a
//! 422 list (`{"type", "loc": ["body", field], "msg", "input"}`). [`Fields`] does the same
//! for one decoded body object: each accessor records an error instead of failing, and
//! [`Fields::finish`] turns the collected errors into the 422. Lax-mode coercions follow
//! pydantic 2 (`"5"` is an int, `"yes"` a bool).

use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value as Json, json};

/// A body object being validated against a model.
pub struct Fields<'a> {
    raw: &'a Map<String, Json>,
    errors: Vec<Json>,
    /// Where this object sits in the body (`["body"]`, or `["body", "chats", 3]`).
    prefix: Vec<Json>,
}

impl<'a> Fields<'a> {
    /// Starts validating `raw`.
    pub fn new(raw: &'a Map<String, Json>) -> Self {
        Self::at(raw, vec![json!("body")])
    }

    /// Starts validating an object nested in the body at `prefix` (e.g. a list item).
    pub fn at(raw: &'a Map<String, Json>, prefix: Vec<Json>) -> Self {
        Self { raw, errors: Vec::new(), prefix }
    }

    /// The errors recorded so far (to merge the errors of several nested objects).
    pub fn into_errors(self) -> Vec<Json> {
        self.errors
    }

    /// Was the field sent at all (pydantic's `model_fields_set`, `null` included)?
    pub fn is_set(&self, name: &str) -> bool {
        self.raw.contains_key(name)
    }

    fn error(&mut self, kind: &str, name: &str, msg: &str, input: &Json) {
        let mut loc = self.prefix.clone();
        loc.push(json!(name));
        self.errors.push(json!({"type": kind, "loc": loc, "msg": msg, "input": input}));
    }

    fn missing(&mut self, name: &str) {
        let input = Json::Object(self.raw.clone());
        self.error("missing", name, "Field required", &input);
    }

    /// `name: str` (required; `null` is a type error).
    pub fn required_str(&mut self, name: &str) -> String {
        match self.raw.get(name) {
            None => {
                self.missing(name);
                String::new()
            }
            Some(value) => self.string(name, value).unwrap_or_default(),
        }
    }

    /// `name: str | None = None`.
    pub fn optional_str(&mut self, name: &str) -> Option<String> {
        match self.raw.get(name) {
            None | Some(Json::Null) => None,
            Some(value) => self.string(name, value),
        }
    }

    fn string(&mut self, name: &str, value: &Json) -> Option<String> {
        match value {
            Json::String(text) => Some(text.clone()),
            other => {
                self.error("string_type", name, "Input should be a valid string", other);
                None
            }
        }
    }

    /// `name: int | None`: ints, whole floats, bools and numeric strings; values beyond
    /// 64 bits are clamped (SQLite could not page that far anyway).
    pub fn optional_int(&mut self, name: &str) -> Option<i64> {
        let value = self.raw.get(name)?;
        let parsed = match value {
            Json::Null => return None,
            Json::Bool(flag) => Ok(i64::from(*flag)),
            Json::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
                (Some(int), _, _) => Ok(int),
                (None, Some(_), _) => Ok(i64::MAX),
                (None, None, Some(float)) if float.fract() == 0.0 => Ok(float as i64),
                _ => Err(("int_from_float", "Input should be a valid integer, got a number with a fractional part")),
            },
            Json::String(text) => text
                .trim()
                .parse::<i64>()
                .map_err(|_| ("int_parsing", "Input should be a valid integer, unable to parse string as an integer")),
            _ => Err(("int_type", "Input should be a valid integer")),
        };
        match parsed {
            Ok(int) => Some(int),
            Err((kind, msg)) => {
                self.error(kind, name, msg, value);
                None
            }
        }
    }

    /// `name: bool` (required), with pydantic's lax spellings.
    pub fn required_bool(&mut self, name: &str) -> bool {
        let Some(value) = self.raw.get(name) else {
            self.missing(name);
            return false;
        };
        let parsed = match value {
            Json::Bool(flag) => Some(*flag),
            Json::Number(number) => match number.as_f64() {
                Some(0.0) => Some(false),
                Some(1.0) => Some(true),
                _ => None,
            },
            Json::String(text) => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
                "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
                _ => None,
            },
            other => {
                self.error("bool_type", name, "Input should be a valid boolean", other);
                return false;
            }
        };
        parsed.unwrap_or_else(|| {
            self.error("bool_parsing", name, "Input should be a valid boolean, unable to interpret input", value);
            false
        })
    }

    /// `name: bool | None`: `None` when absent or `null`, else as [`Fields::required_bool`].
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.raw.get(name) {
            None | Some(Json::Null) => None,
            Some(_) => Some(self.required_bool(name)),
        }
    }

    /// `name: dict | None = None`.
    pub fn optional_object(&mut self, name: &str) -> Option<Map<String, Json>> {
        match self.raw.get(name) {
            None | Some(Json::Null) => None,
            Some(Json::Object(map)) => Some(map.clone()),
            Some(other) => {
                let other = other.clone();
                self.error("dict_type", name, "Input should be a valid dictionary", &other);
                None
            }
        }
    }

    /// `name: dict` (required; `null` is a type error).
    pub fn required_object(&mut self, name: &str) -> Map<String, Json> {
        match self.raw.get(name) {
            None => {
                self.missing(name);
                Map::new()
            }
            Some(Json::Object(map)) => map.clone(),
            Some(other) => {
                let other = other.clone();
                self.error("dict_type", name, "Input should be a valid dictionary", &other);
                Map::new()
            }
        }
    }

    /// `name: bool = default` (an explicit `null` is a type error).
    pub fn bool_or(&mut self, name: &str, default: bool) -> bool {
        if self.raw.contains_key(name) { self.required_bool(name) } else { default }
    }

    /// `name: int = default` (an explicit `null` is a type error).
    pub fn int_or(&mut self, name: &str, default: i64) -> i64 {
        match self.raw.get(name) {
            None => default,
            Some(Json::Null) => {
                self.error("int_type", name, "Input should be a valid integer", &Json::Null);
                default
            }
            Some(_) => self.optional_int(name).unwrap_or(default),
        }
    }

    /// `name: list[str] = default`: every item must be a string (errors at `[name, index]`).
    pub fn str_list_or(&mut self, name: &str, default: Vec<String>) -> Vec<String> {
        let Some(value) = self.raw.get(name) else { return default };
        let Json::Array(items) = value else {
            let value = value.clone();
            self.error("list_type", name, "Input should be a valid list", &value);
            return default;
        };
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item {
                Json::String(text) => out.push(text.clone()),
                other => self.errors.push(json!({
                    "type": "string_type", "loc": ["body", name, index], "msg": "Input should be a valid string", "input": other,
                })),
            }
        }
        out
    }

    /// `extra='forbid'`: every field outside `allowed` is an `extra_forbidden` error.
    pub fn forbid_extra(&mut self, allowed: &[&str]) {
        let extra: Vec<(String, Json)> = self
            .raw
            .iter()
            .filter(|(key, _)| !allowed.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        for (key, value) in extra {
            self.error("extra_forbidden", &key, "Extra inputs are not permitted", &value);
        }
    }

    /// The 422 for everything recorded, or `Ok` when the body was valid.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::validation(self.errors)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn collects_every_error_in_field_order() {
        let raw = object(json!({"skip": "x", "limit": 1.5, "other": 1}));
        let mut fields = Fields::new(&raw);
        fields.required_str("name");
        fields.optional_int("skip");
        fields.optional_int("limit");
        fields.forbid_extra(&["name", "skip", "limit"]);
        let error = fields.finish().err().unwrap_or_else(|| ApiError::new(200, ""));
        let kinds: Vec<&str> = error.detail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(kinds, ["missing", "int_parsing", "int_from_float", "extra_forbidden"]);
        assert_eq!(error.detail[0]["input"], json!({"skip": "x", "limit": 1.5, "other": 1}));
    }

    #[test]
    fn lax_coercions() {
        let raw = object(json!({"a": "7", "b": true, "c": 3.0, "d": "off", "e": 1, "f": null}));
        let mut fields = Fields::new(&raw);
        assert_eq!(fields.optional_int("a"), Some(7));
        assert_eq!(fields.optional_int("b"), Some(1));
        assert_eq!(fields.optional_int("c"), Some(3));
        assert!(!fields.required_bool("d"));
        assert!(fields.required_bool("e"));
        assert_eq!(fields.optional_str("f"), None);
        assert!(fields.is_set("f"));
        assert_eq!(fields.finish(), Ok(()));
    }

    #[test]
    fn bool_errors() {
        let raw = object(json!({"a": "maybe", "b": [1]}));
        let mut fields = Fields::new(&raw);
        fields.required_bool("a");
        fields.required_bool("b");
        let error = fields.finish().err().unwrap_or_else(|| ApiError::new(200, ""));
        assert_eq!(error.detail[0]["type"], "bool_parsing");
        assert_eq!(error.detail[1]["type"], "bool_type");
    }
}
