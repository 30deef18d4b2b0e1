// Herold interop peer: an independent ActivityPub server built on Fedify.
// Spawned by Herold's Rust integration tests via ./run.sh; see README.md.
//
// Usage: node peer.mjs --port <P|0> [--first-knock rfc9421|draft-cavage-http-signatures-12]
//          [--idempotency per-inbox|per-origin|global|none] [--accept-delay-ms N]
//          [--doc-cache] [--log-level trace|debug|info|warning|error|fatal]
// Prints exactly one line "READY <port>" on stdout once listening.  All logs
// go to stderr.  Listens on 127.0.0.1 only.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { configure, getTextFormatter } from "@logtape/logtape";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  MemoryKvStore,
  Move,
  Person,
  Reject,
  Undo,
  Update,
  createFederation,
  getDocumentLoader,
  getTypeId,
  isActor,
  verifyObject,
} from "@fedify/fedify";

const HOST = "127.0.0.1";
const USER = "peer";
const KNOCKS = ["rfc9421", "draft-cavage-http-signatures-12"];

// ---------------------------------------------------------------- CLI / logs
const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    "first-knock": { type: "string", default: "rfc9421" },
    "doc-cache": { type: "boolean", default: false },
    "log-level": { type: "string", default: process.env.PEER_LOG_LEVEL ?? "warning" },
    idempotency: { type: "string", default: "per-inbox" },
    "accept-delay-ms": { type: "string", default: "100" },
  },
  strict: true,
});
const port = Number(args.port);
if (args.port == null || !Number.isInteger(port) || port < 0 || port > 65535) {
  die("--port <0..65535> is required");
}
let firstKnock = args["first-knock"];
if (firstKnock === "cavage" || firstKnock === "draft-cavage") {
  firstKnock = "draft-cavage-http-signatures-12";
}
if (!KNOCKS.includes(firstKnock)) die(`--first-knock must be one of ${KNOCKS.join(", ")}`);
const acceptDelayMs = Number(args["accept-delay-ms"]);
if (!Number.isFinite(acceptDelayMs) || acceptDelayMs < 0) die("--accept-delay-ms must be >= 0");
const IDEMPOTENCY = ["per-inbox", "per-origin", "global", "none"];
if (!IDEMPOTENCY.includes(args.idempotency)) die(`--idempotency must be one of ${IDEMPOTENCY.join(", ")}`);

function die(msg) {
  process.stderr.write(`peer: ${msg}\n`);
  process.exit(2);
}
function logErr(...parts) {
  process.stderr.write(`peer: ${parts.map((p) => (p instanceof Error ? p.stack ?? String(p) : typeof p === "string" ? p : JSON.stringify(p))).join(" ")}\n`);
}

