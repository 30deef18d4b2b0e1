// End-to-end self test of the peer without Herold: `node selftest.mjs`
// (any Node >= 18; the peers themselves are started through ./run.sh).
// Starts two peers (A knocks rfc9421 first, B knocks draft-cavage first) plus
// a fake server that rejects RFC 9421 signatures, and checks follow/accept,
// undo, arbitrary sends, signature rejection and double-knock fallback.
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const dir = dirname(fileURLToPath(import.meta.url));
const children = [];
let failures = 0;

function check(cond, msg) {
  console.log(`${cond ? "ok  " : "FAIL"} ${msg}`);
  if (!cond) failures++;
}

function startPeer(firstKnock) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(dir, "run.sh"), ["--port", "0", "--first-knock", firstKnock], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    let buf = "";
    const timer = setTimeout(() => reject(new Error("peer did not become ready")), 30000);
    child.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/^READY (\d+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${m[1]}`, actor: `http://127.0.0.1:${m[1]}/users/peer` });
      }
    });
    child.on("exit", (code) => reject(new Error(`peer exited with ${code}`)));
  });
}

async function call(peer, method, path, body) {
  const res = await fetch(peer.base + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(100);
  }
}
const received = async (p) => (await call(p, "GET", "/control/received")).json;

// Fake remote server: serves an actor, 401s RFC 9421-signed inbox POSTs.
function startFake() {
  const hits = [];
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    if (req.method === "GET" && req.url === "/actor") {
      res.writeHead(200, { "content-type": "application/activity+json" });
      return res.end(JSON.stringify({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id: `${base}/actor`, type: "Service", preferredUsername: "fake", inbox: `${base}/inbox`,
      }));
    }
    if (req.method === "POST" && req.url === "/inbox") {
      req.resume();
      const scheme = req.headers["signature-input"] ? "rfc9421" : "draft-cavage";
      hits.push(scheme);
      res.writeHead(scheme === "rfc9421" ? 401 : 202);
      return res.end();
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, hits, actor: `http://127.0.0.1:${server.address().port}/actor` })));
}

