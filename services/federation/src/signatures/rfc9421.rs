//! RFC 9421 HTTP Message Signatures: parsing `Signature-Input` and `Signature`, and building
//! the signature base.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub params: Vec<(String, sf::Item)>,
}

#[derive(Debug, Clone)]
pub struct Input {
    pub label: String,
    pub components: Vec<Component>,
    pub params: Vec<(String, sf::Item)>,
}

impl Input {
    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).and_then(|(_, v)| match v {
            sf::Item::String(s) | sf::Item::Token(s) => Some(s.as_str()),
            _ => None,
        })
    }

    pub fn param_int(&self, name: &str) -> Option<i64> {
        self.params.iter().find(|(k, _)| k == name).and_then(|(_, v)| match v {
            sf::Item::Integer(i) => Some(*i),
            _ => None,
        })
    }

    /// The `@signature-params` value, serialised canonically.
    pub fn serialize(&self) -> String {
        let inner: Vec<String> = self
            .components
            .iter()
            .map(|c| format!("{}{}", sf::serialize_string(&c.name), sf::serialize_params(&c.params)))
            .collect();
        format!("({}){}", inner.join(" "), sf::serialize_params(&self.params))
    }
}

pub struct Parsed {
    pub input: Input,
    pub signature: Vec<u8>,
}

/// Parses `Signature-Input` and `Signature`, taking the first signature label (the
/// fediverse sends exactly one).
pub fn parse(input: &str, signature: &str) -> Result<Parsed, FederationError> {
    let inputs = sf::parse_dictionary_of_inner_lists(input)?;
    let (label, components, params) =
        inputs.into_iter().next().ok_or_else(|| bad("empty Signature-Input"))?;
    let sigs = sf::parse_dictionary(signature)?;
    let sig = sigs
        .into_iter()
        .find(|(l, _)| *l == label)
        .ok_or_else(|| bad(format!("no signature labelled {label}")))?;
    let sf::Item::Bytes(signature) = sig.1.value else {
        return Err(bad("the signature must be a byte sequence"));
    };
    let components = components
        .into_iter()
        .map(|(item, params)| match item {
            sf::Item::String(name) => Ok(Component { name, params }),
            _ => Err(bad("covered components must be strings")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed { input: Input { label, components, params }, signature })
}

pub fn signature_base(req: &RequestView, input: &Input) -> Result<String, FederationError> {
    let mut out = String::new();
    for c in &input.components {
        let value = component_value(req, c)?;
        out.push_str(&sf::serialize_string(&c.name));
        out.push_str(&sf::serialize_params(&c.params));
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(&input.serialize());
    Ok(out)
}

fn component_value(req: &RequestView, c: &Component) -> Result<String, FederationError> {
    let no_params = || {
        if c.params.is_empty() {
            Ok(())
        } else {
            Err(bad(format!("unsupported parameters on component {}", c.name)))
        }
    };
    let value = match c.name.as_str() {
        "@method" => req.method.clone(),
        "@target-uri" => req.target.as_str().to_owned(),
        "@authority" => req.authority(),
        "@scheme" => req.target.scheme().to_owned(),
        "@request-target" => req.path_and_query(true),
        "@path" => req.target.path().to_owned(),
        "@query" => format!("?{}", req.target.query().unwrap_or_default()),
        "@status" => req.status.ok_or_else(|| bad("@status on a request"))?.to_string(),
        "@query-param" => {
            let Some((_, sf::Item::String(name))) = c.params.iter().find(|(k, _)| k == "name") else {
                return Err(bad("@query-param needs a name"));
            };
            let query = req.target.query().unwrap_or_default();
            return query
                .split('&')
                .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
                .find(|(k, _)| percent_decode(k) == *name)
                .map(|(_, v)| v.to_owned())
                .ok_or_else(|| bad(format!("query parameter {name} is missing")));
        }
        name if name.starts_with('@') => return Err(bad(format!("unsupported derived component {name}"))),
        name => {
            no_params()?;
            return req.header(name).ok_or_else(|| bad(format!("signed header {name} is missing")));
        }
    };
    no_params()?;
    Ok(value)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("{s}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}
