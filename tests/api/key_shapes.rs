//! Every shape in which real servers publish the key behind a signature, as their own source
//! and documentation give it (`mastodon-4.7.md` §9), leads to an accepted Follow; variants
//! that do not hold together are refused with 401 and leave nothing behind.

use herold_federation::keys::PublicKey;
use herold_federation::signatures::Scheme;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::{spawn_app, Db, TestApp};
use serde_json::{json, Value};

const CONTEXT: [&str; 2] = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"];

/// FEP-521a `publicKeyMultibase` of an RSA key: base58btc of multicodec `rsa-pub` (0x1205)
/// and the PKCS#1 DER.
fn rsa_multibase(pem: &str) -> String {
    let PublicKey::Rsa { pkcs1_der } = PublicKey::from_pem(pem).unwrap() else { panic!("an RSA key") };
    let mut bytes = vec![0x85, 0x24];
    bytes.extend(pkcs1_der);
    format!("z{}", base58btc(&bytes))
}

fn base58btc(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new(); // little-endian base 58
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    std::iter::repeat_n('1', zeros)
        .chain(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char))
        .collect()
}

/// The fake's actor with `keys` under `publicKey` and `multikeys` under `assertionMethod`.
fn actor_with(fake: &FakeRemote, keys: Value, multikeys: Value) -> Value {
    let mut doc = fake.actor_doc();
    doc["publicKey"] = keys;
    if !multikeys.is_null() {
        doc["assertionMethod"] = multikeys;
    }
    doc
}

/// POSTs a Follow of `press` signed with the fake's key under `key_id`.
async fn follow_signed_as(app: &TestApp, fake: &FakeRemote, key_id: &str) -> u16 {
    let follow = fake.follow(&app.url("/users/press"));
    let now = herold_domain::now_millis() / 1000;
    let signer = fake.signer_as(key_id);
    let body = follow.to_string();
    fake.post(&app.url("/users/press/inbox"), body.as_bytes(), Scheme::Cavage, Some(&signer), now)
        .await
        .status()
        .as_u16()
}

async fn every_real_world_key_shape_leads_to_an_accepted_follow(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;

    // GoToSocial: the key id is a URL of its own, answered by a stub of the actor whose `id`
    // is the actor's and whose `publicKey.id` is the key's; the full actor lists the key.
    let gts = FakeRemote::start().await;
    let key_id = format!("{}/main-key", gts.actor);
    let key = json!({ "id": key_id, "owner": gts.actor, "publicKeyPem": gts.public_key_pem });
    gts.set_actor_doc(actor_with(&gts, key.clone(), Value::Null));
    gts.serve(
        "/users/mallory/main-key",
        json!({ "@context": CONTEXT, "id": gts.actor, "type": "Person", "preferredUsername": "mallory", "publicKey": key }),
    );

    // Misskey's standalone `Key` document (`/users/<id>/publickey`) with `owner`.
    let misskey = FakeRemote::start().await;
    let key_id = format!("{}/publickey", misskey.actor);
    let key = json!({ "id": key_id, "type": "Key", "owner": misskey.actor, "publicKeyPem": misskey.public_key_pem });
    misskey.set_actor_doc(actor_with(&misskey, key.clone(), Value::Null));
    let mut document = key;
    document["@context"] = json!(CONTEXT);
    misskey.serve("/users/mallory/publickey", document);

    // A `CryptographicKey` document naming its `controller`; the actor has two keys and
    // signs with the second.
    let crypto = FakeRemote::start().await;
    let other = herold_federation::keys::generate_rsa_2048().unwrap();
    let key_id = format!("{}/keys/2", crypto.base);
    crypto.set_actor_doc(actor_with(
        &crypto,
        json!([
            { "id": format!("{}#main-key", crypto.actor), "owner": crypto.actor, "publicKeyPem": other.public_key_pem },
            { "id": key_id, "owner": crypto.actor, "publicKeyPem": crypto.public_key_pem },
        ]),
        Value::Null,
    ));
    crypto.serve(
        "/keys/2",
        json!({ "@context": "https://w3id.org/security/v1", "id": key_id, "type": "CryptographicKey", "controller": crypto.actor, "publicKeyPem": crypto.public_key_pem }),
    );

    // Fedify: further keys as FEP-521a Multikeys in `assertionMethod`, ids `#key-2`….
    let fedify = FakeRemote::start().await;
    let first = herold_federation::keys::generate_rsa_2048().unwrap();
    fedify.set_actor_doc(actor_with(
        &fedify,
        json!({ "id": format!("{}#main-key", fedify.actor), "owner": fedify.actor, "publicKeyPem": first.public_key_pem }),
        json!([
            { "id": format!("{}#main-key", fedify.actor), "type": "Multikey", "controller": fedify.actor, "publicKeyMultibase": rsa_multibase(&first.public_key_pem) },
            { "id": format!("{}#key-2", fedify.actor), "type": "Multikey", "controller": fedify.actor, "publicKeyMultibase": rsa_multibase(&fedify.public_key_pem) },
        ]),
    ));

    // A standalone FEP-521a Multikey document with `controller`.
    let multikey = FakeRemote::start().await;
    let key_id = format!("{}/keys/ed", multikey.base);
    let listed = json!({ "id": key_id, "type": "Multikey", "controller": multikey.actor, "publicKeyMultibase": rsa_multibase(&multikey.public_key_pem) });
    multikey.set_actor_doc(actor_with(&multikey, Value::Array(vec![]), json!([listed])));
    let mut standalone = listed.clone();
    standalone["@context"] = json!("https://w3id.org/security/multikey/v1");
    multikey.serve("/keys/ed", standalone);

    for (name, fake, key_id) in [
        ("GoToSocial stub", &gts, format!("{}/main-key", gts.actor)),
        ("Misskey Key document", &misskey, format!("{}/publickey", misskey.actor)),
        ("CryptographicKey with controller", &crypto, format!("{}/keys/2", crypto.base)),
        ("Fedify Multikey fragment", &fedify, format!("{}#key-2", fedify.actor)),
        ("Multikey document", &multikey, format!("{}/keys/ed", multikey.base)),
    ] {
        assert_eq!(follow_signed_as(&app, fake, &key_id).await, 202, "{name}");
        let cached = app.store.remote_actor(&fake.actor).await.unwrap().expect(name);
        assert_eq!(cached.key_id, key_id, "{name}");
        assert_eq!(cached.inbox, format!("{}/inbox", fake.actor), "{name}");
        // Now cached: the next request is verified without fetching anything.
        let fetches = fake.fetched().len();
        assert_eq!(follow_signed_as(&app, fake, &key_id).await, 202, "{name}, cached");
        assert_eq!(fake.fetched().len(), fetches, "{name}: the cached key is used");
    }
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 5);
}

