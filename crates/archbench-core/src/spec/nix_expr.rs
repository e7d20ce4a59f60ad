//! The small subset of the Nix language a Nixpkgs `config` needs: attribute sets (with dotted
//! keys), lists, strings, booleans, integers, `#` and `/* */` comments. Values keep their byte
//! offset so that errors point at a column.

use crate::diagnostic::ParseError;

/// A parsed value with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub offset: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    List(Vec<Spanned>),
    /// Bindings in source order; dotted keys are already nested.
    Attrs(Vec<(String, Spanned)>),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::List(_) => "a list",
            Value::Attrs(_) => "an attribute set",
        }
    }
}

/// Parses `text` as one Nix value (normally an attribute set).
pub fn parse(text: &str) -> Result<Spanned, ParseError> {
    let mut p = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.skip_ws()?;
    if p.pos < text.len() {
        return Err(p.err("unexpected text after the end of the expression"));
    }
    Ok(v)
}

/// Deepest nesting of lists and attribute sets accepted (a config needs 3; the limit keeps
/// hostile input from overflowing the stack).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.text, self.pos, msg)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'#') => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.text[self.pos..].starts_with("/*") => {
                    let start = self.pos;
                    match self.text[self.pos + 2..].find("*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => {
                            self.pos = start;
                            return Err(self.err("unterminated `/*` comment"));
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), ParseError> {
        self.skip_ws()?;
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(format!("expected {what}, found {}", self.found())))
        }
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "the end of the input".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self) -> Result<Spanned, ParseError> {
        self.skip_ws()?;
        let offset = self.pos;
        let value = match self.peek() {
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => {
                return Err(self.err(format!("nested deeper than {MAX_DEPTH} levels")));
            }
            Some(b'{') => {
                self.depth += 1;
                let v = self.attrs();
                self.depth -= 1;
                v?
            }
            Some(b'[') => {
                self.depth += 1;
                let v = self.list();
                self.depth -= 1;
                v?
            }
            Some(b'"') => Value::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.int()?,
            Some(c) if is_ident_start(c) => {
                let id = self.ident();
                match id {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        self.pos = offset;
                        return Err(self.err(format!(
                            "`{id}` is outside the supported Nix subset (attribute sets, lists, strings, booleans, integers)"
                        )));
                    }
                }
            }
            _ => return Err(self.err(format!("expected a value, found {}", self.found()))),
        };
        Ok(Spanned { offset, value })
    }

    fn ident(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn int(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.text[start..self.pos]
            .parse()
            .map(Value::Int)
            .map_err(|_| {
                self.pos = start;
                self.err("not an integer")
            })
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                self.pos = start;
                return Err(self.err("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.text[self.pos..].chars().next() else {
                        self.pos = start;
                        return Err(self.err("unterminated string"));
                    };
                    self.pos += e.len_utf8();
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                '$' if self.peek() == Some(b'{') => {
                    self.pos -= 1;
                    return Err(
                        self.err("string interpolation `${…}` is outside the supported Nix subset")
                    );
                }
                c => out.push(c),
            }
        }
    }

    fn list(&mut self) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::List(items));
            }
            if self.peek().is_none() {
                return Err(self.err("unterminated list: expected `]`"));
            }
            items.push(self.value()?);
        }
    }

    fn attrs(&mut self) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut out: Vec<(String, Spanned)> = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Attrs(out));
                }
                None => return Err(self.err("unterminated attribute set: expected `}`")),
                _ => {}
            }
            let key_offset = self.pos;
            let mut path = vec![self.key()?];
            loop {
                self.skip_ws()?;
                if self.peek() == Some(b'.') {
                    // Every dotted segment is one more level of nesting: it counts toward
                    // the limit (and bounds `insert`'s recursion).
                    if self.depth + path.len() >= MAX_DEPTH {
                        return Err(self.err(format!(
                            "nested deeper than {MAX_DEPTH} levels (dotted attribute names count)"
                        )));
                    }
                    self.pos += 1;
                    self.skip_ws()?;
                    path.push(self.key()?);
                } else {
                    break;
                }
            }
            self.expect(b'=', "`=`")?;
            let extra = path.len() - 1;
            self.depth += extra;
            let value = self.value();
            self.depth -= extra;
            let value = value?;
            self.expect(b';', "`;` after the value")?;
            insert(&mut out, &path, value, key_offset)
                .map_err(|m| ParseError::at(self.text, key_offset, m))?;
        }
    }

    fn key(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(c) if is_ident_start(c) => Ok(self.ident().to_string()),
            _ => Err(self.err(format!(
                "expected an attribute name, found {}",
                self.found()
            ))),
        }
    }
}

