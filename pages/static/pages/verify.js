// The in-browser verifier: recomputes a lottery day's draw from the public JSON and checks it
// against the lottery's public record (its signed, witnessed log).
//
// It implements docs/draw-rules.md, the same rules as scripts/verify_draw.py, and a test
// (tests/browser/test_verifier_agreement.py) holds both to the same answers on the same days.
// Web Crypto does SHA-256, HMAC and Ed25519; BigInt does the modular arithmetic of the delay
// function's proof and the strict checks of Ed25519 keys. Nothing is sent anywhere: it only
// reads this server's public answers, and keeps the record's keys (trust on first use) and
// the size of the record it saw in this browser's storage for this site.
"use strict";
(() => {
  const RULE_VDF = "unicorn-pietrzak-rsa2048";
  const RULE_HMAC = "hmac-sha256";
  const PAGE_LIMIT = 10000; // ids per page of GET /draws/{date}/ballots (the server's maximum)
  const CHUNK = 1024; // leaves hashed together up to one node (a power of two)
  // The fewest squarings a day's delay may have and still pass, unless the person lowers it
  // (the page's "Lowest delay to accept"): scripts/verify_draw.py's --min-delay default.
  const DEFAULT_MIN_DELAY = 1n << 27n;
  // The RSA-2048 challenge modulus (RSA Laboratories, 1991): the group of the delay function.
  // Nobody is known to hold its factors (docs/draw-rules.md, "Trust assumption").
  const N = BigInt(
    "2519590847565789349402718324004839857142928212620403202777713783604366202070" +
      "7595556264018525880784406918290641249515082189298559149176184502808489120072" +
      "8449926873928072877767359714183472702618963750149718246911650776133798590957" +
      "0009733045974880842840179742910064245869181719511874612151517265463228221686" +
      "9987549182422433637259085141865462043576798423387184774447920739934236584823" +
      "8242811981638150106748104516603773060562016196762561338441436038339044149526" +
      "3443219011465754445417842402092461651572335077870774981712577246796292638635" +
      "6373289912154831438167899885040445364023527381951378636564391212010397122822" +
      "120720357",
  );
  const HALF_N = (N - 1n) / 2n;

  const HEX64 = /^[0-9a-f]{64}$/;
  const HEX512 = /^[0-9a-f]{512}$/;
  const HEX_BEACON = /^[0-9a-f]{2,128}$/;
  const HEX_SIGNATURE = /^[0-9a-f]{96}$/; // a compressed BLS12-381 G1 point
  // drand's quicknet, as verify_draw.py has it built in: the round the rule fixes needs these.
  const QUICKNET = { genesis: 1692803367, period: 3 };
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  const INTEGER = /^(?:0|[1-9][0-9]*)$/;
  const utf8 = new TextEncoder();

  // --- Reading the server's answers -------------------------------------------------------

  // An answer the checks cannot use: the run ends, failed. ``status``: the HTTP status, if any.
  class Unusable extends Error {
    constructor(message, status = null) {
      super(message);
      this.status = status;
    }
  }

  // A JSON number spelled otherwise than as a plain integer (83.0, 1e2, -1): JSON.parse alone
  // would read 83.0 as 83, which the rules refuse.
  class NotAnInteger {
    constructor(source) {
      this.source = source;
    }
    toString() {
      return this.source;
    }
  }

  // The first key that an object of ``text`` (valid JSON) repeats, else null: JSON.parse
  // would keep the last one silently, so a server could show two readers two values.
  function repeatedKey(text) {
    const stack = [];
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 92) j += 2;
          else if (d === 34) break;
          else j += 1;
        }
        const top = stack[stack.length - 1];
        if (top && top.expectKey) {
          const key = JSON.parse(text.slice(i, j + 1));
          if (top.keys.has(key)) return key;
          top.keys.add(key);
          top.expectKey = false;
        }
        i = j;
      } else if (c === 123) stack.push({ keys: new Set(), expectKey: true });
      else if (c === 91) stack.push(null);
      else if (c === 125 || c === 93) stack.pop();
      else if (c === 44 && stack[stack.length - 1]) stack[stack.length - 1].expectKey = true;
    }
    return null;
  }

  function parseJSON(text) {
    let sourceSeen = false;
    const value = JSON.parse(text, (key, v, context) => {
      if (typeof v !== "number") return v;
      if (context && typeof context.source === "string") {
        sourceSeen = true;
        const ok = INTEGER.test(context.source) && Number.isSafeInteger(v);
        return ok ? v : new NotAnInteger(context.source);
      }
      return v;
    });
    if (!sourceSeen && /[.eE]|-[0-9]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) {
      // A browser without JSON.parse's source text: refuse any non-integer spelling at all.
      throw new Unusable("the answer holds a number that is not a plain integer");
    }
    const repeated = repeatedKey(text);
    if (repeated !== null) throw new Unusable(`the answer repeats the key ${JSON.stringify(repeated)}`);
    return value;
  }

  async function getJSON(path) {
    let response;
    try {
      response = await fetch(path, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      throw new Unusable(`${path} could not be read (${error.message})`);
    }
    const text = await response.text();
    let body;
    try {
      body = parseJSON(text);
    } catch (error) {
      if (error instanceof Unusable) throw new Unusable(`${path}: ${error.message}`);
      body = undefined;
    }
    if (!response.ok) {
      const detail = body && typeof body.detail === "string" ? `: ${body.detail}` : "";
      throw new Unusable(`${path} answered HTTP ${response.status}${detail}`, response.status);
    }
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new Unusable(`${path} did not answer a JSON object`);
    }
    return body;
  }

  // A text answer (the record's key and checkpoints are signed notes, not JSON).
  async function getText(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: "text/plain" }, cache: "no-store", credentials: "omit" });
    } catch (error) {
      throw new Unusable(`${path} could not be read (${error.message})`);
    }
    const text = await response.text();
    if (!response.ok) throw new Unusable(`${path} answered HTTP ${response.status}`, response.status);
    return text;
  }

  // --- Hashing and numbers ------------------------------------------------------------------

  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

  function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  function bytesOfHex(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  const bigOf = (bytes) => (bytes.length ? BigInt(`0x${hexOf(bytes)}`) : 0n);
  const enc = (v) => bytesOfHex(v.toString(16).padStart(512, "0")); // 256 bytes, big-endian

  function u64(value) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value);
    return out;
  }

  function modpow(base, exponent, modulus) {
    let result = 1n;
    base %= modulus;
    while (exponent > 0n) {
      if (exponent & 1n) result = (result * base) % modulus;
      base = (base * base) % modulus;
      exponent >>= 1n;
    }
    return result;
  }

  // An element of Z_N^* / {1, -1} by its representative min(v, N - v).
  function canon(v) {
    const r = ((v % N) + N) % N;
    return r <= HALF_N ? r : N - r;
  }

  function leafMessage(id) {
    const message = new Uint8Array(17); // 0x00 || the id's 16 bytes
    const hex = id.replaceAll("-", "");
    for (let i = 0; i < 16; i++) message[i + 1] = parseInt(hex.substr(i * 2, 2), 16);
    return message;
  }

  const leafHash = (id) => sha256(leafMessage(id));

  function nodeMessage(left, right) {
    const message = new Uint8Array(65);
    message[0] = 1;
    message.set(left, 1);
    message.set(right, 33);
    return message;
  }

  const nodeHash = (left, right) => sha256(nodeMessage(left, right));

  // One level up: pairs left to right (hashed in parallel); an odd last node moves up as it is.
  async function levelUp(nodes) {
    const hashes = [];
    for (let i = 0; i + 1 < nodes.length; i += 2) hashes.push(nodeHash(nodes[i], nodes[i + 1]));
    const up = await Promise.all(hashes);
    if (nodes.length % 2) up.push(nodes[nodes.length - 1]);
    return up;
  }

  async function rootOf(nodes) {
    if (!nodes.length) return sha256(new Uint8Array(0));
    while (nodes.length > 1) nodes = await levelUp(nodes);
    return nodes[0];
  }

  // RFC 9162, 2.1.3.2: the root an inclusion path leads to, or null if it cannot fit the tree.
  async function pathRoot(leaf, index, count, path) {
    if (!(index < count)) return null;
    let fn = index;
    let sn = count - 1;
    let node = leaf;
    for (const sibling of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        node = await nodeHash(sibling, node);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        node = await nodeHash(node, sibling);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? node : null;
  }

  // --- Canonical forms (docs/draw-rules.md) ---------------------------------------------------

  const isCount = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  const show = (v) => (typeof v === "string" ? JSON.stringify(v) : String(v));

  function isElement(v) {
    if (typeof v !== "string" || !HEX512.test(v)) return false;
    const n = BigInt(`0x${v}`);
    return n >= 1n && n <= HALF_N;
  }

  function isRealDate(v) {
    if (typeof v !== "string" || !DATE.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }

  // Every way a published draw can be spelled wrong; an empty list when it is canonical.
  // The same fields and forms as scripts/verify_draw.py's Draw.
  function drawProblems(draw, date) {
    const problems = [];
    const want = (ok, field, form) => {
      if (!ok) problems.push(`${field} ${field in draw ? show(draw[field]) : "missing"}: ${form}`);
    };
    const hex64 = (v) => typeof v === "string" && HEX64.test(v);
    const uuid = (v) => typeof v === "string" && UUID.test(v);
    want(draw.date === date && DATE.test(draw.date), "date", `must be ${date}`);
    want(draw.rule === RULE_VDF || draw.rule === RULE_HMAC, "rule", "an unknown rule");
    want(draw.state === "drawn", "state", 'must be "drawn" (the winner is known)');
    want(isCount(draw.ballot_count), "ballot_count", "a JSON integer >= 0");
    want(hex64(draw.merkle_root), "merkle_root", "64 lowercase hex digits");
    const count = isCount(draw.ballot_count) ? draw.ballot_count : -1;
    if (count === 0) {
      want(draw.winning_index === null, "winning_index", "null on a day without ballots");
      want(draw.winning_ballot_id === null, "winning_ballot_id", "null on a day without ballots");
    } else {
      want(isCount(draw.winning_index) && draw.winning_index < count, "winning_index", "a JSON integer below ballot_count");
      want(uuid(draw.winning_ballot_id), "winning_ballot_id", "a lowercase UUID");
    }
    if (draw.rule === RULE_HMAC) {
      want(hex64(draw.seed), "seed", "64 lowercase hex digits");
      want(hex64(draw.seed_commitment), "seed_commitment", "64 lowercase hex digits");
    }
    if (draw.rule === RULE_VDF) {
      const t = draw.vdf_delay_log2;
      want(isCount(t) && t >= 1 && t <= 64, "vdf_delay_log2", "a JSON integer from 1 to 64");
      want(Array.isArray(draw.vdf_proof), "vdf_proof", "a list");
      if (count === 0) {
        want(draw.vdf_output === null, "vdf_output", "null on a day without ballots");
        want(Array.isArray(draw.vdf_proof) && draw.vdf_proof.length === 0, "vdf_proof", "[] on a day without ballots");
      } else {
        want(isElement(draw.vdf_output), "vdf_output", "a group element (512 lowercase hex digits, 1 <= v <= (N-1)/2)");
        const proofOk = Array.isArray(draw.vdf_proof) && draw.vdf_proof.length === t && draw.vdf_proof.every(isElement);
        if (!proofOk) problems.push(`vdf_proof: must be ${t} canonical group elements`);
      }
    }
    want(draw.beacon_round === null || isCount(draw.beacon_round), "beacon_round", "null or a JSON integer");
    want(draw.beacon_randomness === null || (typeof draw.beacon_randomness === "string" && HEX_BEACON.test(draw.beacon_randomness)), "beacon_randomness", "null or lowercase hex");
    want(draw.beacon_signature === null || (typeof draw.beacon_signature === "string" && HEX_SIGNATURE.test(draw.beacon_signature)), "beacon_signature", "null or 96 lowercase hex digits");
    want(draw.beacon_delay_seconds === null || isCount(draw.beacon_delay_seconds), "beacon_delay_seconds", "null or a JSON integer");
    const roundNull = draw.beacon_round === null;
    want(roundNull === (draw.beacon_randomness === null) && roundNull === (draw.beacon_signature === null), "beacon_signature", "goes with beacon_round and beacon_randomness");
    want(roundNull === (draw.beacon_delay_seconds === null), "beacon_round", "drawn exactly when the day's policy has a beacon delay");
    want(isCount(draw.height), "height", "a JSON integer >= 0");
    want(draw.previous_date === null || (typeof draw.previous_date === "string" && DATE.test(draw.previous_date)), "previous_date", "null or YYYY-MM-DD");
    want(draw.previous_record_hash === null || hex64(draw.previous_record_hash), "previous_record_hash", "null or 64 lowercase hex digits");
    const first = draw.height === 0;
    want(first === (draw.previous_record_hash === null) && first === (draw.previous_date === null), "height", "only the first draw (height 0) has no previous draw");
    want(hex64(draw.record_hash), "record_hash", "64 lowercase hex digits");
    return problems;
  }

  // --- Ed25519, strictly (RFC 8032 5.1.7; docs/draw-rules.md, 6) ---------------------------
  //
  // Web Crypto verifies the signatures, but may be lenient where the rules are not: every
  // implementation here refuses a public key that is not the canonical encoding of a curve
  // point or is of small order, and a signature whose S is not below the group order L.

  const P = (1n << 255n) - 19n;
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const fe = (v) => ((v % P) + P) % P;
  const feInverse = (v) => modpow(fe(v), P - 2n, P);
  const ED_D = fe(-121665n * feInverse(121666n));
  const SQRT_M1 = modpow(2n, (P - 1n) / 4n, P);
  const littleEndian = (bytes) => bigOf(Uint8Array.from(bytes).reverse());

  // The point (x, y) an encoding names (RFC 8032 5.1.3), or null when it is no canonical one.
  function edDecode(bytes) {
    const value = littleEndian(bytes);
    const sign = value >> 255n;
    const y = value & ((1n << 255n) - 1n);
    if (y >= P) return null;
    const u = fe(y * y - 1n);
    const v = fe(ED_D * y * y + 1n);
    const v3 = fe(v * v * v);
    let x = fe(u * v3 * modpow(fe(u * v3 * v3 * v), (P - 5n) / 8n, P));
    const check = fe(v * x * x);
    if (check === fe(-u)) x = fe(x * SQRT_M1);
    else if (check !== u) return null;
    if (x === 0n && sign === 1n) return null;
    if ((x & 1n) !== sign) x = P - x;
    return { x, y };
  }

  // Twisted Edwards addition (a = -1), complete on this curve.
  function edAdd(p, q) {
    const t = fe(ED_D * p.x * q.x * p.y * q.y);
    return {
      x: fe((p.x * q.y + p.y * q.x) * feInverse(1n + t)),
      y: fe((p.y * q.y + p.x * q.x) * feInverse(1n - t)),
    };
  }

  // Why a 32-byte Ed25519 public key is refused, or null when it may be used.
  function ed25519KeyProblem(key) {
    if (!(key instanceof Uint8Array) || key.length !== 32) return "not 32 bytes";
    const point = edDecode(key);
    if (point === null) return "not the canonical encoding of a curve point";
    let q = point;
    for (let i = 0; i < 3; i++) q = edAdd(q, q); // 8 times the point: the identity for small order
    if (q.x === 0n && q.y === 1n) return "a point of small order";
    return null;
  }

  // A 64-byte signature whose S (little-endian, the last 32 bytes) is below L.
  const ed25519SignatureCanonical = (signature) =>
    signature instanceof Uint8Array && signature.length === 64 && littleEndian(signature.subarray(32)) < L;

  async function ed25519Verify(publicKey, message, signature) {
    if (ed25519KeyProblem(publicKey) !== null || !ed25519SignatureCanonical(signature)) return false;
    let key;
    try {
      key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      throw new Unusable(`this browser cannot check Ed25519 signatures (${error.message}): check the day with scripts/verify_draw.py`);
    }
    return crypto.subtle.verify("Ed25519", key, signature, message);
  }

  // --- Keys and signed notes (C2SP signed-note, tlog-checkpoint, tlog-cosignature) ----------

  const KEY_ED25519 = 0x01;
  const KEY_COSIGNATURE = 0x04;
  const DASH = "\u2014"; // the em dash that starts every signature line
  const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  const KEY_NAME = /^[^\s+\u2014\p{C}]+$/u;

  const base64Of = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

  // The bytes of canonical base64, or null.
  function bytesOfBase64(text) {
    if (typeof text !== "string" || !BASE64.test(text)) return null;
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return base64Of(bytes) === text ? bytes : null;
  }

  const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

  const keyId = async (name, type, publicKey) =>
    (await sha256(concat([utf8.encode(`${name}\n`), Uint8Array.of(type), publicKey]))).subarray(0, 4);

  // A verifier key, name+<8 hex key id>+base64(type || key): {name, type, id, key, vkey}; an
  // Error saying why when it is not one of ``type`` that may be used.
  async function parseVkey(text, type) {
    if (typeof text !== "string") throw new Error("not a verifier key");
    const first = text.indexOf("+");
    const second = text.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Error(`${JSON.stringify(text)} is not a verifier key (name+keyid+base64)`);
    const [name, hexId, material] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
    if (!KEY_NAME.test(name) || !/^[0-9a-f]{8}$/.test(hexId)) throw new Error(`${JSON.stringify(text)} is not a verifier key (name+keyid+base64)`);
    const raw = bytesOfBase64(material);
    if (raw === null || raw.length !== 33 || raw[0] !== type) throw new Error(`${JSON.stringify(text)}: not a key of type 0x0${type} (33 bytes of base64)`);
    const key = raw.slice(1);
    const problem = ed25519KeyProblem(key);
    if (problem !== null) throw new Error(`${JSON.stringify(text)}: its public key is ${problem}`);
    const id = await keyId(name, type, key);
    if (hexOf(id) !== hexId) throw new Error(`${JSON.stringify(text)}: its key id does not match its name and key`);
    return { name, type, id, key, vkey: text };
  }

  // A signed checkpoint: {body, origin, size, root, signatures: [{name, payload}]}; an Error
  // saying why when it is not one.
  function parseCheckpoint(text) {
    const cut = typeof text === "string" ? text.indexOf("\n\n") : -1;
    if (cut < 0 || !text.endsWith("\n")) throw new Error("not a signed note (body, blank line, signature lines)");
    const body = text.slice(0, cut + 1);
    const lines = body.split("\n");
    if (lines.length !== 4) throw new Error("its body is not the three lines origin, size, root");
    const [origin, sizeText, rootText] = lines;
    if (!KEY_NAME.test(origin)) throw new Error(`its origin ${JSON.stringify(origin)} is not a log name`);
    if (!INTEGER.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Error(`its size ${JSON.stringify(sizeText)} is not an integer`);
    const root = bytesOfBase64(rootText);
    if (root === null || root.length !== 32) throw new Error(`its root ${JSON.stringify(rootText)} is not the base64 of 32 bytes`);
    const signatures = [];
    for (const line of text.slice(cut + 2, -1).split("\n")) {
      const match = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
      const payload = match ? bytesOfBase64(match[2]) : null;
      if (payload === null || payload.length < 5) throw new Error(`${JSON.stringify(line)} is not a signature line`);
      signatures.push({ name: match[1], payload });
    }
    if (!signatures.length) throw new Error("it carries no signature");
    return { body, origin, size: Number(sizeText), root, signatures };
  }

  // "signed" when ``key`` (the log's) signed the checkpoint, "bad" when its line does not
  // verify, "absent" when it has no line by that key.
  async function checkpointSignedBy(checkpoint, key) {
    const lines = checkpoint.signatures.filter((s) => s.name === key.name && sameBytes(s.payload.subarray(0, 4), key.id));
    if (!lines.length || checkpoint.origin !== key.name) return "absent";
    for (const line of lines) {
      if (line.payload.length === 68 && (await ed25519Verify(key.key, utf8.encode(checkpoint.body), line.payload.subarray(4)))) return "signed";
    }
    return "bad";
  }

  // The witness's time (POSIX seconds) when ``witness`` cosigned the checkpoint, else null.
  async function cosignedAt(checkpoint, witness) {
    for (const line of checkpoint.signatures) {
      const payload = line.payload;
      if (line.name !== witness.name || payload.length !== 76 || !sameBytes(payload.subarray(0, 4), witness.id)) continue;
      const time = new DataView(payload.buffer, payload.byteOffset + 4, 8).getBigUint64(0);
      if (time >= 1n << 63n) continue;
      const message = utf8.encode(`cosignature/v1\ntime ${time}\n${checkpoint.body}`);
      if (await ed25519Verify(witness.key, message, payload.subarray(12))) return Number(time);
    }
    return null;
  }

  // --- The record's entries (docs/draw-rules.md, 6) -----------------------------------------

  const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/;
  const HEX_VALUE = /^[0-9a-f]+$/;
  const KIND = { "lottery-policy/v1": "policy", "lottery-close/v1": "close", "lottery-draw/v1": "draw" };

  const isInstant = (v) => INSTANT.test(v) && new Date(Date.parse(`${v.slice(0, 23)}Z`)).toISOString() === `${v.slice(0, 23)}Z`;
  const isInteger = (v) => INTEGER.test(v) && Number.isSafeInteger(Number(v));
  const orNone = (test) => (v) => v === "none" || test(v);
  const ENTRY_FIELDS = {
    policy: [
      ["date", isRealDate],
      ["rule", (v) => v === RULE_VDF || v === RULE_HMAC],
      ["vdf_delay_log2", orNone((v) => isInteger(v) && Number(v) >= 1 && Number(v) <= 64)],
      ["beacon", (v) => v === "none" || /^(?:0|[1-9][0-9]*) [^\s]+$/.test(v)],
      ["opens_at", isInstant],
      ["closes_at", isInstant],
      ["close_witness_seconds", isInteger],
      ["seed_commitment", orNone((v) => HEX64.test(v))],
      ["demo", (v) => v === "yes" || v === "no"],
    ],
    close: [
      ["date", isRealDate],
      ["policy", (v) => HEX64.test(v)],
      ["ballot_count", isInteger],
      ["merkle_root", (v) => HEX64.test(v)],
      ["closed_at", isInstant],
    ],
    draw: [
      ["date", isRealDate],
      ["policy", (v) => HEX64.test(v)],
      ["close", (v) => HEX64.test(v)],
      ["winning_index", orNone(isInteger)],
      ["winning_ballot_id", orNone((v) => UUID.test(v))],
      ["seed", orNone((v) => HEX64.test(v))],
      ["vdf_output", orNone(isElement)],
      ["beacon_round", orNone(isInteger)],
      ["beacon_randomness", orNone((v) => HEX_BEACON.test(v) && HEX_VALUE.test(v))],
      ["beacon_signature", orNone((v) => HEX_SIGNATURE.test(v))],
      ["height", isInteger],
      ["previous_record_hash", orNone((v) => HEX64.test(v))],
      ["drawn_at", isInstant],
    ],
  };

  // An entry's kind and fields ({name: text}), read strictly: exactly these lines in this
  // order, each value in its one form; an Error saying why otherwise.
  function parseEntry(text) {
    if (typeof text !== "string" || !text.endsWith("\n")) throw new Error("an entry is lines that end in a newline");
    const lines = text.slice(0, -1).split("\n");
    const kind = KIND[lines[0]];
    if (!kind) throw new Error(`${JSON.stringify(lines[0])} is not a kind of entry`);
    const spec = ENTRY_FIELDS[kind];
    if (lines.length !== spec.length + 1) throw new Error(`a ${kind} entry has ${spec.length} lines after its kind, not ${lines.length - 1}`);
    const fields = {};
    spec.forEach(([name, valid], i) => {
      const line = lines[i + 1];
      if (!line.startsWith(`${name} `) || !valid(line.slice(name.length + 1))) throw new Error(`line ${i + 2} ${JSON.stringify(line)}: expected ${name} in its form`);
      fields[name] = line.slice(name.length + 1);
    });
    if (kind === "policy") {
      const vdf = fields.rule === RULE_VDF;
      if (vdf === (fields.vdf_delay_log2 === "none")) throw new Error("vdf_delay_log2 goes with the rule unicorn-pietrzak-rsa2048");
      if (vdf !== (fields.seed_commitment === "none")) throw new Error("seed_commitment goes with the rule hmac-sha256");
      if (!(fields.opens_at < fields.closes_at)) throw new Error("opens_at is not before closes_at");
    }
    return { kind, fields };
  }

  const textOf = (text) => (text === "none" ? null : text);
  const numberOf = (text) => (text === "none" ? null : Number(text));
  const instantSeconds = (v) => Date.parse(`${v.slice(0, 19)}Z`) / 1000;
  const beaconDelay = (policy) => (policy.beacon === "none" ? null : Number(policy.beacon.split(" ")[0]));
  const utc = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

  function durationText(seconds) {
    const s = Math.abs(seconds);
    return s < 120 ? `${s} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
  }

  // The RFC 6962 root over entry texts (leaf = SHA-256(0x00 || entry), node as the ballot set).
  async function recordLeaves(entries) {
    return Promise.all(entries.map((entry) => sha256(concat([Uint8Array.of(0), utf8.encode(entry)]))));
  }

  const recordRoot = async (entries) => rootOf(await recordLeaves(entries));

  // --- The keys this browser keeps (trust on first use) -------------------------------------

  const STORE = "lottery-verifier/v1";
  const ENTRY_PAGE = 1000; // entries per page of GET /log/entries (the server's maximum)
  const CHECKPOINT_PAGE = 100; // checkpoints per page of GET /log/checkpoints (its maximum)
  const MAX_LOG_SIZE = 10_000_000; // a few entries a day: far more than any real log
  // The longest a policy may give its close to be witnessed: verify_draw.py's --max-close-delay
  // default. Far longer, and a root held back could be ground through the delay function.
  const MAX_CLOSE_DELAY = 900;

  function stored() {
    try {
      const value = JSON.parse(window.localStorage.getItem(STORE) || "null");
      return value && typeof value === "object" ? value : null;
    } catch {
      return null;
    }
  }

  function store(value) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(value));
      return true;
    } catch {
      return false;
    }
  }

  // The lottery's key and the witnesses' keys: the ones this browser kept the first time it
  // checked a draw here, else this server's, kept now. Shown to the person either way.
  async function keptKeys(report) {
    let state = stored();
    let kept = true;
    if (!state || typeof state.log !== "string" || !Array.isArray(state.witnesses)) {
      const text = await getText("/log/key");
      if (!/^[^\n]+\n$/.test(text)) throw new Unusable("/log/key is not one line of text");
      const listed = await getJSON("/log/witnesses");
      if (!Array.isArray(listed.witnesses)) throw new Unusable("/log/witnesses is not {witnesses: [...]}");
      const witnesses = [];
      for (const item of listed.witnesses) {
        if (!item || typeof item.vkey !== "string") throw new Unusable("/log/witnesses lists a witness without a vkey");
        witnesses.push(item.vkey);
      }
      state = { log: text.slice(0, -1), witnesses, kept_on: new Date().toISOString().slice(0, 10) };
      kept = store(state);
      state.fresh = true;
    }
    let log;
    const witnesses = [];
    try {
      log = await parseVkey(state.log, KEY_ED25519);
      for (const vkey of state.witnesses) witnesses.push(await parseVkey(vkey, KEY_COSIGNATURE));
    } catch (error) {
      report.fail("the record's keys can be used", error.message);
      throw new Unusable(state.fresh ? "this server's keys cannot be used" : "the keys this browser keeps cannot be used: clear this site's data to keep new ones");
    }
    if (new Set(witnesses.map((w) => w.name)).size !== witnesses.length) throw new Unusable("/log/witnesses names a witness twice");
    report.info("the lottery's key", log.vkey);
    for (const witness of witnesses) report.info(`the key of witness ${witness.name}`, witness.vkey);
    const stronger = "Keys learned elsewhere are stronger: pin them with scripts/verify_draw.py --log-key and --witness-key.";
    report.info(
      "kept on first use",
      !kept
        ? `Taken from this server for this check only: this browser could not keep them. ${stronger}`
        : state.fresh
          ? `Kept now in this browser, on first use, from this server: answers signed by other keys will fail here. A server that lied the first time would have been believed. ${stronger}`
          : `Kept in this browser on first use, from this server${state.kept_on ? ` on ${state.kept_on}` : ""}: answers signed by other keys fail. ${stronger}`,
    );
    return { log, witnesses, state: kept ? state : null };
  }

  // --- The public record ----------------------------------------------------------------------

  async function recordEntries(size) {
    const entries = [];
    while (entries.length < size) {
      const start = entries.length;
      const page = await getJSON(`/log/entries?start=${start}&limit=${ENTRY_PAGE}`);
      if (page.start !== start || !Array.isArray(page.entries)) throw new Unusable(`/log/entries?start=${start} is not {start, entries, next_start}`);
      if (!page.entries.length) throw new Unusable(`the record ends after ${start} entries, short of its checkpoint's ${size}`);
      if (!page.entries.every((e) => typeof e === "string")) throw new Unusable(`/log/entries?start=${start} holds an entry that is not text`);
      entries.push(...page.entries.slice(0, size - start));
    }
    return entries;
  }

  // What the public record says of ``date``, after checking the record itself: its signature,
  // its entries up to its checkpoint, and the day's one policy, close and draw; null for a day
  // before the record.
  async function readRecord(date, report) {
    let text;
    try {
      text = await getText("/log/checkpoint");
    } catch (error) {
      if (!(error instanceof Unusable && error.status === 404)) throw error;
      const seen = stored();
      if (seen && seen.seen && seen.seen.size > 0) {
        report.fail("the public record", `it is empty now; this browser saw ${seen.seen.size} entries in it on ${seen.seen.on}`);
        throw new Unusable("the public record is gone");
      }
      report.info("the day predates the public record", "the lottery's record is still empty: the draw's own checks follow (docs/draw-rules.md, 3-5)");
      return null;
    }
    const keys = await keptKeys(report);
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      throw new Unusable(`/log/checkpoint: ${error.message}`);
    }
    const signed = await checkpointSignedBy(checkpoint, keys.log);
    const signers = checkpoint.signatures.map((s) => `${s.name} (key id ${hexOf(s.payload.subarray(0, 4))})`).join(", ");
    report.check(
      "the record's checkpoint is signed by the lottery's key",
      signed === "signed",
      signed === "signed"
        ? `${checkpoint.origin}, ${checkpoint.size} entries, root ${base64Of(checkpoint.root)}`
        : signed === "bad"
          ? "its signature by the kept key does not verify"
          : `signed by ${signers}, not by the kept key ${keys.log.name} (key id ${hexOf(keys.log.id)})`,
    );
    if (signed !== "signed") throw new Unusable("the public record is not signed by the key this browser keeps");
    if (checkpoint.size > MAX_LOG_SIZE) throw new Unusable(`the record claims ${checkpoint.size} entries, more than any real log`);

    const entries = await recordEntries(checkpoint.size);
    const leaves = await recordLeaves(entries);
    const root = await rootOf(leaves);
    const roots = new Map([[checkpoint.size, root]]);
    const rootAt = async (size) => {
      if (!roots.has(size)) roots.set(size, await rootOf(leaves.slice(0, size)));
      return roots.get(size);
    };
    const parsed = [];
    const problems = [];
    entries.forEach((entry, index) => {
      try {
        parsed.push({ index, text: entry, ...parseEntry(entry) });
      } catch (error) {
        problems.push(`entry ${index}: ${error.message}`);
      }
    });
    const leadsToRoot = sameBytes(root, checkpoint.root);
    report.check(
      "the record's entries lead to its checkpoint",
      leadsToRoot && !problems.length,
      !leadsToRoot
        ? `the ${checkpoint.size} entries served give the root ${base64Of(root)}, not the signed ${base64Of(checkpoint.root)}`
        : problems.length
          ? problems.slice(0, 3).join("; ")
          : `${checkpoint.size} entries, each in its one form, give the signed root`,
    );
    if (!leadsToRoot || problems.length) throw new Unusable("the public record cannot be read as signed");

    // The record only grows: the one this browser saw before is a prefix of this one.
    if (keys.state) {
      const before = keys.state.seen;
      if (before && Number.isSafeInteger(before.size) && before.size > 0) {
        const grown = before.size <= checkpoint.size && base64Of(await rootAt(before.size)) === before.root;
        report.check(
          "the record extends the one this browser saw",
          grown,
          grown
            ? `${before.size} entries on ${before.on}, ${checkpoint.size} now`
            : `this browser saw ${before.size} entries with the root ${before.root} on ${before.on}; the record now has ${checkpoint.size} that do not begin with them`,
        );
        if (!grown) throw new Unusable("the public record was rewritten");
      }
      if (!before || !(before.size >= checkpoint.size)) {
        store({ ...keys.state, fresh: undefined, seen: { size: checkpoint.size, root: base64Of(checkpoint.root), on: new Date().toISOString().slice(0, 10) } });
      }
    }

    const firstPolicy = parsed.find((e) => e.kind === "policy");
    const start = firstPolicy ? firstPolicy.fields.date : null;
    if (start === null || date < start) {
      report.info("the day predates the public record", `${start === null ? "the record holds no policy yet" : `the record starts on ${start}`}: the draw's own checks follow (docs/draw-rules.md, 3-5)`);
      return null;
    }
    const heights = new Map();
    for (const entry of parsed) {
      if (entry.kind !== "draw") continue;
      if (heights.has(entry.fields.height)) {
        report.fail("the record's chain of draws", `entries ${heights.get(entry.fields.height)} and ${entry.index} are both draws of height ${entry.fields.height}`);
        throw new Unusable("the public record forks its chain of draws");
      }
      heights.set(entry.fields.height, entry.index);
    }

    const ofDay = (kind) => parsed.filter((e) => e.kind === kind && e.fields.date === date);
    const hashOf = async (entry) => hexOf(await sha256(utf8.encode(entry.text)));
    const one = (kind, found, after, extra) => {
      const where = found.map((e) => e.index).join(" and ");
      let reason = null;
      if (found.length === 0) reason = `the record holds no ${kind} entry for ${date}`;
      else if (found.length > 1) reason = `${found.length} ${kind} entries for ${date} (entries ${where}): the record holds one of each kind a day`;
      else if (after && !(found[0].index > after.index)) reason = `entry ${found[0].index} comes before the day's ${after.kind} (entry ${after.index})`;
      else if (extra) reason = extra(found[0]);
      report.check(`the ${kind} is in the public record`, reason === null, reason ?? `entry ${found[0].index}, SHA-256 ${found[0].hash}`);
      return reason === null ? found[0] : null;
    };
    const policies = ofDay("policy");
    const closes = ofDay("close");
    const draws = ofDay("draw");
    for (const entry of [...policies, ...closes, ...draws]) entry.hash = await hashOf(entry);
    const policy = one("policy", policies);
    const close = policy && one("close", closes, policy, (e) => (e.fields.policy === policy.hash ? null : "it names another policy entry"));
    const drawn = close && one("draw", draws, close, (e) => (e.fields.policy === policy.hash && e.fields.close === close.hash ? null : "it names another policy or close entry"));
    if (!drawn) throw new Unusable(`the public record does not hold ${date}'s policy, close and draw, one of each`);

    const drawsByHash = new Map();
    for (const entry of parsed) if (entry.kind === "draw") drawsByHash.set(await hashOf(entry), entry);
    return {
      start,
      size: checkpoint.size,
      origin: checkpoint.origin,
      policy: { index: policy.index, hash: policy.hash, ...policy.fields },
      close: { index: close.index, hash: close.hash, ...close.fields },
      draw: { index: drawn.index, hash: drawn.hash, ...drawn.fields },
      demo: policy.fields.demo === "yes",
      drawsByHash,
      rootAt,
      keys,
    };
  }

  // Every field of the published draw that the checks read, against the day's entries.
  function checkAgainstRecord(draw, record, report) {
    const { policy, close, draw: entry } = record;
    const mismatches = [];
    const same = (field, logged, where) => {
      if (draw[field] !== logged) mismatches.push(`${field} ${show(draw[field])}, the ${where} entry has ${show(logged)}`);
    };
    same("rule", policy.rule, "policy");
    same("vdf_delay_log2", numberOf(policy.vdf_delay_log2), "policy");
    same("beacon_delay_seconds", beaconDelay(policy), "policy");
    same("seed_commitment", textOf(policy.seed_commitment), "policy");
    if (Date.parse(String(draw.closes_at)) / 1000 !== instantSeconds(policy.closes_at)) {
      mismatches.push(`closes_at ${show(draw.closes_at)}, the policy entry has ${policy.closes_at}`);
    }
    same("ballot_count", numberOf(close.ballot_count), "close");
    same("merkle_root", close.merkle_root, "close");
    for (const field of ["winning_index", "beacon_round", "height"]) same(field, numberOf(entry[field]), "draw");
    for (const field of ["winning_ballot_id", "seed", "vdf_output", "beacon_randomness", "beacon_signature", "previous_record_hash"]) {
      same(field, textOf(entry[field]), "draw");
    }
    report.check(
      "the published draw is the record's",
      !mismatches.length,
      mismatches.length ? mismatches.join("; ") : "its rule, delay, beacon, close, count, root, winner, output and chain fields are the day's entries'",
    );
  }

  // For each witness key kept: the first checkpoint it cosigned that holds the day's policy
  // entry, and the first that holds its close entry, each one a checkpoint of this record.
  async function checkWitnesses(record, report) {
    const { policy, close, keys } = record;
    const allowed = Number(policy.close_witness_seconds);
    if (!record.demo) {
      report.check(
        `the policy's close_witness_seconds is at most ${MAX_CLOSE_DELAY} s`,
        allowed <= MAX_CLOSE_DELAY,
        `the policy gives the close ${durationText(allowed)} after closes_at to be witnessed`,
      );
    }
    if (!keys.witnesses.length) {
      report.skip("the witnesses' times", "skipped: no witness keys are kept, so nobody but the lottery vouches for when the policy and the close were made public");
      return;
    }
    const first = new Map(keys.witnesses.map((w) => [w.name, { policy: null, close: null }]));
    const pending = () => [...first.values()].some((f) => f.policy === null || f.close === null);
    let after = policy.index;
    let read = 0;
    for (let pages = 0; pending() && pages <= record.size; pages++) {
      const page = await getJSON(`/log/checkpoints?after=${after}&limit=${CHECKPOINT_PAGE}`);
      if (!Array.isArray(page.items) || !("next_after" in page)) throw new Unusable("/log/checkpoints is not {items, next_after}");
      let beyond = false;
      for (const item of page.items) {
        let checkpoint;
        try {
          checkpoint = parseCheckpoint(item);
        } catch (error) {
          throw new Unusable(`/log/checkpoints?after=${after}: ${error.message}`);
        }
        if (checkpoint.size <= after) throw new Unusable(`/log/checkpoints?after=${after} answered a checkpoint of size ${checkpoint.size}`);
        after = checkpoint.size;
        if (checkpoint.size > record.size) {
          beyond = true; // newer than the record this check read
          break;
        }
        // Every checkpoint read is one of this record: the same origin, the root of its entries.
        read += 1;
        const root = await record.rootAt(checkpoint.size);
        if (checkpoint.origin !== record.origin || !sameBytes(root, checkpoint.root)) {
          report.fail("every cosigned checkpoint read has the root of the record's entries", `the checkpoint of size ${checkpoint.size} says ${base64Of(checkpoint.root)}; the record's first ${checkpoint.size} entries give ${base64Of(root)}`);
          throw new Unusable("the witnesses were shown another record than this one");
        }
        let logSigned = null;
        for (const witness of keys.witnesses) {
          const found = first.get(witness.name);
          if (found.close !== null) continue;
          const time = await cosignedAt(checkpoint, witness);
          if (time === null) continue;
          // A cosignature counts on a checkpoint the lottery signed with the kept key.
          if (logSigned === null) logSigned = (await checkpointSignedBy(checkpoint, keys.log)) === "signed";
          if (!logSigned) continue;
          const seen = { size: checkpoint.size, time };
          if (found.policy === null) found.policy = seen;
          if (checkpoint.size > close.index) found.close = seen;
        }
      }
      if (beyond || page.next_after === null) break;
      if (!Number.isSafeInteger(page.next_after) || page.next_after !== after) throw new Unusable("/log/checkpoints: next_after is not the size of its last checkpoint");
    }
    report.pass("every cosigned checkpoint read has the root of the record's entries", `${read} read`);

    const closesAt = instantSeconds(policy.closes_at);
    const opensAt = instantSeconds(policy.opens_at);
    const demo = record.demo ? "; accepted only because the policy says demo yes" : "";
    for (const witness of keys.witnesses) {
      const found = first.get(witness.name);
      const name = witness.name;
      if (found.policy === null) report.fail(`the policy was witnessed before the close by ${name}`, `${name} has cosigned no checkpoint of this record that holds the policy entry`);
      else {
        const ok = found.policy.time < closesAt;
        const reason = `cosigned at ${utc(found.policy.time)} (size ${found.policy.size}), ${durationText(closesAt - found.policy.time)} ${ok ? "before" : "after"} the close at ${utc(closesAt)}`;
        if (ok || !record.demo) report.check(`the policy was witnessed before the close by ${name}`, ok, ok ? reason : `the policy was not witnessed before the close: ${reason}`);
        else report.info(`the policy was witnessed by ${name}`, `not before the close: ${reason}${demo}`);
        if (ok && found.policy.time >= opensAt) report.warn(`the policy was witnessed after the day opened (${name})`, `cosigned at ${utc(found.policy.time)}, after the opening at ${utc(opensAt)}: ballots were taken before anyone but the lottery could vouch for the day's policy`);
      }
      if (found.close === null) report.fail(`the close was witnessed in time by ${name}`, `the close was not witnessed in time: ${name} has cosigned no checkpoint of this record that holds the close entry`);
      else {
        const late = found.close.time - closesAt;
        const ok = late <= allowed;
        const reason = `cosigned at ${utc(found.close.time)} (size ${found.close.size}), ${durationText(late)} ${late < 0 ? "before" : "after"} the close; the policy allows ${durationText(allowed)}`;
        if (ok || !record.demo) report.check(`the close was witnessed in time by ${name}`, ok, ok ? reason : `the close was not witnessed in time: ${reason}`);
        else report.info(`the close was witnessed by ${name}`, `not in time: ${reason}${demo}`);
        if (late < 0) report.warn(`the close was witnessed before the day ended (${name})`, `cosigned at ${utc(found.close.time)}, before the close at ${utc(closesAt)}: the day closed early`);
      }
    }
  }

  // --- The rules ----------------------------------------------------------------------------

  async function hmacIndex(draw) {
    let message = `${draw.date}|${draw.ballot_count}|${draw.merkle_root}`;
    if (draw.beacon_randomness) message += `|${draw.beacon_randomness}`;
    const key = await crypto.subtle.importKey("raw", bytesOfHex(draw.seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(message)));
    return Number(bigOf(digest) % BigInt(draw.ballot_count));
  }

  async function vdfInput(draw) {
    const t = draw.vdf_delay_log2;
    const statement = `${RULE_VDF}|${draw.date}|${draw.ballot_count}|${draw.merkle_root}|${t}`;
    const message = utf8.encode(`lottery-vdf-input|${statement}`);
    const blocks = await Promise.all(Array.from({ length: 9 }, (_, i) => sha256(concat([Uint8Array.of(i), message]))));
    return canon(bigOf(concat(blocks)) % N);
  }

  // Pietrzak's halving protocol: t rounds, each with a 128-bit challenge; true when it holds.
  async function vdfProofHolds(x, y, t, proof) {
    const label = utf8.encode("lottery-vdf-challenge|");
    let xi = x;
    let yi = y;
    for (let i = 1; i <= t; i++) {
      const mu = BigInt(`0x${proof[i - 1]}`);
      const half = 1n << BigInt(t - i);
      const digest = await sha256(concat([label, enc(xi), enc(yi), enc(mu), u64(half)]));
      const r = bigOf(digest.subarray(0, 16));
      xi = canon(modpow(xi, r, N) * mu);
      yi = canon(modpow(mu, r, N) * yi);
    }
    return yi === canon(xi * xi);
  }

  // The winner rule of the draw's day; reports the rule's own checks. null: no winner.
  // ``record``: the day's entries of the public record, or null for a day before it.
  async function ruleIndex(draw, report, minDelay, record) {
    if (draw.ballot_count === 0) {
      report.pass("no winner", "a day without ballots has no index and no winner");
      return null;
    }
    if (draw.rule === RULE_HMAC) {
      const commitment = hexOf(await sha256(bytesOfHex(draw.seed)));
      report.check("the seed matches its commitment", commitment === draw.seed_commitment, `SHA-256(seed) = ${commitment}`);
      // Whoever holds the seed can make up another after the close, with its commitment:
      // only a commitment public before the close makes the old rule fair.
      // The policy entry is the operator's word (the published draw must agree with it,
      // above): as in verify_draw.py, only the commitment the person saw makes the day pass.
      const seen = commitmentSeen();
      report.check(
        "the commitment is the one seen before the day",
        seen !== "" && seen === draw.seed_commitment,
        seen === ""
          ? 'none given; hmac-sha256 is fair only if the seed_commitment was public before the day closed: enter the one you saw in "Seed commitment seen before the close"'
          : `you saw ${seen}`,
      );
      return hmacIndex(draw);
    }
    const t = draw.vdf_delay_log2;
    const squarings = 1n << BigInt(t);
    const delayOk = squarings >= minDelay;
    const seconds = Number(squarings) * 5e-6;
    const delayTime = seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toPrecision(2)} s`;
    // A demo install's day (its policy says so) is not held to the floor: the caveat says why.
    if (!(record && record.demo)) {
      report.check(
        `the delay is at least ${power(minDelay)} squarings`,
        delayOk,
        `2^${t} squarings (about ${delayTime} at a GMP-speed 5 us each)` +
          (delayOk ? "" : `; a demo or test day? Lower "Lowest delay to accept" to 2^${t} to accept it`),
      );
    }
    const x = await vdfInput(draw);
    const y = BigInt(`0x${draw.vdf_output}`);
    const started = performance.now();
    const holds = await vdfProofHolds(x, y, t, draw.vdf_proof);
    const took = ((performance.now() - started) / 1000).toFixed(2);
    report.check("the delay function's proof", holds, holds ? `vdf_output is x^(2^(2^${t})) of the closing root (checked in ${took} s)` : "the proof does not lead from the closing root to vdf_output");
    let message = concat([utf8.encode("lottery-winner|"), enc(y)]);
    if (draw.beacon_randomness) message = concat([message, utf8.encode(`|${draw.beacon_randomness}`)]);
    return Number(bigOf(await sha256(message)) % BigInt(draw.ballot_count));
  }

  function recordText(draw) {
    const text = (v) => (v === null || v === undefined ? "" : String(v));
    const hmacDay = draw.rule === RULE_HMAC;
    return [
      "lottery-draw-record", draw.rule, draw.date, draw.ballot_count, draw.merkle_root,
      draw.winning_index, draw.winning_ballot_id, hmacDay ? draw.seed : null,
      hmacDay ? null : draw.vdf_delay_log2, hmacDay ? null : draw.vdf_output,
      draw.beacon_round, draw.beacon_randomness, draw.previous_record_hash,
    ].map(text).join("|");
  }

  const recordHash = async (draw) => hexOf(await sha256(utf8.encode(recordText(draw))));

  function power(value) {
    const bits = value.toString(2);
    return /^10*$/.test(bits) ? `2^${bits.length - 1}` : value.toString();
  }

  // "2^27" or a plain number of squarings, as verify_draw.py --min-delay takes; else null.
  function parseDelay(text) {
    const match = /^\s*2\s*\^\s*(\d{1,2})\s*$|^\s*(\d{1,20})\s*$/.exec(text);
    if (!match) return null;
    return match[1] !== undefined ? 1n << BigInt(match[1]) : BigInt(match[2]);
  }

  // This draw's record hash, and one link back (verify_draw.py --chain 1): the previous
  // draw, in canonical form and drawn, has the recorded hash and the height below. A day in
  // the public record: its record hash is SHA-256 of its draw entry, and the link goes
  // through the record's draw entries while the previous day is in the record too.
  async function checkChain(draw, report, record) {
    if (record) {
      report.check("the record hash", record.draw.hash === draw.record_hash, `SHA-256 of the day's draw entry: ${record.draw.hash}`);
    } else {
      const recomputed = await recordHash(draw);
      report.check("the record hash", recomputed === draw.record_hash, `recomputed ${recomputed}`);
    }
    if (draw.previous_date === null) {
      report.info("the chain of draws", `it starts here: ${draw.date} is the first draw (height 0)`);
      return;
    }
    if (record) {
      const previous = record.drawsByHash.get(draw.previous_record_hash);
      if (previous) {
        const ok = previous.fields.date === draw.previous_date && Number(previous.fields.height) === draw.height - 1;
        report.check(`the chain link ${draw.date} -> ${draw.previous_date}`, ok, `the record's draw entry ${previous.index}: ${previous.fields.date}, height ${previous.fields.height}`);
        return;
      }
      if (!(draw.previous_date < record.start)) {
        report.fail(`the chain link ${draw.date} -> ${draw.previous_date}`, `the record holds no draw entry whose SHA-256 is ${draw.previous_record_hash}, and ${draw.previous_date} does not predate it`);
        return;
      }
      // The first draw of the record links to one before it, by the older record hash.
    }
    const previous = await getJSON(`/draws/${draw.previous_date}`);
    const problems = drawProblems(previous, draw.previous_date);
    if (problems.length) {
      report.fail(`the chain link ${draw.date} -> ${draw.previous_date}`, `the previous draw as published: ${problems.join("; ")}`);
      return;
    }
    const ok = (await recordHash(previous)) === previous.record_hash && previous.record_hash === draw.previous_record_hash && previous.height === draw.height - 1;
    report.check(`the chain link ${draw.date} -> ${draw.previous_date}`, ok, `height ${previous.height}, record hash ${previous.record_hash}`);
  }

  async function readDraw(date, report) {
    const draw = await getJSON(`/draws/${date}`);
    if (draw.state === "drawing" && isCount(draw.ballot_count) && typeof draw.merkle_root === "string") {
      report.info("closed, drawing", `closed with ${draw.ballot_count} ballots, Merkle root ${draw.merkle_root}: record it`);
      throw new Unusable("not drawn yet: its delay function is still running; try again later");
    }
    const problems = drawProblems(draw, date);
    report.check("the published values are in canonical form", !problems.length, problems.length ? problems.join("; ") : `rule ${draw.rule}, ${draw.ballot_count} ballots`);
    if (problems.length) throw new Unusable("the draw's values cannot be checked as published");
    return draw;
  }

  // The day's ids, page by page: canonical order, paging that makes progress, the root.
  async function ballotSet(draw, winningIndex, progress) {
    const count = draw.ballot_count;
    const maxPages = Math.floor(count / PAGE_LIMIT) + 1;
    const url = (after) => `/draws/${draw.date}/ballots?limit=${PAGE_LIMIT}${after ? `&after=${after}` : ""}`;
    const chunkRoots = [];
    let pending = [];
    let seen = 0;
    let pages = 0;
    let previous = "";
    let winner = null;
    let next = getJSON(url(null));
    for (;;) {
      const page = await next;
      pages += 1;
      const items = page.items;
      if (!Array.isArray(items) || !("next_after" in page)) throw new Unusable(`page ${pages} of the ballot list is not {items, next_after}`);
      const last = page.next_after === null;
      if (!last) {
        if (items.length !== PAGE_LIMIT || page.next_after !== items[items.length - 1]) throw new Unusable(`page ${pages}: next_after must be the last id of a full page`);
        if (pages >= maxPages) throw new Unusable(`the list goes on past ${maxPages} pages, more than ${count} ballots need`);
        next = getJSON(url(page.next_after));
      }
      if (!items.length && !(last && (pages === 1 ? count === 0 : true))) throw new Unusable(`page ${pages} is empty`);
      for (const id of items) {
        if (typeof id !== "string" || !UUID.test(id)) throw new Unusable(`page ${pages}: ${show(id)} is not a lowercase ballot id`);
        if (!(id > previous)) throw new Unusable(`page ${pages}: ${id} is not after ${previous || "the start"}: the ids are out of canonical order or repeated`);
        previous = id;
        if (seen === winningIndex) winner = id;
        seen += 1;
      }
      pending = pending.concat(await Promise.all(items.map(leafHash)));
      const whole = pending.length - (pending.length % CHUNK);
      if (whole) {
        let level = pending.slice(0, whole);
        pending = pending.slice(whole);
        for (let size = CHUNK; size > 1; size /= 2) level = await levelUp(level);
        chunkRoots.push(...level);
      }
      progress(Math.min(seen, count), count);
      if (last) break;
    }
    if (pending.length) chunkRoots.push(await rootOf(pending));
    return { seen, pages, root: hexOf(await rootOf(chunkRoots)), winner };
  }

  // The public record's checks of the day; its entries, or null for a day before the record.
  async function checkRecord(draw, report) {
    const record = await readRecord(draw.date, report);
    if (!record) return null;
    checkAgainstRecord(draw, record, report);
    if (record.demo) {
      report.info(
        "a demo install: its delay is fine for trying it out, too short for a real lottery",
        "the day's policy says demo yes: its delay is not held to the floor, nor the witnesses' times to its close",
      );
    }
    await checkWitnesses(record, report);
    return record;
  }

  async function verifyDay(date, report, progress, minDelay) {
    const draw = await readDraw(date, report);
    const record = await checkRecord(draw, report);
    const index = await ruleIndex(draw, report, minDelay, record);
    if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
    const set = await ballotSet(draw, index, progress);
    report.pass("the ballot ids are in canonical order, each once", `${set.pages} page${set.pages === 1 ? "" : "s"}, ascending`);
    report.check("the ballot count", set.seen === draw.ballot_count, `${set.seen} ids listed`);
    report.check("the Merkle root", set.root === draw.merkle_root, `recomputed ${set.root}`);
    if (index !== null) report.check("the winning ballot", set.winner === draw.winning_ballot_id, `the ballot at index ${index} is ${set.winner}`);
    await checkBeacon(draw, report);
    await checkChain(draw, report, record);
  }

  // The midnight that ends the draw's date, from its closes_at, as Unix seconds; or null.
  function dayClose(draw) {
    const match = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T00:00:00(?:\.0+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(String(draw.closes_at));
    const next = new Date(`${draw.date}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    if (!match || match[1] !== next.toISOString().slice(0, 10)) return null;
    return Date.parse(String(draw.closes_at)) / 1000;
  }

  // A beacon round (docs/draw-rules.md, 4): the one the rule fixes from the close and the
  // published delay, its randomness the hash of its signature. The BLS signature itself is
  // left to verify_draw.py (with py_ecc, or --beacon-url): unchecked, the "randomness" could
  // be any bytes the server liked, so the day fails here as it does there without either.
  async function checkBeacon(draw, report) {
    if (draw.beacon_round === null) return;
    const closes = dayClose(draw);
    if (closes === null) throw new Unusable(`closes_at ${show(draw.closes_at)} is not the midnight that ends ${draw.date}`);
    const after = closes + draw.beacon_delay_seconds;
    const expected = Math.max(1, Math.ceil((after - QUICKNET.genesis) / QUICKNET.period) + 1);
    report.check("the beacon round is the one the rule fixes", draw.beacon_round === expected, `the first round ${draw.beacon_delay_seconds} s after the close is ${expected}`);
    const digest = hexOf(await sha256(bytesOfHex(draw.beacon_signature)));
    report.check("the beacon randomness is SHA-256 of its signature", digest === draw.beacon_randomness, `SHA-256(signature) = ${digest}`);
    report.fail(
      `the beacon's BLS signature of round ${draw.beacon_round}`,
      "NOT checked in the browser: check this day with scripts/verify_draw.py and the py_ecc package, or its --beacon-url",
    );
  }

  // The index the ballot's proof puts it at, if the proof leads to the draw's root; else null.
  async function provenIndex(draw, id, report) {
    let proof;
    try {
      proof = await getJSON(`/draws/${draw.date}/ballots/${id}/proof`);
    } catch (error) {
      if (!(error instanceof Unusable)) throw error;
      report.fail(`ballot ${id} is in the draw`, error.message);
      return null;
    }
    const problems = [];
    if (proof.ballot_id !== id) problems.push(`ballot_id ${show(proof.ballot_id)}`);
    if (proof.date !== draw.date) problems.push(`date ${show(proof.date)}`);
    if (proof.ballot_count !== draw.ballot_count) problems.push(`ballot_count ${show(proof.ballot_count)}`);
    if (proof.merkle_root !== draw.merkle_root) problems.push(`merkle_root ${show(proof.merkle_root)}`);
    if (!isCount(proof.leaf_index)) problems.push(`leaf_index ${show(proof.leaf_index)}`);
    const path = proof.path;
    if (!Array.isArray(path) || !path.every((s) => typeof s === "string" && HEX64.test(s))) problems.push("path is not a list of 64-hex hashes");
    if (problems.length) {
      report.fail(`ballot ${id} is in the draw`, `the proof does not match the draw: ${problems.join("; ")}`);
      return null;
    }
    const root = await pathRoot(await leafHash(id), proof.leaf_index, draw.ballot_count, path.map(bytesOfHex));
    const ok = root !== null && hexOf(root) === draw.merkle_root;
    report.check(`ballot ${id} is in the draw`, ok, ok ? `its path leads to the Merkle root from index ${proof.leaf_index}` : "its path does not lead to the published Merkle root");
    return ok ? proof.leaf_index : null;
  }

  async function verifyBallot(date, id, report, minDelay) {
    const draw = await readDraw(date, report);
    const record = await checkRecord(draw, report);
    const index = await ruleIndex(draw, report, minDelay, record);
    if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
    await checkBeacon(draw, report);
    await provenIndex(draw, id, report);
    if (draw.winning_ballot_id !== null) {
      if (id === draw.winning_ballot_id) report.info("this ballot won", `it sits at index ${draw.winning_index}`);
      else {
        const at = await provenIndex(draw, draw.winning_ballot_id, report);
        report.check("the winning ballot sits at the winning index", at === index, `its proof puts it at index ${at}`);
      }
    }
    await checkChain(draw, report, record);
  }

  // --- What the person sees -----------------------------------------------------------------

  class Report {
    constructor(section) {
      this.list = section.querySelector(".checks");
      this.outcome = section.querySelector(".outcome");
      this.section = section;
      this.passed = 0;
      this.failed = 0;
      this.list.replaceChildren();
      this.outcome.textContent = "";
      this.outcome.className = "outcome";
      delete this.outcome.dataset.outcome;
      section.dataset.state = "running";
    }

    add(kind, mark, name, reason) {
      const item = document.createElement("li");
      item.className = kind;
      item.dataset.check = name;
      const symbol = document.createElement("span");
      symbol.className = "mark";
      symbol.textContent = mark;
      symbol.setAttribute("aria-label", { pass: "passed", fail: "failed", info: "note", skip: "skipped", warn: "warning" }[kind]);
      const title = document.createElement("span");
      title.className = "name";
      title.textContent = name;
      item.append(symbol, title);
      if (reason) {
        const why = document.createElement("span");
        why.className = "reason";
        why.textContent = reason;
        item.append(why);
      }
      this.list.append(item);
    }

    check(name, ok, reason) {
      if (ok) this.pass(name, reason);
      else this.fail(name, reason);
      return ok;
    }

    pass(name, reason) {
      this.passed += 1;
      this.add("pass", "✓", name, reason);
    }

    fail(name, reason) {
      this.failed += 1;
      this.add("fail", "✗", name, reason);
    }

    info(name, reason) {
      this.add("info", "i", name, reason);
    }

    // A check that could not be made: not a failure, but the person is told what it leaves out.
    skip(name, reason) {
      this.add("skip", "–", name, reason);
    }

    warn(name, reason) {
      this.add("warn", "!", name, reason);
    }

    finish(seconds) {
      const ok = this.failed === 0 && this.passed > 0;
      this.outcome.dataset.outcome = ok ? "pass" : "fail";
      this.outcome.classList.add(ok ? "pass" : "fail");
      this.outcome.textContent = ok
        ? `All ${this.passed} checks passed (${seconds.toFixed(1)} s).`
        : `${this.failed} check${this.failed === 1 ? "" : "s"} failed: do not trust this draw as published.`;
      this.section.dataset.seconds = seconds.toFixed(3);
      this.section.dataset.state = "done";
    }
  }

  async function run(section, button, task) {
    const report = new Report(section);
    const started = performance.now();
    if (button) button.disabled = true;
    try {
      if (!window.crypto || !crypto.subtle) throw new Unusable("this page needs a secure context (HTTPS or localhost) for Web Crypto");
      await task(report);
    } catch (error) {
      if (!(error instanceof Unusable)) console.warn("verifier stopped", error);
      report.fail("the check could not go on", error.message);
    } finally {
      if (button) button.disabled = false;
      report.finish((performance.now() - started) / 1000);
    }
  }

  function dayProgress(section) {
    const row = section.querySelector(".progress-row");
    const bar = row.querySelector("progress");
    const text = row.querySelector(".progress-text");
    row.hidden = false;
    bar.value = 0;
    text.textContent = "";
    return (done, total) => {
      bar.max = Math.max(total, 1);
      bar.value = total ? done : 1;
      text.textContent = `${done.toLocaleString("en")} of ${total.toLocaleString("en")} ballots`;
    };
  }

  // The page's "Lowest delay to accept" (verify_draw.py --min-delay), or the default where the
  // page has none; null, with the reason beside the field, when it cannot be read.
  function minDelay() {
    const input = document.getElementById("min-delay");
    if (!input) return DEFAULT_MIN_DELAY;
    const error = document.getElementById("min-delay-error");
    const value = parseDelay(input.value);
    error.hidden = value !== null;
    error.textContent = value === null ? "Enter a number of squarings, e.g. 2^27 or 134217728." : "";
    input.setAttribute("aria-invalid", String(value === null));
    if (value === null) input.focus();
    return value;
  }

  // The page's "Seed commitment seen before the close" (verify_draw.py --commitment), for a
  // day of the old rule; "" when the page has none or it is empty.
  function commitmentSeen() {
    const input = document.getElementById("seed-commitment");
    return input ? input.value.trim().toLowerCase() : "";
  }

  function setUp() {
    for (const button of document.querySelectorAll("[data-action=verify-day]")) {
      const section = button.closest(".verifier");
      button.addEventListener("click", () => {
        const floor = minDelay();
        if (floor !== null) run(section, button, (report) => verifyDay(section.dataset.date, report, dayProgress(section), floor));
      });
    }
    for (const form of document.querySelectorAll("form[data-action=verify-ballot]")) {
      const section = form.closest(".verifier");
      const input = form.querySelector("input");
      const error = form.querySelector(".error");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const id = input.value.trim().toLowerCase();
        const valid = UUID.test(id);
        error.hidden = valid;
        error.textContent = valid ? "" : "Enter a ballot id: 36 characters like 0b6e2c1a-5f1d-4c3e-9a7b-2d4e6f8a0c1e.";
        input.setAttribute("aria-invalid", String(!valid));
        input.setAttribute("aria-describedby", valid ? "ballot-id-help" : "ballot-id-error ballot-id-help");
        if (!valid) {
          input.focus();
          return;
        }
        const floor = minDelay();
        if (floor !== null) run(section, form.querySelector("button"), (report) => verifyBallot(section.dataset.date, id, report, floor));
      });
      // A link with ?ballot=ID (the winner's email) checks that ballot at once.
      if (input.value) form.requestSubmit();
    }
    for (const section of document.querySelectorAll("[data-autostart=ballot]")) {
      const button = section.querySelector("[data-action=verify-this-ballot]");
      const go = () => {
        const floor = minDelay();
        if (floor !== null) run(section, button, (report) => verifyBallot(section.dataset.date, section.dataset.ballot, report, floor));
      };
      button.addEventListener("click", go);
      go();
    }
  }

  // The pure parts, for tests without a browser (tests/pages/test_verify_js_in_node.py).
  globalThis.LotteryVerifier = Object.freeze({
    ed25519KeyProblem,
    ed25519SignatureCanonical,
    ed25519Verify,
    parseVkey,
    parseCheckpoint,
    checkpointSignedBy,
    cosignedAt,
    parseEntry,
    recordRoot,
    hexOf,
    base64Of,
  });

  if (typeof document !== "undefined") document.addEventListener("DOMContentLoaded", setUp);
})();