async fn key_documents_that_do_not_hold_together_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let elsewhere = FakeRemote::start().await;

    // (name, what the key URL serves, the key id, the actor document's keys)
    type Setup = fn(&FakeRemote, &FakeRemote) -> (String, Value, Value);
    let cases: [(&str, Setup); 7] = [
        ("a stub whose key belongs to an actor on another server", |f, e| {
            let key_id = format!("{}/main-key", f.actor);
            let key = json!({ "id": key_id, "owner": e.actor, "publicKeyPem": f.public_key_pem });
            (key_id, json!({ "id": e.actor, "type": "Person", "publicKey": key }), key)
        }),
        ("a key document whose owner does not list it", |f, _| {
            let key_id = format!("{}/publickey", f.actor);
            let doc =
                json!({ "id": key_id, "type": "Key", "owner": f.actor, "publicKeyPem": f.public_key_pem });
            (
                key_id.clone(),
                doc,
                json!({ "id": format!("{}#main-key", f.actor), "owner": f.actor, "publicKeyPem": f.public_key_pem }),
            )
        }),
        ("a key document whose owner lists other key material", |f, _| {
            let key_id = format!("{}/publickey", f.actor);
            let other = herold_federation::keys::generate_rsa_2048().unwrap();
            let doc =
                json!({ "id": key_id, "type": "Key", "owner": f.actor, "publicKeyPem": f.public_key_pem });
            (
                key_id.clone(),
                doc,
                json!({ "id": key_id, "owner": f.actor, "publicKeyPem": other.public_key_pem }),
            )
        }),
        ("a key document that names no owner", |f, _| {
            let key_id = format!("{}/publickey", f.actor);
            let doc = json!({ "id": key_id, "type": "Key", "publicKeyPem": f.public_key_pem });
            (key_id.clone(), doc, json!({ "id": key_id, "owner": f.actor, "publicKeyPem": f.public_key_pem }))
        }),
        ("a stub that does not contain the key", |f, _| {
            let key_id = format!("{}/main-key", f.actor);
            let doc = json!({ "id": f.actor, "type": "Person", "publicKey": { "id": format!("{}/other-key", f.actor), "owner": f.actor, "publicKeyPem": f.public_key_pem } });
            (key_id.clone(), doc, json!({ "id": key_id, "owner": f.actor, "publicKeyPem": f.public_key_pem }))
        }),
        ("a Multikey controlled by another actor", |f, e| {
            let key_id = format!("{}/keys/1", f.base);
            let doc = json!({ "id": key_id, "type": "Multikey", "controller": e.actor, "publicKeyMultibase": rsa_multibase(&f.public_key_pem) });
            (key_id.clone(), doc, json!({ "id": key_id, "owner": f.actor, "publicKeyPem": f.public_key_pem }))
        }),
        ("a Multikey that is no key", |f, _| {
            let key_id = format!("{}/keys/1", f.base);
            let doc = json!({ "id": key_id, "type": "Multikey", "controller": f.actor, "publicKeyMultibase": "z0OIl" });
            (key_id.clone(), doc, json!({ "id": key_id, "owner": f.actor, "publicKeyPem": f.public_key_pem }))
        }),
    ];
    for (name, setup) in cases {
        let fake = FakeRemote::start().await;
        let (key_id, served, actor_keys) = setup(&fake, &elsewhere);
        let path = key_id.strip_prefix(&fake.base).unwrap().to_owned();
        fake.serve(&path, served);
        fake.set_actor_doc(actor_with(&fake, actor_keys, Value::Null));
        assert_eq!(follow_signed_as(&app, &fake, &key_id).await, 401, "{name}");
        assert!(app.store.remote_actor(&fake.actor).await.unwrap().is_none(), "{name}: nothing cached");
    }
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0, "nothing was followed");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap(),
        Default::default(),
        "nothing was queued"
    );
}

on_both_backends!(
    every_real_world_key_shape_leads_to_an_accepted_follow,
    key_documents_that_do_not_hold_together_are_refused,
);