// LogTape (Fedify's logger) -> stderr only; stdout is reserved for READY.
const textFormatter = getTextFormatter();
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(textFormatter(record)) },
  filters: {
    // We deliberately have no Ed25519 key (RSA only): drop that warning.
    noProofNoise: (r) => !String(r.rawMessage).includes("to create a proof"),
  },
  loggers: [
    { category: "fedify", lowestLevel: args["log-level"], sinks: ["stderr"], filters: ["noProofNoise"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

// ------------------------------------------------------------ in-memory state
const received = []; // verified activities that reached an inbox listener
const inboxLog = []; // every POST to an inbox path (incl. rejected ones)
const sentLog = []; // every outgoing HTTP request made by Fedify
const following = new Map(); // target actor id -> { followId, follow (JSON), state }
const followers = new Map(); // follower actor id -> { id, inboxId, sharedInbox, followId }

const reqStore = new AsyncLocalStorage(); // per incoming request: { scheme, path, body }

function schemeOf(headers) {
  if (headers.get("signature-input") != null) return "rfc9421";
  if (headers.get("signature") != null) return "draft-cavage";
  return "none";
}

function typeName(activity, json) {
  if (json && typeof json.type === "string") return json.type;
  const t = getTypeId(activity).href;
  return t.slice(Math.max(t.lastIndexOf("#"), t.lastIndexOf("/")) + 1);
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Wrap global fetch (Fedify calls the global at call time) to log outgoing
// requests and which signature scheme each attempt used (double knock).
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = input instanceof Request ? input : new Request(input, init);
  const entry = {
    method: req.method,
    url: req.url,
    scheme: schemeOf(req.headers),
    signatureInput: req.headers.get("signature-input"),
    signature: req.headers.get("signature"),
    at: new Date().toISOString(),
  };
  if (req.method === "POST") {
    const j = safeJson(await req.clone().text());
    entry.activityType = j?.type;
    entry.activityId = j?.id;
  }
  sentLog.push(entry);
  try {
    const res = await realFetch(input, init);
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.error = String(e);
    throw e;
  }
};

// ------------------------------------------------------------------ federation
// RSA-2048 (Fedify's own generateCryptoKeyPair() makes RSA-4096).
const rsaKeyPair = await crypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
);

let federation; // built once the port is known (supports --port 0)
let origin;

function buildFederation() {
  const kv = new MemoryKvStore();
  const fed = createFederation({
    kv,
    origin,
    // No message queue: sendActivity() delivers immediately and throws on
    // failure, and inbox listeners run inside the inbox POST.  (Fedify 1.10's
    // sendActivity({immediate: true}) does not bypass an outbox queue.)
    allowPrivateAddress: true,
    firstKnock,
    // Default Fedify caches fetched documents (actors/keys) for 5 minutes;
    // by default we don't, so key rotation / actor updates are seen at once.
    ...(args["doc-cache"]
      ? {}
      : { documentLoaderFactory: (o) => getDocumentLoader({ allowPrivateAddress: true, userAgent: o?.userAgent }) }),
    onOutboxError: (error, activity) => logErr("outbox error:", activity?.id?.href ?? "", error),
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== USER) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Herold interop peer (Fedify)",
        summary: "Scripted ActivityPub peer for Herold's integration tests.",
        url: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        manuallyApprovesFollowers: false,
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USER ? [rsaKeyPair] : []))
    .mapHandle((_ctx, username) => (username === USER ? USER : null));

  fed.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== USER) return null;
    return {
      items: [...followers.values()].map((f) => ({
        id: new URL(f.id),
        inboxId: f.inboxId ? new URL(f.inboxId) : null,
        endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
      })),
    };
  });
  fed.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== USER) return null;
    return {
      items: [...following.entries()].filter(([, f]) => f.state === "accepted").map(([id]) => new URL(id)),
    };
  });
  fed.setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) =>
    identifier === USER ? { items: [] } : null,
  );
  // Our Follow activities are dereferenceable.
  fed.setObjectDispatcher(Follow, "/follows/{id}", (ctx, { id }) => {
    for (const f of following.values()) {
      if (f.followId === ctx.getObjectUri(Follow, { id }).href) return f.followObject;
    }
    return null;
  });

  const record = async (ctx, activity) => {
    const store = reqStore.getStore() ?? {};
    const json = store.body ? safeJson(store.body) : undefined;
    let object = null;
    if (json && json.object !== undefined) object = json.object;
    else if (activity.objectId) object = activity.objectId.href;
    let raw = null;
    try {
      raw = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
    } catch (e) {
      logErr("toJsonLd failed:", e);
    }
    const entry = {
      type: typeName(activity, json),
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      object,
      raw,
      body: json ?? null,
      inbox: store.path ?? null,
      recipient: ctx.recipient ?? null,
      signatureScheme: store.scheme ?? null,
      receivedAt: new Date().toISOString(),
    };
    received.push(entry);
    if (store.logEntry) store.logEntry.recorded = true;
    return entry;
  };

  const listeners = fed.setInboxListeners("/users/{identifier}/inbox", "/inbox");
  listeners.withIdempotency(args.idempotency === "none" ? () => null : args.idempotency);
  listeners
    .on(Follow, async (ctx, follow) => {
      await record(ctx, follow);
      if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
      const parsed = ctx.parseUri(follow.objectId);
      if (parsed?.type !== "actor" || parsed.identifier !== USER) return;
      const follower = await follow.getActor(ctx);
      if (!isActor(follower)) {
        logErr("Follow: could not resolve actor", follow.actorId.href);
        return;
      }
      followers.set(follower.id.href, {
        id: follower.id.href,
        inboxId: follower.inboxId?.href ?? null,
        sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
        followId: follow.id.href,
      });
      const accept = new Accept({
        id: new URL(`/accepts/${randomUUID()}`, origin),
        actor: follow.objectId,
        to: follower.id,
        // Embed a minimal copy of the Follow (ids only), like Mastodon does.
        object: new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId }),
      });
      // Deliver the Accept shortly *after* answering the Follow POST, as a real
      // server's queue would (errors are logged; see /control/sent).
      setTimeout(() => {
        const c = federation.createContext(new URL(origin), undefined);
        c.sendActivity({ identifier: USER }, follower, accept).catch((e) => logErr("sending Accept failed:", e));
      }, acceptDelayMs);
    })
    .on(Accept, async (ctx, accept) => {
      await record(ctx, accept);
      markFollow(accept, "accepted");
    })
    .on(Reject, async (ctx, reject) => {
      await record(ctx, reject);
      markFollow(reject, "rejected");
    })
    .on(Undo, async (ctx, undo) => {
      await record(ctx, undo);
      // Undo(Follow) from one of our followers.
      const json = safeJson(reqStore.getStore()?.body ?? "");
      const inner = json?.object;
      const innerType = typeof inner === "object" && inner ? inner.type : null;
      const innerId = typeof inner === "string" ? inner : inner?.id;
      const f = undo.actorId && followers.get(undo.actorId.href);
      if (f && (innerType === "Follow" || innerId === f.followId)) followers.delete(undo.actorId.href);
    })
    .on(Move, async (ctx, move) => {
      await record(ctx, move);
      // As Mastodon's MoveWorker: an account's own Move, of an account we follow, to one
      // that names it among its aliases (alsoKnownAs); then we follow the new one.
      const from = move.actorId?.href;
      if (from == null || move.objectId?.href !== from || move.targetId == null || !following.has(from)) return;
      const documentLoader = await ctx.getDocumentLoader({ identifier: USER });
      const target = await move.getTarget({ documentLoader }).catch(() => null);
      if (!isActor(target) || !target.aliasIds.some((alias) => alias.href === from)) {
        logErr("Move: the target does not name", from, "as an alias; not following it");
        return;
      }
      following.delete(from);
      const followId = ctx.getObjectUri(Follow, { id: randomUUID() });
      const follow = new Follow({ id: followId, actor: ctx.getActorUri(USER), object: target.id, to: target.id });
      following.set(target.id.href, { followId: followId.href, followObject: follow, actorObject: target, state: "pending" });
      await ctx.sendActivity({ identifier: USER }, target, follow);
    })
    .on(Create, record)
    .on(Update, record)
    .on(Delete, record)
    .on(Announce, record)
    .on(Activity, record) // anything else (Like, Move, Add, ...)
    .onError((_ctx, error) => logErr("inbox listener error:", error));

  return fed;
}

