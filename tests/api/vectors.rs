//! Published test vectors (tests/fixtures/signatures): draft-cavage-12 and RFC 9421
//! Appendix B, plus tampered variants that must fail.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use herold_federation::keys::PublicKey;
use herold_federation::signatures::{
    cavage, check_content_digest, check_digest_header, parse_request_signature, rfc9421, sf, RequestView,
};
use ring::signature::{self, UnparsedPublicKey};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/signatures")
}

fn cases(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn headers(case: &Value) -> Vec<(String, String)> {
    case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
        .collect()
}

fn pem_der(path: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixtures().join(path)).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(b64).unwrap()
}

#[test]
fn draft_cavage_vectors_verify_and_tampered_ones_fail() {
    let all = cases("cavage/cases.json");
    let (mut valid, mut invalid) = (0, 0);
    for case in &all {
        let name = case["name"].as_str().unwrap();
        let target =
            url::Url::parse(&format!("https://example.com{}", case["path_and_query"].as_str().unwrap()))
                .unwrap();
        let view = RequestView::new(case["method"].as_str().unwrap(), target, headers(case));
        let params = cavage::parse(case["signature_header"].as_str().unwrap()).unwrap();
        let base = cavage::signing_string(&view, &params, true).unwrap();
        let key = PublicKey::from_pem(
            &std::fs::read_to_string(fixtures().join(case["key"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        // The draft's own key is 1024-bit; production verification requires 2048.
        let sig_ok = key.verify_with(
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            base.as_bytes(),
            &params.signature,
        );
        let digest_ok = view.header("digest").is_none_or(|d| {
            check_digest_header(&d, case["body"].as_str().unwrap_or_default().as_bytes()).is_ok()
        });
        if case["expect"] == "valid" {
            assert_eq!(base, case["signature_base"].as_str().unwrap(), "{name}: signing string");
            assert!(sig_ok && digest_ok, "{name} must verify");
            valid += 1;
        } else {
            assert!(!(sig_ok && digest_ok), "{name} must fail ({})", case["invalid_reason"]);
            invalid += 1;
        }
    }
    assert!(valid >= 6 && invalid >= 20, "{valid} valid, {invalid} invalid cases");
}

fn verify_9421(case: &Value, base: &str, sig: &[u8]) -> bool {
    let key_path = case["key"].as_str().unwrap_or_default();
    match case["algorithm"].as_str().unwrap() {
        "rsa-v1_5-sha256" => {
            PublicKey::from_pem(&std::fs::read_to_string(fixtures().join(key_path)).unwrap())
                .unwrap()
                .verify(base.as_bytes(), sig)
        }
        "rsa-pss-sha512" => PublicKey::from_pem(&std::fs::read_to_string(fixtures().join(key_path)).unwrap())
            .unwrap()
            .verify_with(&signature::RSA_PSS_2048_8192_SHA512, base.as_bytes(), sig),
        "ecdsa-p256-sha256" => {
            let spki = pem_der(key_path);
            let point = &spki[spki.len() - 65..];
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(base.as_bytes(), sig)
                .is_ok()
        }
        "ed25519" => {
            let keys: Value =
                serde_json::from_str(&std::fs::read_to_string(fixtures().join("rfc9421/keys.json")).unwrap())
                    .unwrap();
            let raw = B64.decode(keys["test-key-ed25519"]["raw_public_b64"].as_str().unwrap()).unwrap();
            UnparsedPublicKey::new(&signature::ED25519, raw).verify(base.as_bytes(), sig).is_ok()
        }
        "hmac-sha256" => {
            let secret = std::fs::read_to_string(fixtures().join("rfc9421/test-shared-secret.b64")).unwrap();
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &B64.decode(secret.trim()).unwrap());
            ring::hmac::verify(&key, base.as_bytes(), sig).is_ok()
        }
        other => panic!("unexpected algorithm {other}"),
    }
}

#[test]
fn rfc9421_appendix_b_vectors_verify_and_tampered_ones_fail() {
    let all = cases("rfc9421/cases.json");
    let (mut valid, mut invalid) = (0, 0);
    for case in &all {
        let name = case["name"].as_str().unwrap();
        let target = case["target_uri"].as_str().unwrap_or("https://example.com/");
        let mut view = RequestView::new(
            case["method"].as_str().unwrap_or("GET"),
            url::Url::parse(target).unwrap(),
            headers(case),
        );
        view.status = case["status"].as_u64().map(|s| s as u16);
        let parsed =
            rfc9421::parse(case["signature_input"].as_str().unwrap(), case["signature"].as_str().unwrap())
                .unwrap();
        let base = rfc9421::signature_base(&view, &parsed.input);
        let body = case["body"].as_str().unwrap_or_default().as_bytes();
        let digest_ok = view.header("content-digest").is_none_or(|d| check_content_digest(&d, body).is_ok());
        let sig_ok = base.as_ref().is_ok_and(|b| verify_9421(case, b, &parsed.signature));
        if case["expect"] == "valid" {
            assert_eq!(base.unwrap(), case["signature_base"].as_str().unwrap(), "{name}: signature base");
            assert!(sig_ok && digest_ok, "{name} must verify");
            valid += 1;
        } else {
            assert!(!(sig_ok && digest_ok), "{name} must fail ({})", case["invalid_reason"]);
            invalid += 1;
        }
    }
    assert!(valid >= 8 && invalid >= 20, "{valid} valid, {invalid} invalid cases");
}

#[test]
fn malformed_structured_fields_are_rejected() {
    // Each value against the parser of the header it would arrive in: Signature-Input is a
    // dictionary of inner lists, Signature a dictionary of byte sequences.
    for bad in ["sig1=(\"@method\"", "sig1=(\"a\");created=12345678901234567890", "=x", "sig1=\"@method\""] {
        assert!(sf::parse_dictionary_of_inner_lists(bad).is_err(), "Signature-Input {bad} must be rejected");
    }
    for bad in ["sig1=:not base64!:", "sig1=:abc", "=x", "sig1=:YWJj:;x=12345678901234567890"] {
        assert!(sf::parse_dictionary(bad).is_err(), "Signature {bad} must be rejected");
    }
    assert!(sf::parse_dictionary("sig1=:YWJj:").is_ok(), "a well-formed byte sequence is read");
}

/// The RFC 9421 vectors with the algorithms Herold accepts, through the verifier the inbox
/// uses (`parse_request_signature`, then `ParsedSignature::verify`), not through ring alone:
/// every valid case Herold's policy admits verifies, and no tampered one does.
#[test]
fn herolds_own_verifier_accepts_the_valid_vectors_and_refuses_the_tampered() {
    let mut verified = 0;
    for case in cases("rfc9421/cases.json") {
        let name = case["name"].as_str().unwrap();
        let key = match case["algorithm"].as_str().unwrap() {
            "rsa-v1_5-sha256" | "ed25519" => PublicKey::from_pem(
                &std::fs::read_to_string(fixtures().join(case["key"].as_str().unwrap())).unwrap(),
            )
            .unwrap(),
            _ => continue,
        };
        let target = case["target_uri"].as_str().unwrap_or("https://example.com/");
        let mut all_headers = headers(&case);
        all_headers.push(("signature-input".into(), case["signature_input"].as_str().unwrap().into()));
        all_headers.push(("signature".into(), case["signature"].as_str().unwrap().into()));
        let view = RequestView::new(
            case["method"].as_str().unwrap_or("GET"),
            url::Url::parse(target).unwrap(),
            all_headers,
        );
        let body = case["body"].as_str().map(str::as_bytes);
        let accepted = parse_request_signature(&view, body).is_ok_and(|parsed| parsed.verify(&key));
        if case["expect"] == "valid" {
            // The RFC's own Ed25519 example covers @path, not the whole target: Herold's policy
            // refuses it whatever the signature, so it says nothing about the verifier.
            if name.starts_with("rfc9421-") {
                continue;
            }
            assert!(accepted, "{name} must verify");
            verified += 1;
        } else {
            assert!(!accepted, "{name} must be refused ({})", case["invalid_reason"]);
        }
    }
    assert!(verified >= 4, "only {verified} valid vectors went through Herold's verifier");
}
