//! Request-body validation against Discord's official OpenAPI 3.1 description
//! (`tests/fixtures/discord-openapi.json`, JSON Schema 2020-12 dialect).
//!
//! Each operation's request schema is compiled once, lazily, into a document that also carries
//! the spec's whole `components` object at its root, so `#/components/schemas/...` references
//! resolve locally. The validator is built `offline()`: no reference is ever fetched over the
//! network or from the file system.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, JsonType, ValidationError, Validator};
use serde_json::Value;

/// The fixture copy of Discord's OpenAPI description, relative to the crate root.
pub const OPENAPI_FIXTURE: &str = "tests/fixtures/discord-openapi.json";

const API_PREFIX: &str = "/api/v10";
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

struct PathTemplate {
    template: String,
    segments: Vec<Segment>,
}

/// One operation that matched a concrete path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedOperation {
    /// The spec's path template, e.g. `/interactions/{interaction_id}/{interaction_token}/callback`.
    pub template: String,
    /// Lower-case HTTP method as written in the spec.
    pub method: String,
    pub operation_id: Option<String>,
}

/// Discord's OpenAPI description, ready to validate request bodies.
pub struct OpenApi {
    doc: Arc<Value>,
    templates: Vec<PathTemplate>,
    cache: Mutex<HashMap<String, Arc<Validator>>>,
}

impl OpenApi {
    /// Loads `tests/fixtures/discord-openapi.json` (never the shared copy).
    pub fn load() -> OpenApi {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(OPENAPI_FIXTURE);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        OpenApi::from_value(doc)
    }