function markFollow(activity, state) {
  // The object is our Follow, either embedded or by id.
  const json = safeJson(reqStore.getStore()?.body ?? "");
  const obj = json?.object;
  const followId = typeof obj === "string" ? obj : obj?.id;
  for (const [target, f] of following) {
    const matchesId = followId != null && followId === f.followId;
    const matchesActor = activity.actorId?.href === target && (followId == null || matchesId);
    if (matchesId || matchesActor) f.state = state;
  }
}

// ------------------------------------------------------------- control API
function json(res, status, body) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function lookupActor(ctx, target, signed) {
  const documentLoader = signed ? await ctx.getDocumentLoader({ identifier: USER }) : ctx.documentLoader;
  const actor = await ctx.lookupObject(target, { documentLoader });
  if (!isActor(actor)) throw new Error(`${target} did not resolve to an actor`);
  return actor;
}

async function control(req, res, path, body) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const input = body.length ? safeJson(body.toString("utf8")) ?? {} : {};
  const signed = input.signedFetch !== false;
  try {
    if (req.method === "GET" && path === "/control/received") return json(res, 200, received);
    if (req.method === "GET" && path === "/control/inbox-log") return json(res, 200, inboxLog);
    if (req.method === "GET" && path === "/control/sent") return json(res, 200, sentLog);
    if (req.method === "GET" && path === "/control/state") {
      return json(res, 200, {
        actor: ctx.getActorUri(USER).href,
        firstKnock,
        following: Object.fromEntries([...following].map(([k, v]) => [k, { followId: v.followId, state: v.state }])),
        followers: [...followers.values()],
      });
    }
    if (req.method === "POST" && path === "/control/verify-object") {
      // FEP-8b32: Fedify checks every proof of the document and that the proofs' keys
      // belong to its actors; null means the document is not authenticated by them.
      if (typeof input.document !== "object") return json(res, 400, { error: "body must be {\"document\": {...}}" });
      try {
        const verified = await verifyObject(Activity, input.document, {
          documentLoader: ctx.documentLoader,
          contextLoader: ctx.contextLoader,
        });
        return json(res, 200, { verified: verified != null });
      } catch (e) {
        return json(res, 200, { verified: false, error: String(e) });
      }
    }
    if (req.method === "POST" && path === "/control/reset") {
      received.length = 0;
      inboxLog.length = 0;
      sentLog.length = 0;
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/control/follow") {
      if (typeof input.target !== "string") return json(res, 400, { error: "body must be {\"target\": \"<actor URL>\"}" });
      const actor = await lookupActor(ctx, input.target, signed);
      const followId = ctx.getObjectUri(Follow, { id: randomUUID() });
      const follow = new Follow({ id: followId, actor: ctx.getActorUri(USER), object: actor.id, to: actor.id });
      following.set(actor.id.href, { followId: followId.href, followObject: follow, actorObject: actor, state: "pending" });
      await ctx.sendActivity({ identifier: USER }, actor, follow);
      return json(res, 200, { followId: followId.href });
    }
    if (req.method === "POST" && path === "/control/unfollow") {
      if (typeof input.target !== "string") return json(res, 400, { error: "body must be {\"target\": \"<actor URL>\"}" });
      const f = following.get(input.target) ??
        [...following.values()].find((v) => v.actorObject.url?.href === input.target);
      if (!f) return json(res, 404, { error: `not following ${input.target}` });
      const actor = await lookupActor(ctx, f.actorObject.id.href, signed).catch(() => f.actorObject);
      const undo = new Undo({
        id: new URL(`${f.followId}/undo/${randomUUID()}`),
        actor: ctx.getActorUri(USER),
        object: f.followObject,
        to: actor.id,
      });
      await ctx.sendActivity({ identifier: USER }, actor, undo);
      following.delete(actor.id.href);
      return json(res, 200, { undoId: undo.id.href, followId: f.followId });
    }
    if (req.method === "POST" && path === "/control/send") {
      // {"target": "<actor URL>", "activity": {...JSON-LD...}}: sign + deliver an
      // arbitrary activity as the peer (actor and id are filled in if absent).
      if (typeof input.target !== "string" || typeof input.activity !== "object") {
        return json(res, 400, { error: "body must be {\"target\": \"<actor URL>\", \"activity\": {...}}" });
      }
      const actor = await lookupActor(ctx, input.target, signed);
      const a = { "@context": "https://www.w3.org/ns/activitystreams", ...input.activity };
      a.id ??= new URL(`/activities/${randomUUID()}`, origin).href;
      a.actor ??= ctx.getActorUri(USER).href;
      const activity = await Activity.fromJsonLd(a, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
      await ctx.sendActivity({ identifier: USER }, actor, activity);
      return json(res, 200, { id: a.id });
    }
    return json(res, 404, { error: `unknown control endpoint ${req.method} ${path}` });
  } catch (e) {
    logErr(`control ${path} failed:`, e);
    return json(res, 502, { error: String(e?.message ?? e) });
  }
}

