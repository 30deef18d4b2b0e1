"""Herold interop peer built on bovine, a Python ActivityPub library independent of Fedify
and of Herold. Spawned by the Rust integration tests through run.sh.

It serves one actor (`/actor`, an RSA key made at start), signs what it sends with
bovine's HTTP signatures, and accepts only what bovine's own signature checker verifies,
fetching Herold's keys itself. RFC 9421 signatures made with Ed25519 (what Mastodon takes
from 4.7 on) are checked with http-message-signatures, a separate RFC 9421 implementation
from PyPI, because bovine 0.5 cannot build the `@target-uri` component Mastodon requires.
Control endpoints let a test drive it:

  POST /control/follow        {"target": actor}          -> {"id": follow id}
  POST /control/send          {"target": actor, "activity": {...}} -> {"id": ...}
  GET  /control/received      verified activities, in order
  GET  /control/signatures    how each verified activity was signed: {"type", "alg", "checker"}
  POST /control/verify-object {"document": {...}}         -> {"verified": bool}

Prints exactly one line "READY <port>" once listening on 127.0.0.1.
"""

import argparse
import asyncio
import hashlib
import json
import sys
import uuid

import types

import aiohttp
import http_sf
import jcs
from aiohttp import web
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, MappingKeyResolver, algorithms
from bovine.clients.signed_http import SignedHttpClient
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.multibase import decode_multibase_public_key, multibase_decode
from bovine.crypto.types import CryptographicIdentifier
from cryptography.hazmat.primitives.asymmetric import ed25519

AS = "https://www.w3.org/ns/activitystreams"