try {
  const t0 = Date.now();
  const [A, B] = await Promise.all([startPeer("rfc9421"), startPeer("draft-cavage-http-signatures-12")]);
  console.log(`peers ready in ${Date.now() - t0} ms: A=${A.base} (rfc9421 first), B=${B.base} (cavage first)`);

  // 1. A follows B -> B records Follow (rfc9421), auto-accepts; A records Accept (cavage).
  const f = await call(A, "POST", "/control/follow", { target: B.actor });
  check(f.status === 200 && f.json.followId?.startsWith(A.base), `A follow B -> ${JSON.stringify(f.json)}`);
  const accA = await waitFor(async () => (await received(A)).find((e) => e.type === "Accept"));
  const folB = (await received(B)).find((e) => e.type === "Follow");
  check(folB?.id === f.json.followId && folB.actor === A.actor && folB.object === B.actor, "B received Follow from A");
  check(folB?.signatureScheme === "rfc9421", `Follow A->B signed with ${folB?.signatureScheme}`);
  check(accA?.actor === B.actor && accA.object?.id === f.json.followId, "A received Accept(Follow) from B");
  check(accA?.signatureScheme === "draft-cavage", `Accept B->A signed with ${accA?.signatureScheme}`);
  check(accA?.raw?.type === "Accept", "raw JSON-LD present");
  const stA = (await call(A, "GET", "/control/state")).json;
  check(stA.following[B.actor]?.state === "accepted", "A's follow state is accepted");

  // 2. B follows A (cavage first).
  const f2 = await call(B, "POST", "/control/follow", { target: A.actor });
  const accB = await waitFor(async () => (await received(B)).find((e) => e.type === "Accept"));
  const folA = (await received(A)).find((e) => e.type === "Follow");
  check(folA?.id === f2.json.followId && folA.signatureScheme === "draft-cavage", `Follow B->A signed with ${folA?.signatureScheme}`);
  check(accB?.signatureScheme === "rfc9421", `Accept A->B signed with ${accB?.signatureScheme}`);

  // 3. Arbitrary activity via /control/send.
  const note = { type: "Create", object: { type: "Note", id: `${A.base}/notes/1`, content: "hi", attributedTo: A.actor } };
  const s = await call(A, "POST", "/control/send", { target: B.actor, activity: note });
  check(s.status === 200, `A send Create -> ${JSON.stringify(s.json)}`);
  const cr = (await received(B)).find((e) => e.type === "Create");
  check(cr?.id === s.json.id && cr.object?.content === "hi", "B received Create with embedded Note");

  // 4. Undo(Follow).
  const u = await call(A, "POST", "/control/unfollow", { target: B.actor });
  check(u.status === 200 && u.json.followId === f.json.followId, `A unfollow B -> ${JSON.stringify(u.json)}`);
  const undo = (await received(B)).find((e) => e.type === "Undo");
  check(undo?.object?.type === "Follow" && undo.object.id === f.json.followId, "B received Undo(Follow) with embedded Follow");
  check((await call(B, "GET", "/control/state")).json.followers.length === 0, "B has no followers left");

  // 5. Unsigned / badly signed deliveries are rejected with 401 and not recorded.
  const before = (await received(B)).length;
  const body = JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: `${A.base}/x/1`, type: "Create", actor: A.actor, object: `${A.base}/notes/2` });
  const r1 = await fetch(`${B.base}/inbox`, { method: "POST", headers: { "content-type": "application/activity+json" }, body });
  check(r1.status === 401, `unsigned POST -> ${r1.status}`);
  const r2 = await fetch(`${B.base}/inbox`, {
    method: "POST",
    headers: {
      "content-type": "application/activity+json",
      date: new Date().toUTCString(),
      digest: "SHA-256=" + Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body))).toString("base64"),
      signature: `keyId="${A.actor}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${Buffer.alloc(256).toString("base64")}"`,
    },
    body,
  });
  check(r2.status === 401, `bogus cavage signature -> ${r2.status}`);
  check((await received(B)).length === before, "rejected deliveries not recorded");
  const log = (await call(B, "GET", "/control/inbox-log")).json;
  check(log.slice(-2).every((e) => e.status === 401 && !e.recorded), "inbox-log shows the 401s");

  // 6. Double knock: A (rfc9421 first) -> server rejecting RFC 9421.
  const fake = await startFake();
  await call(A, "POST", "/control/reset");
  const d1 = await call(A, "POST", "/control/send", { target: fake.actor, activity: { type: "Like", object: `${B.base}/notes/1` } });
  const d2 = await call(A, "POST", "/control/send", { target: fake.actor, activity: { type: "Like", object: `${B.base}/notes/2` } });
  check(d1.status === 200 && d2.status === 200, "sends to rfc9421-rejecting server succeed");
  check(JSON.stringify(fake.hits) === JSON.stringify(["rfc9421", "draft-cavage", "draft-cavage"]),
    `fake saw ${JSON.stringify(fake.hits)} (knock, fallback, remembered)`);
  const sent = (await call(A, "GET", "/control/sent")).json.filter((e) => e.method === "POST");
  check(sent.map((e) => `${e.scheme}:${e.status}`).join(",") === "rfc9421:401,draft-cavage:202,draft-cavage:202", "A's /control/sent shows the knocks");
  fake.server.close();

  // 7. Reset clears.
  await call(B, "POST", "/control/reset");
  check((await received(B)).length === 0, "reset clears received");
} catch (e) {
  console.log("FAIL", e);
  failures++;
} finally {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode != null ? null : new Promise((r) => c.on("exit", (code, sig) => { check(code === 0, `peer exit code ${code ?? sig}`); r(); })))));
}
console.log(failures ? `${failures} FAILED` : "ALL OK");
process.exit(failures ? 1 : 0);