// ----------------------------------------------------------------- HTTP server
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function handle(req, res) {
  const body = await readBody(req);
  const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${port}`}`);
  if (url.pathname.startsWith("/control/")) return control(req, res, url.pathname, body);

  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });

  const isInbox = req.method === "POST" && (url.pathname === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(url.pathname));
  let logEntry = null;
  if (isInbox) {
    const j = safeJson(body.toString("utf8"));
    logEntry = {
      path: url.pathname,
      scheme: schemeOf(headers),
      activityType: j?.type,
      activityId: j?.id,
      headers: Object.fromEntries(headers),
      recorded: false,
      receivedAt: new Date().toISOString(),
    };
    inboxLog.push(logEntry);
  }
  const store = { scheme: schemeOf(headers), path: url.pathname, body: hasBody ? body.toString("utf8") : null, logEntry };
  const response = await reqStore.run(store, () =>
    federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain" } }),
      onNotAcceptable: () => new Response("Not acceptable\n", { status: 406, headers: { "content-type": "text/plain" } }),
    }),
  );
  if (logEntry) logEntry.status = response.status;
  const out = Buffer.from(await response.arrayBuffer());
  const outHeaders = {};
  response.headers.forEach((v, k) => (outHeaders[k] = v));
  outHeaders["content-length"] = out.length;
  res.writeHead(response.status, outHeaders);
  res.end(out);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    logErr(`${req.method} ${req.url} failed:`, e);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal server error\n");
  });
});
server.on("error", (e) => {
  logErr("server error:", e);
  process.exit(1);
});
server.listen(port, HOST, () => {
  const actual = server.address().port;
  origin = `http://${HOST}:${actual}`;
  federation = buildFederation();
  process.stdout.write(`READY ${actual}\n`);
});

// ------------------------------------------------------------------ lifecycle
let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`peer: ${signal}, shutting down\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
// Don't outlive the process that spawned us (e.g. a panicking cargo test).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown("parent exited");
}, 1000).unref();
process.on("unhandledRejection", (e) => logErr("unhandled rejection:", e));