class Peer:
    def __init__(self):
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.base = ""
        self.received = []
        self.signatures = []
        self.session = None
        self.validate = build_validate_http_signature_raw(self.retrieve_key)

    @property
    def actor(self):
        return f"{self.base}/actor"

    def client(self):
        return SignedHttpClient(self.session, f"{self.actor}#main-key", self.private_pem)

    async def fetch(self, url):
        """A signed GET, as servers in authorized-fetch mode require."""
        response = await self.client().get(url.split("#")[0])
        response.raise_for_status()
        return json.loads(await response.text())

    async def retrieve_key(self, key_id):
        """The key a signature names, from the document its id leads to."""
        doc = await self.fetch(key_id)
        keys = doc.get("publicKey", [])
        for key in keys if isinstance(keys, list) else [keys]:
            if key.get("id") == key_id:
                return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])
        return None

    def actor_doc(self):
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": self.actor,
            "type": "Person",
            "preferredUsername": "bovine",
            "inbox": f"{self.base}/inbox",
            "outbox": f"{self.base}/outbox",
            "publicKey": {"id": f"{self.actor}#main-key", "owner": self.actor, "publicKeyPem": self.public_pem},
        }

    async def send(self, target, activity):
        actor = await self.fetch(target)
        inbox = actor.get("endpoints", {}).get("sharedInbox") or actor["inbox"]
        response = await self.client().post(inbox, json.dumps(activity))
        if response.status >= 300:
            raise web.HTTPBadGateway(text=f"{inbox} answered {response.status}: {await response.text()}")
        return activity["id"]

    # ---------------------------------------------------------------- handlers
    async def get_actor(self, request):
        return web.json_response(self.actor_doc(), content_type="application/activity+json")

    async def verify_ed25519(self, request, body, key_id):
        """The signer's id if an RFC 9421 Ed25519 signature verifies with the key of that id
        in the signer's `assertionMethod` (FEP-521a), else None."""
        owner = await self.fetch(key_id)
        keys = [k for k in owner.get("assertionMethod", []) if isinstance(k, dict)
                and k.get("id") == key_id and k.get("controller") == owner.get("id")]
        if not keys:
            return None
        key = decode_multibase_public_key(keys[0]["publicKeyMultibase"])
        if not isinstance(key, ed25519.Ed25519PublicKey):
            return None
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519,
                                       key_resolver=MappingKeyResolver(public_keys={key_id: key}, private_keys={}))
        message = types.SimpleNamespace(method=request.method.upper(), url=str(request.url), headers=request.headers)
        try:
            verifier.verify(message, body=body, require_components=("@method", "@target-uri", "content-digest"))
        except InvalidSignature:
            return None
        return owner.get("id")

    async def inbox(self, request):
        body = await request.read()

        async def read_body():
            return body

        params = {}
        if "signature-input" in request.headers:
            inputs = http_sf.parse(request.headers["signature-input"].encode(), tltype="dictionary")
            params = next(iter(inputs.values()), ((), {}))[1]
        if params.get("alg") == "ed25519":
            checker, alg = "http-message-signatures", "ed25519"
            controller = await self.verify_ed25519(request, body, params.get("keyid"))
        else:
            checker, alg = "bovine", "rsa"
            controller = await self.validate(request.method, str(request.url), request.headers, read_body)
        activity = json.loads(body)
        if controller is None or controller != activity.get("actor"):
            return web.Response(status=401, text=f"signature not verified by {checker}")
        self.received.append(activity)
        self.signatures.append({"type": activity.get("type"), "alg": alg, "checker": checker})
        return web.Response(status=202)

    async def control_follow(self, request):
        target = (await request.json())["target"]
        follow = {"@context": AS, "id": f"{self.base}/follows/{uuid.uuid4()}", "type": "Follow",
                  "actor": self.actor, "object": target}
        return web.json_response({"id": await self.send(target, follow)})

    async def control_send(self, request):
        payload = await request.json()
        return web.json_response({"id": await self.send(payload["target"], payload["activity"])})

    async def control_received(self, request):
        return web.json_response(self.received)

    async def control_signatures(self, request):
        return web.json_response(self.signatures)

    async def control_verify_object(self, request):
        """FEP-8b32 (eddsa-jcs-2022 as the W3C's Data Integrity EdDSA Cryptosuites define it),
        with the `jcs` package and bovine's keys: the key the proof names, taken from its
        controller's `assertionMethod`, must verify the proof, and be the actor's.

        bovine's own `verify_document` is not used: it hashes the proof options without
        the document's `@context` (and renames a `@context` in the proof to
        `field_context`), so it refuses proofs made as the W3C specification says."""
        document = (await request.json())["document"]
        try:
            proof = dict(document["proof"])
            method = proof["verificationMethod"]
            owner = await self.fetch(method)
            keys = [k for k in owner.get("assertionMethod", []) if isinstance(k, dict) and k.get("id") == method]
            if not keys:
                return web.json_response({"verified": False, "error": "the key is not in assertionMethod"})
            identifier = CryptographicIdentifier.from_multikey(keys[0])
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            signature = multibase_decode(proof.pop("proofValue"))
            config = {**proof, "@context": unsecured.get("@context")}
            digest = hashlib.sha256(jcs.canonicalize(config)).digest()
            digest += hashlib.sha256(jcs.canonicalize(unsecured)).digest()
            controller = identifier.verify(digest, signature)
            verified = controller is not None and controller == document.get("actor")
            error = None if verified else f"controller {controller!r}, actor {document.get('actor')!r}"
            return web.json_response({"verified": verified, "error": error})
        except Exception as error:  # a malformed proof is an answer, not a crash
            return web.json_response({"verified": False, "error": repr(error)})

async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    peer = Peer()
    peer.session = aiohttp.ClientSession()
    app = web.Application()
    app.add_routes([
        web.get("/actor", peer.get_actor),
        web.post("/inbox", peer.inbox),
        web.post("/control/follow", peer.control_follow),
        web.post("/control/send", peer.control_send),
        web.get("/control/received", peer.control_received),
        web.get("/control/signatures", peer.control_signatures),
        web.post("/control/verify-object", peer.control_verify_object),
    ])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    peer.base = f"http://127.0.0.1:{port}"
    print(f"READY {port}", flush=True)
    # Ends with the test that spawned it: stdin closes when the parent goes.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await peer.session.close()


if __name__ == "__main__":
    asyncio.run(main())
