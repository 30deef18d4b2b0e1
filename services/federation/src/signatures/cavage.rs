//! draft-cavage-http-signatures-12: parsing the `Signature` header and building the signing
//! string.

use super::*;

#[derive(Debug, Clone)]
pub struct Params {
    pub key_id: String,
    pub algorithm: Option<String>,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"`. Duplicate parameters are
/// refused (Mastodon does the same since 4.5.5), as are algorithms other than RSA-SHA256.
pub fn parse(header: &str) -> Result<Params, FederationError> {
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or_else(|| bad("malformed Signature header"))?;
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| bad("unterminated value in Signature header"))?;
            (quoted[..end].to_owned(), &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        if seen.iter().any(|(n, _)| *n == name) {
            return Err(bad(format!("duplicate {name} in Signature header")));
        }
        seen.push((name, value));
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        if !rest.is_empty() && !after.trim_start().starts_with(',') {
            return Err(bad("malformed Signature header"));
        }
    }
    let get = |n: &str| seen.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let key_id = get("keyId").ok_or_else(|| bad("the signature has no keyId"))?;
    let signature = B64
        .decode(get("signature").ok_or_else(|| bad("the signature has no signature"))?)
        .map_err(|_| bad("the signature is not base64"))?;
    let algorithm = get("algorithm");
    match algorithm.as_deref() {
        None | Some("hs2019") | Some("rsa-sha256") => {}
        Some(other) => return Err(bad(format!("unsupported signature algorithm {other:?}"))),
    }
    let default_headers =
        if matches!(algorithm.as_deref(), None | Some("hs2019")) { "(created)" } else { "date" };
    let headers = get("headers")
        .unwrap_or_else(|| default_headers.to_owned())
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let int = |n: &str| -> Result<Option<i64>, FederationError> {
        get(n).map(|v| v.parse().map_err(|_| bad(format!("{n} must be an integer")))).transpose()
    };
    Ok(Params { key_id, algorithm, headers, signature, created: int("created")?, expires: int("expires")? })
}

pub fn signing_string(
    req: &RequestView,
    params: &Params,
    with_query: bool,
) -> Result<String, FederationError> {
    let mut lines = Vec::with_capacity(params.headers.len());
    for h in &params.headers {
        let value = match h.as_str() {
            "(request-target)" => {
                format!("{} {}", req.method.to_ascii_lowercase(), req.path_and_query(with_query))
            }
            "(created)" => params.created.ok_or_else(|| bad("(created) not given"))?.to_string(),
            "(expires)" => params.expires.ok_or_else(|| bad("(expires) not given"))?.to_string(),
            name => req.header(name).ok_or_else(|| bad(format!("signed header {name} is missing")))?,
        };
        lines.push(format!("{h}: {value}"));
    }
    Ok(lines.join("\n"))
}