    /// Builds a validator from an already parsed OpenAPI document.
    pub fn from_value(doc: Value) -> OpenApi {
        let templates = doc
            .get("paths")
            .and_then(Value::as_object)
            .map(|paths| {
                paths
                    .keys()
                    .map(|template| PathTemplate {
                        template: template.clone(),
                        segments: split(template)
                            .map(|s| {
                                if s.starts_with('{') && s.ends_with('}') {
                                    Segment::Param
                                } else {
                                    Segment::Literal(s.to_string())
                                }
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        OpenApi {
            doc: Arc::new(doc),
            templates,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The `info.version` of the loaded description.
    pub fn version(&self) -> String {
        self.doc["info"]["version"]
            .as_str()
            .unwrap_or("?")
            .to_string()
    }

    /// Finds the operation for `method` + `path`. `path` may carry the `/api/v10` prefix and a
    /// query string. Among matching templates the one with the most literal segments wins, so
    /// `/messages/@original` beats `/messages/{message_id}`.
    pub fn find_operation(&self, method: &str, path: &str) -> Result<MatchedOperation, String> {
        let template = self.match_template(path)?;
        let method_lc = method.to_ascii_lowercase();
        let item = &self.doc["paths"][template.as_str()];
        match item.get(method_lc.as_str()) {
            Some(op) if op.is_object() => Ok(MatchedOperation {
                template,
                method: method_lc,
                operation_id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            _ => {
                let known: Vec<String> = METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_ascii_uppercase())
                    .collect();
                Err(format!(
                    "{} {}: the spec's path {} has no {} operation (it has {})",
                    method.to_ascii_uppercase(),
                    path,
                    template,
                    method.to_ascii_uppercase(),
                    known.join(", ")
                ))
            }
        }
    }

    fn match_template(&self, path: &str) -> Result<String, String> {
        let bare = normalize(path);
        let parts: Vec<&str> = split(&bare).collect();
        let mut best: Option<(&PathTemplate, usize)> = None;
        for t in &self.templates {
            if t.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let ok = t.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                Segment::Param => !part.is_empty(),
                Segment::Literal(l) => {
                    literals += 1;
                    l == part
                }
            });
            if ok && best.is_none_or(|(_, n)| literals > n) {
                best = Some((t, literals));
            }
        }
        best.map(|(t, _)| t.template.clone())
            .ok_or_else(|| format!("{path}: no path of the OpenAPI description matches {bare}"))
    }

    /// Validates the JSON body of a request against the `requestBody` schema of the operation
    /// matching `method` + `path` (`application/json` when the spec has it, otherwise
    /// `multipart/form-data`, whose schema describes the form fields that Discord reads from
    /// `payload_json`). `Value::Null` stands for "no body". Returns readable messages: instance
    /// path + error, with the errors of every `anyOf`/`oneOf` alternative underneath.
    pub fn validate(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        self.validate_as(method, path, body, None)
    }

    /// Like [`Self::validate`] but picks the request body schema for `content_type` (e.g. a
    /// recorded request's `raw_content_type`; parameters after `;` are ignored).
    pub fn validate_as(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        content_type: Option<&str>,
    ) -> Result<(), String> {
        let op = self.find_operation(method, path)?;
        let op_value = &self.doc["paths"][op.template.as_str()][op.method.as_str()];
        let what = format!(
            "{} {} ({})",
            op.method.to_ascii_uppercase(),
            path,
            op.template
        );
        let Some(request_body) = op_value.get("requestBody") else {
            return if body.is_null() {
                Ok(())
            } else {
                Err(format!(
                    "{what}: the operation takes no request body, got {body}"
                ))
            };
        };
        if body.is_null() {
            return if request_body.get("required") == Some(&Value::Bool(true)) {
                Err(format!("{what}: a request body is required, none was sent"))
            } else {
                Ok(())
            };
        }
        let content = request_body
            .get("content")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{what}: requestBody has no content"))?;
        let wanted = content_type
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|c| !c.is_empty() && content.contains_key(c.as_str()));
        let media = wanted
            .or_else(|| {
                ["application/json", "multipart/form-data"]
                    .iter()
                    .find(|m| content.contains_key(**m))
                    .map(|m| m.to_string())
            })
            .or_else(|| content.keys().next().cloned())
            .ok_or_else(|| format!("{what}: requestBody has no media type"))?;
        let key = format!("{} {} {}", op.method, op.template, media);
        let validator = self.validator(&key, || content[media.as_str()]["schema"].clone())?;
        let errors: Vec<ValidationError> = validator.iter_errors(body).collect();
        if errors.is_empty() {
            return Ok(());
        }
        let mut out = format!("{what}: body does not match the {media} schema:\n");
        for e in &errors {
            describe(e, 1, &mut out);
        }
        Err(out.trim_end().to_string())
    }

    fn validator(
        &self,
        key: &str,
        schema: impl FnOnce() -> Value,
    ) -> Result<Arc<Validator>, String> {
        if let Some(v) = self.cache.lock().unwrap().get(key) {
            return Ok(v.clone());
        }
        let mut root = serde_json::Map::new();
        root.insert(
            "$schema".into(),
            Value::String("https://json-schema.org/draft/2020-12/schema".into()),
        );
        root.insert(
            "$id".into(),
            Value::String("urn:kiosque:discord-openapi".into()),
        );
        root.insert("components".into(), self.doc["components"].clone());
        match schema() {
            Value::Object(map) => {
                for (k, v) in map {
                    root.insert(k, v);
                }
            }
            other => {
                root.insert("allOf".into(), Value::Array(vec![other]));
            }
        }
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .offline()
            .build(&Value::Object(root))
            .map_err(|e| format!("{key}: cannot compile the schema: {e}"))?;
        let validator = Arc::new(validator);
        self.cache
            .lock()
            .unwrap()
            .insert(key.to_string(), validator.clone());
        Ok(validator)
    }
}

/// Rewrites the parts of a request body where serenity 0.12.5 and Discord agree but the OpenAPI
/// description is stricter, so a strict validation does not drown real problems:
///
/// - new attachments in `attachments` (top level or under `data`) carry placeholder ids that
///   serenity serializes as integers (`{"id": 0, "filename": "a.txt"}`), the index of the
///   matching `files[n]` form part, as Discord's documentation describes; the spec types every
///   attachment id as a snowflake string. Integer ids become strings here.
pub fn normalize_known_quirks(body: &Value) -> Value {
    fn fix_attachments(v: &mut Value) {
        if let Some(list) = v.get_mut("attachments").and_then(Value::as_array_mut) {
            for a in list {
                if let Some(n) = a.get("id").and_then(Value::as_u64) {
                    a["id"] = Value::String(n.to_string());
                }
            }
        }
    }
    let mut body = body.clone();
    if body.is_object() {
        fix_attachments(&mut body);
        if body.get("data").is_some_and(Value::is_object) {
            fix_attachments(&mut body["data"]);
        }
    }
    body
}

fn normalize(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.strip_prefix(API_PREFIX).unwrap_or(path);
    let path = path.trim_end_matches('/');
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn location(e: &ValidationError) -> String {
    let p = e.instance_path().to_string();
    if p.is_empty() {
        "(root)".to_string()
    } else {
        p
    }
}

/// Writes one error, and for `anyOf`/`oneOf` the errors of each alternative, indented. An
/// alternative that failed only because the value is not `null` (the spec's way of writing
/// "nullable") is left out as noise.
fn describe(e: &ValidationError, depth: usize, out: &mut String) {
    const MAX_DEPTH: usize = 6;
    let indent = "  ".repeat(depth);
    let context = match e.kind() {
        ValidationErrorKind::AnyOf { context }
        | ValidationErrorKind::OneOfNotValid { context }
        | ValidationErrorKind::OneOfMultipleValid { context } => Some(context),
        _ => None,
    };
    match context {
        Some(branches) if depth < MAX_DEPTH => {
            let keyword = e.kind().keyword();
            let multiple = matches!(e.kind(), ValidationErrorKind::OneOfMultipleValid { .. });
            let summary = if multiple {
                "valid under more than one alternative".to_string()
            } else {
                "no alternative matches".to_string()
            };
            out.push_str(&format!(
                "{indent}- {}: {keyword}: {summary}\n",
                location(e)
            ));
            for (i, branch) in branches.iter().enumerate() {
                let null_only = !branch.is_empty()
                    && branch.iter().all(|b| {
                        matches!(
                            b.kind(),
                            ValidationErrorKind::Type {
                                kind: TypeKind::Single(JsonType::Null)
                            }
                        )
                    });
                if null_only || branch.is_empty() {
                    continue;
                }
                out.push_str(&format!("{indent}  alternative {i}:\n"));
                for b in branch.iter().take(8) {
                    describe(b, depth + 2, out);
                }
            }
        }
        _ => {
            let msg = e.to_string();
            let msg = if msg.len() > 300 {
                let mut cut = 300;
                while !msg.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}…", &msg[..cut])
            } else {
                msg
            };
            out.push_str(&format!("{indent}- {}: {msg}\n", location(e)));
        }
    }
}