fn insert(
    attrs: &mut Vec<(String, Spanned)>,
    path: &[String],
    value: Spanned,
    offset: usize,
) -> Result<(), String> {
    let (head, rest) = match path.split_first() {
        Some(x) => x,
        None => return Ok(()),
    };
    let existing = attrs.iter_mut().find(|(k, _)| k == head);
    if rest.is_empty() {
        if existing.is_some() {
            return Err(format!("attribute `{head}` already defined"));
        }
        attrs.push((head.clone(), value));
        return Ok(());
    }
    match existing {
        Some((
            _,
            Spanned {
                value: Value::Attrs(inner),
                ..
            },
        )) => insert(inner, rest, value, offset),
        Some(_) => Err(format!("attribute `{head}` already defined")),
        None => {
            let mut inner = Vec::new();
            insert(&mut inner, rest, value, offset)?;
            attrs.push((
                head.clone(),
                Spanned {
                    offset,
                    value: Value::Attrs(inner),
                },
            ));
            Ok(())
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_config() {
        let t = r#"{ cudaSupport = true; /* c */ cudaCapabilities = [ "8.9" "9.0" ]; # x
            config.cudaForwardCompat = false; n = -3; }"#;
        let v = parse(t).unwrap();
        let Value::Attrs(a) = v.value else { panic!() };
        assert_eq!(a[0].0, "cudaSupport");
        assert_eq!(a[0].1.value, Value::Bool(true));
        let Value::List(l) = &a[1].1.value else {
            panic!()
        };
        assert_eq!(l[1].value, Value::Str("9.0".into()));
        let Value::Attrs(c) = &a[2].1.value else {
            panic!()
        };
        assert_eq!(c[0].1.value, Value::Bool(false));
        assert_eq!(a[3].1.value, Value::Int(-3));
    }

    /// Deep nesting by any route is refused with a message, never a stack overflow: 60 000
    /// dotted segments, 60 000 braces, and dotted names inside nested sets.
    #[test]
    fn nesting_is_bounded_whatever_spells_it() {
        let dotted = format!("{{ {} = 1; }}", vec!["a"; 60_000].join("."));
        let e = parse(&dotted).unwrap_err();
        assert!(e.message.contains("nested deeper than 64"), "{e:?}");
        let braces = format!("{}{}", "{ a = ".repeat(60_000), "1;");
        assert!(parse(&braces)
            .unwrap_err()
            .message
            .contains("nested deeper"));
        let nest = |n: usize, inner: &str| {
            format!(
                "{}{{ {inner} = 1; }}{}",
                "{ x = ".repeat(n),
                "; }".repeat(n)
            )
        };
        assert!(parse(&nest(30, &vec!["b"; 30].join("."))).is_ok());
        let mixed = nest(39, &vec!["b"; 30].join("."));
        assert!(parse(&mixed).unwrap_err().message.contains("nested deeper"));
        // Just inside the limit still parses.
        let ok = format!("{{ {} = 1; }}", vec!["a"; 60].join("."));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn errors_point_at_columns() {
        let e = parse(r#"{ cudaCapabilities = [ "8.9" ; }"#).unwrap_err();
        assert_eq!(e.column, 30, "{e:?}");
        let e = parse(r#"{ a = true }"#).unwrap_err();
        assert!(e.message.contains("`;`"), "{e:?}");
        assert_eq!(e.column, 12);
        let e = parse(r#"{ a = "x"#).unwrap_err();
        assert_eq!(e.column, 7);
        assert!(parse("{ a = b; }").unwrap_err().message.contains("subset"));
        assert!(parse("{ a = 1; a = 2; }")
            .unwrap_err()
            .message
            .contains("already"));
        assert!(parse("{ } x").is_err());
        assert!(parse("/* x").is_err());
        let deep = format!("{{a={}", "[".repeat(200_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested deeper"), "{e:?}");
        assert!(parse(&format!("{{a={}{};}}", "[".repeat(60), "]".repeat(60))).is_ok());
    }
}
