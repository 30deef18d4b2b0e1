//! The minimal subset of RFC 8941 structured fields that signatures need.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Integer(i64),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub value: Item,
    pub params: Vec<(String, Item)>,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn key(&mut self) -> Result<String, FederationError> {
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => {}
            _ => return Err(bad("malformed structured header key")),
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c))
        {
            self.i += 1;
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn bare_item(&mut self) -> Result<Item, FederationError> {
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.peek() {
                        None => return Err(bad("unterminated string")),
                        Some(b'"') => {
                            self.i += 1;
                            return Ok(Item::String(out));
                        }
                        Some(b'\\') => {
                            self.i += 1;
                            match self.peek() {
                                Some(c @ (b'"' | b'\\')) => out.push(c as char),
                                _ => return Err(bad("bad escape in string")),
                            }
                            self.i += 1;
                        }
                        Some(c) if (0x20..0x7f).contains(&c) => {
                            out.push(c as char);
                            self.i += 1;
                        }
                        Some(_) => return Err(bad("invalid character in string")),
                    }
                }
            }
            Some(b':') => {
                self.i += 1;
                let start = self.i;
                while matches!(self.peek(), Some(c) if c != b':') {
                    self.i += 1;
                }
                let raw = &self.s[start..self.i];
                if !self.eat(b':') {
                    return Err(bad("unterminated byte sequence"));
                }
                B64.decode(raw).map(Item::Bytes).map_err(|_| bad("invalid base64 in byte sequence"))
            }
            Some(b'?') => {
                self.i += 1;
                match self.peek() {
                    Some(b'0') => {
                        self.i += 1;
                        Ok(Item::Boolean(false))
                    }
                    Some(b'1') => {
                        self.i += 1;
                        Ok(Item::Boolean(true))
                    }
                    _ => Err(bad("invalid boolean")),
                }
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| bad("invalid integer"))?;
                if text.len() > 16 {
                    return Err(bad("integer too long"));
                }
                text.parse().map(Item::Integer).map_err(|_| bad("invalid integer"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c))
                {
                    self.i += 1;
                }
                Ok(Item::Token(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()))
            }
            _ => Err(bad("malformed structured header item")),
        }
    }
    fn params(&mut self) -> Result<Vec<(String, Item)>, FederationError> {
        let mut out: Vec<(String, Item)> = Vec::new();
        while self.eat(b';') {
            self.ws();
            let k = self.key()?;
            let v = if self.eat(b'=') { self.bare_item()? } else { Item::Boolean(true) };
            if out.iter().any(|(n, _)| *n == k) {
                return Err(bad(format!("duplicate parameter {k}")));
            }
            out.push((k, v));
        }
        Ok(out)
    }
    fn done(&mut self) -> bool {
        self.ws();
        self.i >= self.s.len()
    }
    fn next_member(&mut self) -> Result<bool, FederationError> {
        self.ws();
        if self.done() {
            return Ok(false);
        }
        if !self.eat(b',') {
            return Err(bad("expected ',' between structured header members"));
        }
        self.ws();
        if self.done() {
            return Err(bad("trailing ',' in structured header"));
        }
        Ok(true)
    }
}

pub fn parse_dictionary(text: &str) -> Result<Vec<(String, Member)>, FederationError> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let mut out: Vec<(String, Member)> = Vec::new();
    p.ws();
    if p.done() {
        return Ok(out);
    }
    loop {
        let k = p.key()?;
        let value = if p.eat(b'=') { p.bare_item()? } else { Item::Boolean(true) };
        let params = p.params()?;
        out.retain(|(n, _)| *n != k);
        out.push((k, Member { value, params }));
        if !p.next_member()? {
            return Ok(out);
        }
    }
}

pub type Params = Vec<(String, Item)>;
pub type InnerList = Vec<(Item, Params)>;
/// Members of a dictionary whose values are inner lists: label, items, parameters.
pub type InnerListMembers = Vec<(String, InnerList, Params)>;

pub fn parse_dictionary_of_inner_lists(text: &str) -> Result<InnerListMembers, FederationError> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let mut out = Vec::new();
    p.ws();
    if p.done() {
        return Ok(out);
    }
    loop {
        let k = p.key()?;
        if !p.eat(b'=') || !p.eat(b'(') {
            return Err(bad("Signature-Input members must be inner lists"));
        }
        let mut items = Vec::new();
        loop {
            while p.eat(b' ') {}
            if p.eat(b')') {
                break;
            }
            let item = p.bare_item()?;
            let params = p.params()?;
            items.push((item, params));
            match p.peek() {
                Some(b' ') | Some(b')') => {}
                _ => return Err(bad("malformed inner list")),
            }
        }
        let params = p.params()?;
        out.push((k, items, params));
        if !p.next_member()? {
            return Ok(out);
        }
    }
}

pub fn serialize_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

pub fn serialize_params(params: &[(String, Item)]) -> String {
    let mut out = String::new();
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        match v {
            Item::Boolean(true) => {}
            Item::Boolean(false) => out.push_str("=?0"),
            Item::Integer(i) => {
                out.push('=');
                out.push_str(&i.to_string());
            }
            Item::String(s) => {
                out.push('=');
                out.push_str(&serialize_string(s));
            }
            Item::Token(t) => {
                out.push('=');
                out.push_str(t);
            }
            Item::Bytes(b) => {
                out.push_str("=:");
                out.push_str(&B64.encode(b));
                out.push(':');
            }
        }
    }
    out
}
