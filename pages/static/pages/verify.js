// The in-browser verifier: recomputes a lottery day's draw from the public JSON and checks it
// against the lottery's public record (its signed, witnessed log).
//
// It implements docs/draw-rules.md, the same rules as scripts/verify_draw.py, and a test
// (tests/browser/test_verifier_agreement.py) holds both to the same answers on the same days.
// Web Crypto does SHA-256, HMAC and Ed25519; BigInt does the modular arithmetic of the delay
// function's proof and the strict checks of Ed25519 keys.
//
// It runs in two places, with the same checks:
// - served by the lottery on its result and ballot pages: it reads that server (its own
//   origin) and keeps the record's keys on first use. That is the lottery's own code;
// - inline in the standalone verifier (pages/standalone/verifier.html, built by
//   scripts/build_verifier.py), a file a person keeps and opens from disk: it reads only the
//   lottery address typed there, with the keys typed there (never fetched from the lottery it
//   checks), checks receipts, saves proof bundles and checks them with no network.
// Every read goes through one reader with deadlines (docs/draw-rules.md, 7). Nothing is sent
// anywhere; what is kept (keys, the lowest delay, the size of the record seen) stays in this
// browser's storage.
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

  // --- Reading the server's answers (docs/draw-rules.md, 7: "Reading the server") ------------

  // An answer the checks cannot use: the run ends, failed. ``status``: the HTTP status, if any.
  class Unusable extends Error {
    constructor(message, status = null) {
      super(message);
      this.status = status;
    }
  }

  // A deadline passed, or the person pressed Stop: the check could not go on.
  class Stopped extends Unusable {}

  // A JSON number spelled otherwise than as a plain integer (83.0, 1e2, -1, -0) or beyond
  // 2^53 - 1: JSON.parse alone would read 83.0 as 83 and 2^60 + 1 as 2^60, which the rules refuse.
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
    if (!sourceSeen) {
      // A browser without JSON.parse's source text: refuse any non-integer spelling at all,
      // and any integer beyond 2^53 - 1.
      const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      if (/[.eE]|-[0-9]/.test(bare) || (bare.match(/[0-9]+/g) || []).some((n) => !Number.isSafeInteger(Number(n)))) {
        throw new Unusable("the answer holds a number that is not a plain integer up to 2^53 - 1");
      }
    }
    const repeated = repeatedKey(text);
    if (repeated !== null) throw new Unusable(`the answer repeats the key ${JSON.stringify(repeated)}`);
    return value;
  }

  // UTF-8 and nothing else: no byte-order mark, no invalid sequence (UTF-16 is refused).
  const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  function utf8Text(bytes) {
    let text;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw new Unusable("it is not UTF-8");
    }
    if (text.charCodeAt(0) === 0xfeff) throw new Unusable("it starts with a byte-order mark: UTF-8 without one is the only form");
    if (text.includes("\u0000")) throw new Unusable("it holds NUL characters (UTF-16?): UTF-8 is the only form");
    return text;
  }

  // The deadlines of one check, in seconds (docs/draw-rules.md, 7). A page may set others in
  // data- attributes of its body (tests do; a link cannot).
  const LIMITS = { run: 1800, request: 120, waits: 600, wait: 60 };
  const MAX_BODY_BYTES = 64 * 1024 * 1024; // after decompression (the browser decodes gzip)
  const MAX_TEXT_BYTES = 1024 * 1024; // a key or a checkpoint with its cosignatures

  function limitsOf(element) {
    const data = (element && element.dataset) || {};
    const seconds = (value, fallback) => {
      const n = Number(value);
      return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
    };
    return {
      run: seconds(data.runSeconds, LIMITS.run),
      request: seconds(data.requestSeconds, LIMITS.request),
      waits: seconds(data.waitBudgetSeconds, LIMITS.waits),
      wait: seconds(data.waitSeconds, LIMITS.wait),
    };
  }

  // One check: its deadline, its budget of Retry-After waits, and how it is stopped.
  class Run {
    constructor(limits) {
      this.limits = limits;
      this.controller = new AbortController();
      this.signal = this.controller.signal;
      this.started = performance.now();
      this.waited = 0;
      this.onWait = null;
      this.timer = setTimeout(() => this.stop(`the deadline of the whole check (${durationText(limits.run)}) passed`), limits.run * 1000);
    }

    stop(reason) {
      if (!this.signal.aborted) this.controller.abort(new Stopped(reason));
    }

    left() {
      return this.limits.run * 1000 - (performance.now() - this.started);
    }

    check() {
      if (this.signal.aborted) throw this.signal.reason;
    }

    end() {
      clearTimeout(this.timer);
      this.stop("the check ended");
    }
  }

  function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      const abort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", abort);
        resolve();
      }, ms);
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  // The whole body, counted as it arrives: more than ``most`` bytes is refused at once.
  async function bodyOf(response, most, path) {
    if (!response.body) return new Uint8Array(0);
    const reader = response.body.getReader();
    const parts = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > most) {
        reader.cancel().catch(() => {});
        throw new Unusable(`${path} answered more than ${most / 1024 / 1024} MB`);
      }
      parts.push(value);
    }
    return concat(parts);
  }

  // A 429 is waited out as its Retry-After asks (at most a minute each time), from one
  // budget for the whole check.
  async function waitOut(run, header, path) {
    const asked = /^[0-9]{1,9}$/.test(header || "") ? Number(header) : 5;
    const seconds = Math.min(asked, run.limits.wait);
    if (run.waited + seconds > run.limits.waits) {
      throw new Stopped(`the budget of ${durationText(run.limits.waits)} for waiting out HTTP 429 (Retry-After) is spent: ${path} asked to wait again`);
    }
    run.waited += seconds;
    if (run.onWait) run.onWait(seconds, path);
    await sleep(seconds * 1000, run.signal);
  }

  // The one way this verifier reads the lottery: ``base`` is "" on the lottery's own pages
  // (its origin), the address the person typed on the standalone page. Each answer has a
  // deadline that covers its whole body, and the check's own deadline and Stop end it too.
  function makeReader(base, run) {
    async function answer(path, accept, most) {
      for (;;) {
        run.check();
        const left = run.left();
        const byRun = left < run.limits.request * 1000;
        const passed = byRun
          ? `the deadline of the whole check (${durationText(run.limits.run)}) passed`
          : `the deadline of ${durationText(run.limits.request)} for one answer passed`;
        const timer = new AbortController();
        const clock = setTimeout(() => timer.abort(new Stopped(`${passed} while reading ${path}`)), Math.max(0, byRun ? left : run.limits.request * 1000));
        const signal = AbortSignal.any([run.signal, timer.signal]);
        let response;
        let bytes;
        try {
          response = await fetch(`${base}${path}`, {
            signal,
            headers: { Accept: accept },
            cache: "no-store",
            credentials: "omit",
            referrerPolicy: "no-referrer",
          });
          bytes = await bodyOf(response, most, path);
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          if (error instanceof Unusable) throw error;
          throw new Unusable(`${path} could not be read (${error.message})`);
        } finally {
          clearTimeout(clock);
        }
        if (response.status !== 429) return { status: response.status, ok: response.ok, bytes };
        await waitOut(run, response.headers.get("Retry-After"), path);
      }
    }

    // A JSON object, and the text it was read from.
    async function json(path) {
      const got = await answer(path, "application/json", MAX_BODY_BYTES);
      let text = null;
      let body;
      let problem = null;
      try {
        text = utf8Text(got.bytes);
        body = parseJSON(text);
      } catch (error) {
        if (!(error instanceof Unusable) && !(error instanceof SyntaxError)) throw error;
        problem = error;
      }
      if (!got.ok) {
        const detail = body && typeof body.detail === "string" ? `: ${body.detail}` : "";
        throw new Unusable(`${path} answered HTTP ${got.status}${detail}`, got.status);
      }
      if (problem instanceof Unusable) throw new Unusable(`${path}: ${problem.message}`);
      if (problem || body === null || typeof body !== "object" || Array.isArray(body)) throw new Unusable(`${path} did not answer a JSON object`);
      return { body, text };
    }

    // A text answer (the record's key and checkpoints are signed notes, not JSON).
    async function getText(path) {
      const got = await answer(path, "text/plain", MAX_TEXT_BYTES);
      if (!got.ok) throw new Unusable(`${path} answered HTTP ${got.status}`, got.status);
      try {
        return utf8Text(got.bytes);
      } catch (error) {
        throw new Unusable(`${path}: ${error.message}`);
      }
    }

    return { json, getJSON: async (path) => (await json(path)).body, getText };
  }

  // What a bundle is checked with: no network at all.
  const OFFLINE = Object.freeze({
    json: async (path) => {
      throw new Unusable(`a bundle is checked offline: ${path} is not read`);
    },
    getJSON: async (path) => {
      throw new Unusable(`a bundle is checked offline: ${path} is not read`);
    },
    getText: async (path) => {
      throw new Unusable(`a bundle is checked offline: ${path} is not read`);
    },
  });

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

  // The largest power of two below n (n >= 2): where RFC 6962 splits a tree of n leaves.
  function split(n) {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  // RFC 6962 2.1.1: the audit path of leaf ``m`` in the tree of ``leaves``, bottom first.
  async function auditPath(leaves, m) {
    const walk = async (lo, hi, i) => {
      if (hi - lo <= 1) return [];
      const k = split(hi - lo);
      if (i < k) return [...(await walk(lo, lo + k, i)), await rootOf(leaves.slice(lo + k, hi))];
      return [...(await walk(lo + k, hi, i - k)), await rootOf(leaves.slice(lo, lo + k))];
    };
    return m >= 0 && m < leaves.length ? walk(0, leaves.length, m) : null;
  }

  // RFC 6962 2.1.2: PROOF(m, D[n]), that the tree of the first ``m`` of ``leaves`` is a prefix.
  async function consistencyProof(leaves, m) {
    const sub = async (lo, hi, size, whole) => {
      if (size === hi - lo) return whole ? [] : [await rootOf(leaves.slice(lo, hi))];
      const k = split(hi - lo);
      if (size <= k) return [...(await sub(lo, lo + k, size, whole)), await rootOf(leaves.slice(lo + k, hi))];
      return [...(await sub(lo + k, hi, size - k, false)), await rootOf(leaves.slice(lo, lo + k))];
    };
    return m > 0 && m <= leaves.length ? sub(0, leaves.length, m, true) : null;
  }

  // RFC 9162 2.1.4.2: does ``proof`` show the tree of ``first`` leaves (root ``firstRoot``) is a
  // prefix of the tree of ``second`` (root ``secondRoot``)?
  async function consistent(first, second, firstRoot, secondRoot, proof) {
    if (!(first >= 1 && first <= second)) return false;
    if (first === second) return proof.length === 0 && sameBytes(firstRoot, secondRoot);
    if (!proof.length) return false;
    const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
    let fn = first - 1;
    let sn = second - 1;
    while (fn % 2 === 1) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && sameBytes(fr, firstRoot) && sameBytes(sr, secondRoot);
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
    // Whatever the rule, beacon or not (docs/draw-rules.md, 7).
    want(dayClose(draw.closes_at, date) !== null, "closes_at", `must be the midnight that ends ${date}, with its offset`);
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

  // A signed note (C2SP signed-note): {body, signatures: [{name, payload}]}; an Error saying
  // why when it is not one.
  function parseNote(text) {
    const cut = typeof text === "string" ? text.indexOf("\n\n") : -1;
    if (cut < 0 || !text.endsWith("\n")) throw new Error("not a signed note (body, blank line, signature lines)");
    const body = text.slice(0, cut + 1);
    const signatures = [];
    for (const line of text.slice(cut + 2, -1).split("\n")) {
      const match = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
      const payload = match ? bytesOfBase64(match[2]) : null;
      if (payload === null || payload.length < 5) throw new Error(`${JSON.stringify(line)} is not a signature line`);
      signatures.push({ name: match[1], payload });
    }
    if (!signatures.length) throw new Error("it carries no signature");
    return { body, signatures };
  }

  // A signed checkpoint: {body, origin, size, root, signatures: [{name, payload}]}; an Error
  // saying why when it is not one.
  function parseCheckpoint(text) {
    const cut = typeof text === "string" ? text.indexOf("\n\n") : -1;
    if (cut < 0 || !text.endsWith("\n")) throw new Error("not a signed note (body, blank line, signature lines)");
    const lines = text.slice(0, cut + 1).split("\n");
    if (lines.length !== 4) throw new Error("its body is not the three lines origin, size, root");
    const [origin, sizeText, rootText] = lines;
    if (!KEY_NAME.test(origin)) throw new Error(`its origin ${JSON.stringify(origin)} is not a log name`);
    if (!INTEGER.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Error(`its size ${JSON.stringify(sizeText)} is not an integer`);
    const root = bytesOfBase64(rootText);
    if (root === null || root.length !== 32) throw new Error(`its root ${JSON.stringify(rootText)} is not the base64 of 32 bytes`);
    const note = parseNote(text);
    return { ...note, origin, size: Number(sizeText), root };
  }

  // "signed" when ``key`` signed the note's body, "bad" when its line does not verify,
  // "absent" when it has no line by that key.
  async function signedBy(note, key) {
    const lines = note.signatures.filter((s) => s.name === key.name && sameBytes(s.payload.subarray(0, 4), key.id));
    if (!lines.length) return "absent";
    for (const line of lines) {
      if (line.payload.length === 68 && (await ed25519Verify(key.key, utf8.encode(note.body), line.payload.subarray(4)))) return "signed";
    }
    return "bad";
  }

  // The same for a checkpoint, which must also name the key's log as its origin.
  async function checkpointSignedBy(checkpoint, key) {
    return checkpoint.origin === key.name ? signedBy(checkpoint, key) : "absent";
  }

  // A receipt (docs/draw-rules.md, 7): {note, origin, date, acceptedAt, policy, ballots}, read
  // strictly; an Error saying why otherwise. Its signature is checked against a key apart.
  const RECEIPT_KIND = " receipt/v1";
  function parseReceipt(text) {
    const note = parseNote(text);
    const lines = note.body.slice(0, -1).split("\n");
    const first = lines[0];
    const origin = first.endsWith(RECEIPT_KIND) ? first.slice(0, -RECEIPT_KIND.length) : "";
    if (!KEY_NAME.test(origin)) throw new Error(`its first line ${JSON.stringify(first)} is not "<origin> receipt/v1"`);
    const value = (i, name, valid) => {
      const line = lines[i];
      if (line === undefined || !line.startsWith(`${name} `) || !valid(line.slice(name.length + 1))) {
        throw new Error(`line ${i + 1} ${JSON.stringify(line ?? "")}: expected ${name} in its form`);
      }
      return line.slice(name.length + 1);
    };
    const date = value(1, "date", isRealDate);
    const acceptedAt = value(2, "accepted_at", isInstant);
    const policy = value(3, "policy", (v) => v === "none" || HEX64.test(v));
    const ballots = [];
    for (let i = 4; i < lines.length; i++) {
      const id = value(i, "ballot", (v) => UUID.test(v));
      if (ballots.length && !(id > ballots[ballots.length - 1])) throw new Error(`line ${i + 1}: its ballots are not in ascending order, each once`);
      ballots.push(id);
    }
    if (!ballots.length) throw new Error("it names no ballot");
    return { note, origin, date, acceptedAt, policy: policy === "none" ? null : policy, ballots };
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

  // --- What this browser keeps ----------------------------------------------------------------
  //
  // On the lottery's pages (this site's storage): the record's keys, kept on first use, and the
  // size of the record seen; the lowest delay the person typed. On the standalone page: per
  // lottery address, the keys and the lowest delay the person typed, and the record seen.

  const STORE = "lottery-verifier/v1";
  const FLOOR_STORE = "lottery-verifier/floor/v1";
  const STANDALONE_STORE = "lottery-verifier/standalone/v1";
  const ENTRY_PAGE = 1000; // entries per page of GET /log/entries (the server's maximum)
  const CHECKPOINT_PAGE = 100; // checkpoints per page of GET /log/checkpoints (its maximum)
  const MAX_LOG_SIZE = 10_000_000; // a few entries a day: far more than any real log
  // The longest a policy may give its close to be witnessed: verify_draw.py's --max-close-delay
  // default. Far longer, and a root held back could be ground through the delay function.
  const MAX_CLOSE_DELAY = 900;

  function readStore(name) {
    try {
      const value = JSON.parse(window.localStorage.getItem(name) || "null");
      return value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch {
      return null;
    }
  }

  function writeStore(name, value) {
    try {
      window.localStorage.setItem(name, JSON.stringify(value));
      return true;
    } catch {
      return false;
    }
  }

  const stored = () => readStore(STORE);
  const store = (value) => writeStore(STORE, value);

  // What the standalone page keeps for one lottery address, or null.
  function keptFor(base) {
    const all = readStore(STANDALONE_STORE);
    const value = all && all[base];
    return value && typeof value === "object" ? value : null;
  }

  function keepFor(base, value) {
    const all = readStore(STANDALONE_STORE) || {};
    all[base] = { ...(all[base] || {}), ...value };
    return writeStore(STANDALONE_STORE, all);
  }

  const today = () => new Date().toISOString().slice(0, 10);

  // The lottery's pages: the lottery's key and the witnesses' keys this browser kept the first
  // time it checked a draw here, else this server's, kept now. Shown to the person either way.
  async function keptKeys(ctx, report) {
    let state = stored();
    let kept = true;
    if (!state || typeof state.log !== "string" || !Array.isArray(state.witnesses)) {
      const text = await ctx.reader.getText("/log/key");
      if (!/^[^\n]+\n$/.test(text)) throw new Unusable("/log/key is not one line of text");
      const listed = await ctx.reader.getJSON("/log/witnesses");
      if (!Array.isArray(listed.witnesses)) throw new Unusable("/log/witnesses is not {witnesses: [...]}");
      const witnesses = [];
      for (const item of listed.witnesses) {
        if (!item || typeof item.vkey !== "string") throw new Unusable("/log/witnesses lists a witness without a vkey");
        witnesses.push(item.vkey);
      }
      state = { log: text.slice(0, -1), witnesses, kept_on: today() };
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
    const stronger = "Keys learned elsewhere are stronger: pin them in the standalone verifier, or with scripts/verify_draw.py --log-key and --witness-key.";
    report.info(
      "kept on first use",
      !kept
        ? `Taken from this server for this check only: this browser could not keep them. ${stronger}`
        : state.fresh
          ? `Kept now in this browser, on first use, from this server: answers signed by other keys will fail here. A server that lied the first time would have been believed. ${stronger}`
          : `Kept in this browser on first use, from this server${state.kept_on ? ` on ${state.kept_on}` : ""}: answers signed by other keys fail. ${stronger}`,
    );
    const memory = kept
      ? { seen: () => state.seen, see: (seen) => store({ ...state, fresh: undefined, seen }) }
      : null;
    return { log, witnesses, memory };
  }

  // The standalone page: the keys the person typed, never read from the lottery it checks.
  function pinnedKeys(ctx, report) {
    const { log, witnesses } = ctx.pinned;
    report.info("the lottery's key", log.vkey);
    for (const witness of witnesses) report.info(`the key of witness ${witness.name}`, witness.vkey);
    report.info(
      "pinned by you",
      `Typed on this page, not read from the lottery it checks: answers signed by other keys fail.${ctx.base ? "" : " This bundle is checked with no network."}`,
    );
    const memory = ctx.base
      ? { seen: () => (keptFor(ctx.base) || {}).seen, see: (seen) => keepFor(ctx.base, { seen }) }
      : null;
    return { log, witnesses, memory };
  }

  // --- The public record ----------------------------------------------------------------------

  async function recordEntries(ctx, size) {
    const entries = [];
    while (entries.length < size) {
      const start = entries.length;
      const page = await ctx.reader.getJSON(`/log/entries?start=${start}&limit=${ENTRY_PAGE}`);
      if (page.start !== start || !Array.isArray(page.entries)) throw new Unusable(`/log/entries?start=${start} is not {start, entries, next_start}`);
      if (!page.entries.length) throw new Unusable(`the record ends after ${start} entries, short of its checkpoint's ${size}`);
      if (!page.entries.every((e) => typeof e === "string")) throw new Unusable(`/log/entries?start=${start} holds an entry that is not text`);
      entries.push(...page.entries.slice(0, size - start));
    }
    return entries;
  }

  const entryHash = async (text) => hexOf(await sha256(utf8.encode(text)));

  // What the public record says of ``date``, after checking the record itself: its signature,
  // its entries up to its checkpoint, and the day's one policy, close and draw; null for a day
  // before the record.
  async function readRecord(ctx, date, report) {
    let text;
    try {
      text = await ctx.reader.getText("/log/checkpoint");
    } catch (error) {
      if (!(error instanceof Unusable && error.status === 404)) throw error;
      const seen = ctx.seenBefore();
      if (seen && seen.size > 0) {
        report.fail("the public record", `it is empty now; this browser saw ${seen.size} entries in it on ${seen.on}`);
        throw new Unusable("the public record is gone");
      }
      report.info("the day predates the public record", "the lottery's record is still empty: the draw's own checks follow (docs/draw-rules.md, 3-5)");
      return null;
    }
    const keys = await ctx.keys(report);
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      throw new Unusable(`/log/checkpoint: ${error.message}`);
    }
    const signed = await checkpointSignedBy(checkpoint, keys.log);
    const signers = checkpoint.signatures.map((s) => `${s.name} (key id ${hexOf(s.payload.subarray(0, 4))})`).join(", ");
    const which = ctx.pinned ? "the key you pinned" : "the kept key";
    report.check(
      "the record's checkpoint is signed by the lottery's key",
      signed === "signed",
      signed === "signed"
        ? `${checkpoint.origin}, ${checkpoint.size} entries, root ${base64Of(checkpoint.root)}`
        : signed === "bad"
          ? `its signature by ${which} does not verify`
          : `signed by ${signers}, not by ${which} ${keys.log.name} (key id ${hexOf(keys.log.id)})`,
    );
    if (signed !== "signed") throw new Unusable(`the public record is not signed by ${ctx.pinned ? "the key you pinned" : "the key this browser keeps"}`);
    if (checkpoint.size > MAX_LOG_SIZE) throw new Unusable(`the record claims ${checkpoint.size} entries, more than any real log`);

    const entries = await recordEntries(ctx, checkpoint.size);
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
    if (keys.memory) {
      const before = keys.memory.seen();
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
        keys.memory.see({ size: checkpoint.size, root: base64Of(checkpoint.root), on: today() });
      }
    }
    Object.assign(ctx.evidence, { checkpoint: text, entries, leaves, logKey: keys.log.vkey });

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
    for (const entry of [...policies, ...closes, ...draws]) entry.hash = await entryHash(entry.text);
    const policy = one("policy", policies);
    const close = policy && one("close", closes, policy, (e) => (e.fields.policy === policy.hash ? null : "it names another policy entry"));
    const drawn = close && one("draw", draws, close, (e) => (e.fields.policy === policy.hash && e.fields.close === close.hash ? null : "it names another policy or close entry"));
    if (!drawn) throw new Unusable(`the public record does not hold ${date}'s policy, close and draw, one of each`);

    const drawsByHash = new Map();
    for (const entry of parsed) if (entry.kind === "draw") drawsByHash.set(await entryHash(entry.text), entry);
    const record = {
      start,
      size: checkpoint.size,
      origin: checkpoint.origin,
      policy: { index: policy.index, hash: policy.hash, text: policy.text, ...policy.fields },
      close: { index: close.index, hash: close.hash, text: close.text, ...close.fields },
      draw: { index: drawn.index, hash: drawn.hash, text: drawn.text, ...drawn.fields },
      demo: policy.fields.demo === "yes",
      drawsByHash,
      rootAt,
      keys,
    };
    ctx.evidence.record = record;
    return record;
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

  // The policy's own bound on when its close must be witnessed.
  function checkCloseBound(record, report) {
    if (record.demo) return;
    const allowed = Number(record.policy.close_witness_seconds);
    report.check(
      `the policy's close_witness_seconds is at most ${MAX_CLOSE_DELAY} s`,
      allowed <= MAX_CLOSE_DELAY,
      `the policy gives the close ${durationText(allowed)} after closes_at to be witnessed`,
    );
  }

  const NO_WITNESS = "skipped: no witness keys are kept, so nobody but the lottery vouches for when the policy and the close were made public";

  // For each witness key: the first checkpoint it cosigned that holds the day's policy entry,
  // and the first that holds its close entry, each one a checkpoint of this record.
  async function checkWitnesses(ctx, record, report) {
    const { policy, close, keys } = record;
    checkCloseBound(record, report);
    if (!keys.witnesses.length) {
      report.skip("the witnesses' times", ctx.pinned ? NO_WITNESS.replace("are kept", "were given") : NO_WITNESS);
      return;
    }
    const first = new Map(keys.witnesses.map((w) => [w.name, { policy: null, close: null }]));
    const pending = () => [...first.values()].some((f) => f.policy === null || f.close === null);
    let after = policy.index;
    let read = 0;
    for (let pages = 0; pending() && pages <= record.size; pages++) {
      const page = await ctx.reader.getJSON(`/log/checkpoints?after=${after}&limit=${CHECKPOINT_PAGE}`);
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
          const seen = { size: checkpoint.size, time, text: item };
          if (found.policy === null) found.policy = seen;
          if (checkpoint.size > close.index) found.close = seen;
        }
      }
      if (beyond || page.next_after === null) break;
      if (!Number.isSafeInteger(page.next_after) || page.next_after !== after) throw new Unusable("/log/checkpoints: next_after is not the size of its last checkpoint");
    }
    report.pass("every cosigned checkpoint read has the root of the record's entries", `${read} read`);
    ctx.evidence.witnessed = first;
    judgeWitnesses(record, keys.witnesses, first, report);
  }

  // The witnesses' times (docs/draw-rules.md, 6): the policy cosigned before the close, the
  // close within the policy's bound after it. ``first``: witness name -> {policy, close}.
  function judgeWitnesses(record, witnesses, first, report) {
    const { policy } = record;
    const allowed = Number(policy.close_witness_seconds);
    const closesAt = instantSeconds(policy.closes_at);
    const opensAt = instantSeconds(policy.opens_at);
    const demo = record.demo ? "; accepted only because the policy says demo yes" : "";
    for (const witness of witnesses) {
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
  async function ruleIndex(ctx, draw, report, record) {
    const minDelay = ctx.minDelay;
    // A day without ballots has no winner, but its rule's promises are checked all the same
    // (the seed and its commitment, the delay), as verify_draw.py checks them.
    const noWinner = () => {
      report.pass("no winner", "a day without ballots has no index and no winner");
      return null;
    };
    if (draw.rule === RULE_HMAC) {
      const commitment = hexOf(await sha256(bytesOfHex(draw.seed)));
      report.check("the seed matches its commitment", commitment === draw.seed_commitment, `SHA-256(seed) = ${commitment}`);
      // Whoever holds the seed can make up another after the close, with its commitment:
      // only a commitment public before the close makes the old rule fair.
      // The policy entry is the operator's word (the published draw must agree with it,
      // above): as in verify_draw.py, only the commitment the person saw makes the day pass.
      const seen = ctx.commitment;
      report.check(
        "the commitment is the one seen before the day",
        seen !== "" && seen === draw.seed_commitment,
        seen === ""
          ? 'none given; hmac-sha256 is fair only if the seed_commitment was public before the day closed: enter the one you saw in "Seed commitment seen before the close"'
          : `you saw ${seen}`,
      );
      return draw.ballot_count === 0 ? noWinner() : hmacIndex(draw);
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
    if (draw.ballot_count === 0) return noWinner();
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
  async function checkChain(ctx, draw, report, record) {
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
    const previous = await ctx.reader.getJSON(`/draws/${draw.previous_date}`);
    const problems = drawProblems(previous, draw.previous_date);
    if (problems.length) {
      report.fail(`the chain link ${draw.date} -> ${draw.previous_date}`, `the previous draw as published: ${problems.join("; ")}`);
      return;
    }
    const ok = (await recordHash(previous)) === previous.record_hash && previous.record_hash === draw.previous_record_hash && previous.height === draw.height - 1;
    report.check(`the chain link ${draw.date} -> ${draw.previous_date}`, ok, `height ${previous.height}, record hash ${previous.record_hash}`);
  }

  async function readDraw(ctx, date, report) {
    const { body: draw, text } = await ctx.reader.json(`/draws/${date}`);
    if (draw.state === "drawing" && isCount(draw.ballot_count) && typeof draw.merkle_root === "string") {
      report.info("closed, drawing", `closed with ${draw.ballot_count} ballots, Merkle root ${draw.merkle_root}: record it`);
      throw new Unusable("not drawn yet: its delay function is still running; try again later");
    }
    const problems = drawProblems(draw, date);
    report.check("the published values are in canonical form", !problems.length, problems.length ? problems.join("; ") : `rule ${draw.rule}, ${draw.ballot_count} ballots`);
    if (problems.length) throw new Unusable("the draw's values cannot be checked as published");
    ctx.evidence.drawText = text;
    return draw;
  }

  // The count and root the ballots are checked against: the witnessed close's, for a day in
  // the public record (the proofs' shape depends on the count); else the published draw's.
  const closeTree = (draw, record) =>
    record ? { count: Number(record.close.ballot_count), root: record.close.merkle_root } : { count: draw.ballot_count, root: draw.merkle_root };

  // The day's ids, page by page: canonical order, paging that makes progress, the root. At
  // most count / 10,000 + 1 pages of the witnessed count are read.
  async function ballotSet(ctx, draw, record, winningIndex) {
    const count = closeTree(draw, record).count;
    const maxPages = Math.floor(count / PAGE_LIMIT) + 1;
    const url = (after) => `/draws/${draw.date}/ballots?limit=${PAGE_LIMIT}${after ? `&after=${after}` : ""}`;
    const chunkRoots = [];
    let pending = [];
    let seen = 0;
    let pages = 0;
    let previous = "";
    let winner = null;
    let next = ctx.reader.getJSON(url(null));
    for (;;) {
      const page = await next;
      pages += 1;
      const items = page.items;
      if (!Array.isArray(items) || !("next_after" in page)) throw new Unusable(`page ${pages} of the ballot list is not {items, next_after}`);
      const last = page.next_after === null;
      if (!last) {
        if (items.length !== PAGE_LIMIT || page.next_after !== items[items.length - 1]) throw new Unusable(`page ${pages}: next_after must be the last id of a full page`);
        if (pages >= maxPages) throw new Unusable(`the list goes on past ${maxPages} pages, more than ${count} ballots need`);
        next = ctx.reader.getJSON(url(page.next_after));
        next.catch(() => {}); // read at once; its failure is reported when it is awaited
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
      ctx.progress(Math.min(seen, count), count);
      if (last) break;
    }
    if (pending.length) chunkRoots.push(await rootOf(pending));
    return { seen, pages, root: hexOf(await rootOf(chunkRoots)), winner };
  }

  // The public record's checks of the day; its entries, or null for a day before the record.
  async function checkRecord(ctx, draw, report) {
    const record = await readRecord(ctx, draw.date, report);
    if (!record) return null;
    checkAgainstRecord(draw, record, report);
    if (record.demo) {
      report.info(
        "a demo install: its delay is fine for trying it out, too short for a real lottery",
        "the day's policy says demo yes: its delay is not held to the floor, nor the witnesses' times to its close",
      );
    }
    await checkWitnesses(ctx, record, report);
    return record;
  }

  async function verifyDay(ctx, date, report) {
    const draw = await readDraw(ctx, date, report);
    const record = await checkRecord(ctx, draw, report);
    const index = await ruleIndex(ctx, draw, report, record);
    if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
    const set = await ballotSet(ctx, draw, record, index);
    report.pass("the ballot ids are in canonical order, each once", `${set.pages} page${set.pages === 1 ? "" : "s"}, ascending`);
    report.check("the ballot count", set.seen === draw.ballot_count, `${set.seen} ids listed`);
    report.check("the Merkle root", set.root === draw.merkle_root, `recomputed ${set.root}`);
    if (index !== null) report.check("the winning ballot", set.winner === draw.winning_ballot_id, `the ballot at index ${index} is ${set.winner}`);
    await checkBeacon(draw, report);
    await checkChain(ctx, draw, report, record);
  }

  // The midnight that ends ``date``, from a closes_at (ISO 8601 with an offset), as Unix
  // seconds; null when it is not that midnight.
  function dayClose(closesAt, date) {
    if (typeof closesAt !== "string" || !isRealDate(date)) return null;
    const match = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T00:00:00(?:\.0{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(closesAt);
    const next = new Date(`${date}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    if (!match || match[1] !== next.toISOString().slice(0, 10)) return null;
    const seconds = Date.parse(closesAt) / 1000;
    return Number.isFinite(seconds) ? seconds : null;
  }

  // A beacon round (docs/draw-rules.md, 4): the one the rule fixes from the close and the
  // published delay, its randomness the hash of its signature. The BLS signature itself is
  // left to verify_draw.py (with py_ecc, or --beacon-url): unchecked, the "randomness" could
  // be any bytes the server liked, so the day fails here as it does there without either.
  async function checkBeacon(draw, report) {
    if (draw.beacon_round === null) return;
    const closes = dayClose(draw.closes_at, draw.date);
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

  // --- One ballot: its inclusion proof, or a proof of omission (docs/draw-rules.md, 7) -------

  const isHexList = (v) => Array.isArray(v) && v.every((s) => typeof s === "string" && HEX64.test(s));

  // Where a ballot's path leads in the tree of ``tree.count`` leaves; null if nowhere.
  async function provenRoot(id, index, path, tree) {
    if (!isCount(index) || !isHexList(path)) return null;
    const root = await pathRoot(await leafHash(id), index, tree.count, path.map(bytesOfHex));
    return root === null ? null : hexOf(root);
  }

  // A ballot's inclusion proof as served, against the close's count and root:
  // {index, proof} when it holds, else {problem, status}.
  async function readProof(ctx, date, id, tree) {
    let proof;
    try {
      proof = await ctx.reader.getJSON(`/draws/${date}/ballots/${id}/proof`);
    } catch (error) {
      if (!(error instanceof Unusable) || error instanceof Stopped) throw error;
      return { problem: error.message, status: error.status };
    }
    const problems = [];
    if (proof.ballot_id !== id) problems.push(`ballot_id ${show(proof.ballot_id)}`);
    if (proof.date !== date) problems.push(`date ${show(proof.date)}`);
    if (proof.ballot_count !== tree.count) problems.push(`ballot_count ${show(proof.ballot_count)}, the close has ${tree.count}`);
    if (proof.merkle_root !== tree.root) problems.push(`merkle_root ${show(proof.merkle_root)}`);
    if (!isCount(proof.leaf_index)) problems.push(`leaf_index ${show(proof.leaf_index)}`);
    if (!isHexList(proof.path)) problems.push("path is not a list of 64-hex hashes");
    if (problems.length) return { problem: `the proof does not match the close: ${problems.join("; ")}` };
    const root = await provenRoot(id, proof.leaf_index, proof.path, tree);
    if (root !== tree.root) return { problem: `its path from index ${proof.leaf_index} does not lead to the Merkle root of the ${tree.count} ballots closed` };
    return { index: proof.leaf_index, proof: { ballot_id: id, leaf_index: proof.leaf_index, path: proof.path } };
  }

  const NEIGHBOUR_PAGE = 100;
  const NEIGHBOUR_READS = 40;
  const idValue = (id) => BigInt(`0x${id.replaceAll("-", "")}`);
  function idOf(value) {
    const h = value.toString(16).padStart(32, "0");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Where ``id`` would sit among the day's ids: the last listed below it and the first above
  // it, read from the public list from a little below it; {listed: true} if the list holds it.
  async function neighbours(ctx, date, id, count) {
    const x = idValue(id);
    let step = ((1n << 128n) / BigInt(Math.max(count, 1))) * 4n + 1n;
    let after = x - step >= 0n ? idOf(x - step) : null;
    let left = null;
    for (let reads = 0; reads < NEIGHBOUR_READS; reads++) {
      const page = await ctx.reader.getJSON(`/draws/${date}/ballots?limit=${NEIGHBOUR_PAGE}${after ? `&after=${after}` : ""}`);
      const items = page.items;
      if (!Array.isArray(items) || !("next_after" in page)) throw new Unusable("the ballot list is not {items, next_after}");
      let previous = after || "";
      for (const item of items) {
        if (typeof item !== "string" || !UUID.test(item) || !(item > previous)) throw new Unusable(`the ballot list near ${id} is not lowercase ids in ascending order`);
        previous = item;
      }
      if (items.includes(id)) return { listed: true };
      const below = items.filter((i) => i < id);
      const above = items.find((i) => i > id);
      if (left === null && after !== null && !below.length) {
        step *= 16n; // nothing listed between the start and ``id``: start further below
        after = x - step >= 0n ? idOf(x - step) : null;
        continue;
      }
      if (below.length) left = below[below.length - 1];
      if (above !== undefined) return { left, right: above };
      if (page.next_after === null) return { left, right: null };
      if (page.next_after !== items[items.length - 1]) throw new Unusable("the ballot list: next_after is not the last id of its page");
      after = page.next_after;
    }
    throw new Unusable(`the ballot list did not show where ${id} would sit in ${NEIGHBOUR_READS} reads`);
  }

  // Whether the neighbours' proofs leave no room for ``id`` in the tree (docs/draw-rules.md,
  // 7): a reason when they do, else null. ``left``/``right``: {ballot_id, leaf_index} or null.
  function omissionHolds(id, left, right, count) {
    if (count === 0) return left === null && right === null ? "the close holds no ballots" : null;
    if (left && !(left.ballot_id < id)) return null;
    if (right && !(right.ballot_id > id)) return null;
    if (left && right) return right.leaf_index === left.leaf_index + 1 ? `${left.ballot_id} at index ${left.leaf_index} and ${right.ballot_id} at ${right.leaf_index} are neighbours in the close` : null;
    if (right) return right.leaf_index === 0 ? `the first ballot of the close, at index 0, is ${right.ballot_id}, above it` : null;
    if (left) return left.leaf_index === count - 1 ? `the last ballot of the close, at index ${count - 1}, is ${left.ballot_id}, below it` : null;
    return null;
  }

  // A proof of omission of ``id`` read from the server: {absent, reason} or {problem}.
  async function showAbsent(ctx, date, id, tree) {
    if (tree.count === 0) return { absent: { left: null, right: null }, reason: "the close holds no ballots" };
    let near;
    try {
      near = await neighbours(ctx, date, id, tree.count);
    } catch (error) {
      if (!(error instanceof Unusable) || error instanceof Stopped) throw error;
      return { problem: error.message };
    }
    if (near.listed) return { problem: `the ballot list holds ${id}, but its proof is refused` };
    const proofs = {};
    for (const side of ["left", "right"]) {
      if (near[side] === null) {
        proofs[side] = null;
        continue;
      }
      const read = await readProof(ctx, date, near[side], tree);
      if (read.problem) return { problem: `the proof of its neighbour ${near[side]}: ${read.problem}` };
      proofs[side] = read.proof;
    }
    const reason = omissionHolds(id, proofs.left, proofs.right, tree.count);
    if (reason === null) return { problem: `the neighbours listed, ${near.left ?? "none"} and ${near.right ?? "none"}, do not sit next to each other in the close` };
    return { absent: proofs, reason };
  }

  // One ballot asked (``receipted``: named by a receipt): in the close, or shown absent.
  async function checkOneBallot(ctx, date, id, tree, report, receipted) {
    const name = `ballot ${id} is in the draw`;
    const read = await readProof(ctx, date, id, tree);
    ctx.evidence.proofs.set(id, read);
    if (!read.problem) {
      report.pass(name, `its path leads to the Merkle root of the ${tree.count} ballots closed, from index ${read.index}`);
      ctx.evidence.ballots.push(read.proof);
      return;
    }
    if (!receipted) report.fail(name, read.problem);
    if (read.status !== 404) {
      if (receipted) report.fail(name, read.problem);
      return;
    }
    const shown = await showAbsent(ctx, date, id, tree);
    if (shown.absent) {
      ctx.evidence.ballots.push({ ballot_id: id, absent: shown.absent });
      const proof = `proof of omission: ${shown.reason}`;
      if (receipted) report.fail(name, `${read.problem}; ${proof}. The lottery signed a receipt for a ballot its close left out: save the proof bundle and show it`);
      else report.info(`ballot ${id} is absent from the close`, proof);
    } else if (receipted) {
      report.fail(name, `${read.problem}, and the lottery showed it neither in nor out: ${shown.problem}`);
    }
  }

  // The winner's own proof puts it at the winning index, whatever ballot was asked.
  async function checkWinner(ctx, draw, index, tree, report) {
    const id = draw.winning_ballot_id;
    const read = ctx.evidence.proofs.get(id) || (await readProof(ctx, draw.date, id, tree));
    const name = "the winning ballot sits at the winning index";
    if (read.problem) {
      report.fail(name, `the proof of ${id}: ${read.problem}`);
      return;
    }
    ctx.evidence.winner = read.proof;
    const ok = read.index === index && read.index === draw.winning_index;
    report.check(name, ok, ok ? `its proof puts ${id} at index ${read.index}` : `its proof puts ${id} at index ${read.index}, not at the winning index ${index}`);
  }

  // A receipt's own checks (docs/draw-rules.md, 7): its signature, its first line, its day,
  // its policy, when it was accepted. ``policy``: the day's policy entry, or null.
  async function checkReceiptNote(receipt, keys, date, policy, closesAt, report) {
    const signed = await signedBy(receipt.note, keys.log);
    report.check("the receipt is signed by the lottery's key", signed === "signed", signed === "signed" ? `by ${keys.log.name} (key id ${hexOf(keys.log.id)})` : signed === "bad" ? "its signature does not verify" : `it carries no signature by ${keys.log.name} (key id ${hexOf(keys.log.id)})`);
    report.check("the receipt is the lottery's", receipt.origin === keys.log.name, `its first line is "${receipt.origin} receipt/v1"`);
    report.check("the receipt is for this day", receipt.date === date, `it names ${receipt.date}`);
    const hash = policy ? policy.hash : null;
    report.check("the receipt names the day's policy", receipt.policy === hash, `it names ${receipt.policy ?? "none"}; the day's policy entry is ${hash ?? "none (the day predates the record)"}`);
    const accepted = Date.parse(`${receipt.acceptedAt.slice(0, 23)}Z`);
    const opens = policy ? instantSeconds(policy.opens_at) * 1000 : null;
    const closes = closesAt * 1000;
    const inDay = (opens === null || accepted >= opens) && accepted < closes;
    report.check("the ballots were accepted while the day was open", inDay, `accepted at ${receipt.acceptedAt}; the day ${opens === null ? "" : `opened at ${utc(opens / 1000)} and `}closed at ${utc(closesAt)}`);
  }

  function readReceipt(text, report) {
    try {
      return parseReceipt(text);
    } catch (error) {
      report.fail("the receipt can be read", error.message);
      throw new Unusable("the receipt is not a signed receipt/v1 note");
    }
  }

  // "Check my ballot" and receipts: the draw and the record, each ballot asked in the close or
  // shown absent, and the winner's own proof at the winning index, whatever ballot was asked.
  async function verifyBallots(ctx, date, ids, receiptText, report) {
    const draw = await readDraw(ctx, date, report);
    const record = await checkRecord(ctx, draw, report);
    const index = await ruleIndex(ctx, draw, report, record);
    if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
    await checkBeacon(draw, report);
    const tree = closeTree(draw, record);
    let receipted = [];
    if (receiptText !== null) {
      const receipt = readReceipt(receiptText, report);
      const keys = await ctx.keys(report);
      await checkReceiptNote(receipt, keys, date, record && record.policy, dayClose(draw.closes_at, date), report);
      receipted = receipt.ballots;
      ctx.evidence.receipt = receiptText;
    }
    const asked = [...new Set([...ids, ...receipted])].sort();
    for (const id of asked) await checkOneBallot(ctx, date, id, tree, report, receipted.includes(id));
    if (draw.winning_ballot_id !== null) {
      await checkWinner(ctx, draw, index, tree, report);
      if (asked.includes(draw.winning_ballot_id)) report.info("this ballot won", `it sits at index ${draw.winning_index}`);
    }
    await checkChain(ctx, draw, report, record);
  }

  // --- Proof bundles (lottery-ballot-bundle/v1, docs/draw-rules.md, 7) -----------------------

  const BUNDLE = "lottery-ballot-bundle/v1";

  // The bundle of what this check read, or null when it read too little (a day before the
  // record, or a check that ended before the record was read). The entries' paths and the
  // consistency proofs are computed here, from the entries read.
  async function bundleOf(ctx, date) {
    const e = ctx.evidence;
    if (!e.record || e.drawText === null || !e.ballots.length) return null;
    const entry = async (found) => ({ index: found.index, text: found.text, path: (await auditPath(e.leaves, found.index)).map(hexOf) });
    const sizes = new Map();
    for (const found of e.witnessed.values()) {
      for (const at of [found.policy, found.close]) if (at) sizes.set(at.size, at.text);
    }
    const witnessed = [];
    for (const [size, text] of [...sizes].sort((a, b) => a[0] - b[0])) {
      witnessed.push({ checkpoint: text, consistency: (await consistencyProof(e.leaves, size)).map(hexOf) });
    }
    return {
      bundle: BUNDLE,
      lottery: ctx.lottery,
      date,
      log_key: e.logKey,
      receipt: e.receipt,
      checkpoint: e.checkpoint,
      entries: { policy: await entry(e.record.policy), close: await entry(e.record.close), draw: await entry(e.record.draw) },
      witnessed,
      draw: JSON.parse(e.drawText),
      ballots: e.ballots,
      winner: e.winner,
    };
  }

  const PROOF_FIELDS = ["ballot_id", "leaf_index", "path"];
  const MAX_PATH = 64; // an audit path or a consistency proof of a tree of up to 2^64 leaves
  const MAX_WITNESSED = 100;
  const isPath = (v) => isHexList(v) && v.length <= MAX_PATH;

  // Every way a bundle departs from its one form; an empty list when it has it.
  function bundleProblems(b) {
    const problems = [];
    const object = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
    const fields = (v, names, where) => {
      if (!object(v)) {
        problems.push(`${where} is not an object`);
        return false;
      }
      const extra = Object.keys(v).filter((k) => !names.includes(k));
      const missing = names.filter((k) => !(k in v));
      if (extra.length) problems.push(`${where}: unknown field${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`);
      if (missing.length) problems.push(`${where}: missing ${missing.join(", ")}`);
      return !extra.length && !missing.length;
    };
    const proof = (v, where) => {
      if (!fields(v, PROOF_FIELDS, where)) return;
      if (typeof v.ballot_id !== "string" || !UUID.test(v.ballot_id)) problems.push(`${where}.ballot_id is not a lowercase ballot id`);
      if (!isCount(v.leaf_index)) problems.push(`${where}.leaf_index is not a JSON integer >= 0`);
      if (!isPath(v.path)) problems.push(`${where}.path is not a list of at most ${MAX_PATH} hashes (64 lowercase hex digits)`);
    };
    const top = ["bundle", "lottery", "date", "log_key", "receipt", "checkpoint", "entries", "witnessed", "draw", "ballots", "winner"];
    if (!fields(b, top, "the bundle")) return problems;
    if (b.bundle !== BUNDLE) problems.push(`bundle ${show(b.bundle)}: must be "${BUNDLE}"`);
    if (typeof b.lottery !== "string") problems.push("lottery is not text");
    if (!isRealDate(b.date)) problems.push(`date ${show(b.date)} is not YYYY-MM-DD`);
    if (typeof b.log_key !== "string") problems.push("log_key is not text");
    if (b.receipt !== null && typeof b.receipt !== "string") problems.push("receipt is neither null nor text");
    if (typeof b.checkpoint !== "string") problems.push("checkpoint is not text");
    if (fields(b.entries, ["policy", "close", "draw"], "entries")) {
      for (const kind of ["policy", "close", "draw"]) {
        const entry = b.entries[kind];
        if (entry === null && kind === "draw") continue;
        if (!fields(entry, ["index", "text", "path"], `entries.${kind}`)) continue;
        if (!isCount(entry.index)) problems.push(`entries.${kind}.index is not a JSON integer >= 0`);
        if (typeof entry.text !== "string") problems.push(`entries.${kind}.text is not text`);
        if (!isPath(entry.path)) problems.push(`entries.${kind}.path is not a list of at most ${MAX_PATH} hashes (64 lowercase hex digits)`);
      }
      if ((b.entries.draw === null) !== (b.draw === null)) problems.push("draw and entries.draw go together (both null before the draw)");
    }
    if (!Array.isArray(b.witnessed) || b.witnessed.length > MAX_WITNESSED) problems.push(`witnessed is not a list of at most ${MAX_WITNESSED} checkpoints`);
    else {
      b.witnessed.forEach((w, i) => {
        if (!fields(w, ["checkpoint", "consistency"], `witnessed[${i}]`)) return;
        if (typeof w.checkpoint !== "string") problems.push(`witnessed[${i}].checkpoint is not text`);
        if (!isPath(w.consistency)) problems.push(`witnessed[${i}].consistency is not a list of at most ${MAX_PATH} hashes (64 lowercase hex digits)`);
      });
    }
    if (b.draw !== null && !object(b.draw)) problems.push("draw is neither null nor an object");
    if (!Array.isArray(b.ballots) || !b.ballots.length) problems.push("ballots is not a list of at least one ballot");
    else {
      b.ballots.forEach((item, i) => {
        const where = `ballots[${i}]`;
        if (object(item) && "absent" in item) {
          if (!fields(item, ["ballot_id", "absent"], where)) return;
          if (typeof item.ballot_id !== "string" || !UUID.test(item.ballot_id)) problems.push(`${where}.ballot_id is not a lowercase ballot id`);
          if (!fields(item.absent, ["left", "right"], `${where}.absent`)) return;
          for (const side of ["left", "right"]) if (item.absent[side] !== null) proof(item.absent[side], `${where}.absent.${side}`);
        } else proof(item, where);
      });
    }
    if (b.winner !== null) proof(b.winner, "winner");
    return problems;
  }

  // A bundle, checked with no network (docs/draw-rules.md, 7, "Checking a bundle offline").
  async function checkBundle(ctx, text, report) {
    let bundle;
    try {
      bundle = parseJSON(text);
    } catch (error) {
      report.fail("the bundle is in its one form", `it is not JSON: ${error.message}`);
      throw new Unusable("the bundle cannot be read");
    }
    const problems = bundleProblems(bundle);
    report.check("the bundle is in its one form", !problems.length, problems.length ? problems.slice(0, 6).join("; ") : `${BUNDLE} of ${bundle.date}, read from ${bundle.lottery}`);
    if (problems.length) throw new Unusable("the bundle cannot be checked as it is");
    const date = bundle.date;
    const keys = await ctx.keys(report);

    // The checkpoint, and the day's entries in it.
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(bundle.checkpoint);
    } catch (error) {
      report.fail("the bundle's checkpoint is signed by the lottery's key", error.message);
      throw new Unusable("the bundle's checkpoint cannot be read");
    }
    const signed = await checkpointSignedBy(checkpoint, keys.log);
    report.check("the bundle's checkpoint is signed by the lottery's key", signed === "signed", signed === "signed" ? `${checkpoint.origin}, ${checkpoint.size} entries` : `not by the key you pinned, ${keys.log.name} (key id ${hexOf(keys.log.id)})`);
    if (signed !== "signed") throw new Unusable("the bundle's record is not signed by the key you pinned");
    const found = {};
    for (const kind of ["policy", "close", "draw"]) {
      const item = bundle.entries[kind];
      if (item === null) continue;
      let parsed;
      try {
        parsed = parseEntry(item.text);
      } catch (error) {
        report.fail(`the ${kind} is in the public record`, error.message);
        throw new Unusable(`the bundle's ${kind} entry cannot be read`);
      }
      const leaf = await sha256(concat([Uint8Array.of(0), utf8.encode(item.text)]));
      const root = await pathRoot(leaf, item.index, checkpoint.size, item.path.map(bytesOfHex));
      const hash = await entryHash(item.text);
      const reason =
        parsed.kind !== kind
          ? `it is a ${parsed.kind} entry`
          : parsed.fields.date !== date
            ? `it is ${parsed.fields.date}'s`
            : root === null || !sameBytes(root, checkpoint.root)
              ? `its path from index ${item.index} does not lead to the checkpoint's root`
              : null;
      report.check(`the ${kind} is in the public record`, reason === null, reason ?? `entry ${item.index}, SHA-256 ${hash}`);
      if (reason !== null) throw new Unusable(`the bundle's ${kind} entry is not the day's, in the checkpoint`);
      found[kind] = { index: item.index, hash, text: item.text, ...parsed.fields };
    }
    const { policy, close, draw: drawEntry } = found;
    const links = [];
    if (close.policy !== policy.hash || !(close.index > policy.index)) links.push("the close does not follow the day's policy");
    if (drawEntry && (drawEntry.policy !== policy.hash || drawEntry.close !== close.hash || !(drawEntry.index > close.index))) links.push("the draw does not follow the day's policy and close");
    report.check("the entries follow each other", !links.length, links.length ? links.join("; ") : "the close names the policy, the draw the policy and the close, in this order");
    if (links.length) throw new Unusable("the bundle's entries are not one day's");
    const record = { start: null, size: checkpoint.size, origin: checkpoint.origin, policy, close, draw: drawEntry, demo: policy.demo === "yes", drawsByHash: new Map(), keys };
    if (record.demo) report.info("a demo install: its delay is fine for trying it out, too short for a real lottery", "the day's policy says demo yes: its delay is not held to the floor, nor the witnesses' times to its close");

    // The witnessed checkpoints: the lottery's, consistent with the bundle's checkpoint.
    checkCloseBound(record, report);
    const witnessed = [];
    const bad = [];
    for (const item of bundle.witnessed) {
      let older;
      try {
        older = parseCheckpoint(item.checkpoint);
      } catch (error) {
        bad.push(error.message);
        continue;
      }
      if ((await checkpointSignedBy(older, keys.log)) !== "signed") bad.push(`the checkpoint of size ${older.size} is not signed by the lottery's key`);
      else if (!(await consistent(older.size, checkpoint.size, older.root, checkpoint.root, item.consistency.map(bytesOfHex)))) bad.push(`the checkpoint of size ${older.size} is not consistent with the bundle's checkpoint of size ${checkpoint.size}`);
      else witnessed.push(older);
    }
    report.check("the witnessed checkpoints are the lottery's, consistent with its checkpoint", !bad.length, bad.length ? bad.join("; ") : `${witnessed.length} checkpoint${witnessed.length === 1 ? "" : "s"}`);
    if (!keys.witnesses.length) report.skip("the witnesses' times", NO_WITNESS.replace("are kept", "were given"));
    else {
      witnessed.sort((a, b) => a.size - b.size);
      const first = new Map();
      for (const witness of keys.witnesses) {
        const times = { policy: null, close: null };
        for (const older of witnessed) {
          const time = await cosignedAt(older, witness);
          if (time === null) continue;
          if (times.policy === null && older.size > policy.index) times.policy = { size: older.size, time };
          if (times.close === null && older.size > close.index) times.close = { size: older.size, time };
        }
        first.set(witness.name, times);
      }
      judgeWitnesses(record, keys.witnesses, first, report);
    }

    // The draw: the record's, and the rule's.
    const tree = { count: Number(close.ballot_count), root: close.merkle_root };
    let index = null;
    const draw = bundle.draw;
    if (draw === null) report.info("not drawn yet", "the bundle holds the day's policy and close, not its draw");
    else {
      const drawProblemsFound = drawProblems(draw, date);
      report.check("the published values are in canonical form", !drawProblemsFound.length, drawProblemsFound.length ? drawProblemsFound.join("; ") : `rule ${draw.rule}, ${draw.ballot_count} ballots`);
      if (drawProblemsFound.length) throw new Unusable("the bundle's draw cannot be checked as it is");
      checkAgainstRecord(draw, record, report);
      index = await ruleIndex(ctx, draw, report, record);
      if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
      await checkBeacon(draw, report);
      report.check("the record hash", drawEntry.hash === draw.record_hash, `SHA-256 of the day's draw entry: ${drawEntry.hash}`);
      const winner = bundle.winner;
      const name = "the winning ballot sits at the winning index";
      if (draw.winning_ballot_id === null) report.check(name, winner === null, winner === null ? "the day has no winner" : "the bundle holds a winner's proof for a day without one");
      else if (winner === null) report.fail(name, "the bundle holds no proof of the winner");
      else {
        const root = await provenRoot(winner.ballot_id, winner.leaf_index, winner.path, tree);
        const ok = winner.ballot_id === draw.winning_ballot_id && winner.leaf_index === index && root === tree.root;
        report.check(name, ok, ok ? `its proof puts ${winner.ballot_id} at index ${winner.leaf_index}` : `the proof of ${winner.ballot_id} from index ${winner.leaf_index} does not lead the winner to the Merkle root at the winning index ${index}`);
      }
    }

    // The receipt, and each ballot.
    let receipted = [];
    if (bundle.receipt !== null) {
      const receipt = readReceipt(bundle.receipt, report);
      await checkReceiptNote(receipt, keys, date, policy, instantSeconds(policy.closes_at), report);
      receipted = receipt.ballots;
      const shown = new Set(bundle.ballots.map((b) => b.ballot_id));
      const missing = receipted.filter((id) => !shown.has(id));
      if (missing.length) report.fail("the bundle shows every ballot of the receipt", `it shows ${missing.join(", ")} neither in nor out of the close`);
    }
    for (const item of bundle.ballots) {
      const id = item.ballot_id;
      const name = `ballot ${id} is in the draw`;
      if (!("absent" in item)) {
        const root = await provenRoot(id, item.leaf_index, item.path, tree);
        report.check(name, root === tree.root, root === tree.root ? `its path leads to the Merkle root of the ${tree.count} ballots closed, from index ${item.leaf_index}` : `its path from index ${item.leaf_index} does not lead to the close's Merkle root`);
        continue;
      }
      const sides = {};
      let broken = null;
      for (const side of ["left", "right"]) {
        const near = item.absent[side];
        sides[side] = near;
        if (near && (await provenRoot(near.ballot_id, near.leaf_index, near.path, tree)) !== tree.root) broken = `the path of its neighbour ${near.ballot_id} does not lead to the close's Merkle root`;
      }
      const reason = broken === null ? omissionHolds(id, sides.left, sides.right, tree.count) : null;
      if (reason === null) report.fail(name, `the bundle shows it neither in nor out of the close: ${broken ?? "its neighbours do not sit next to each other"}`);
      else if (receipted.includes(id)) report.fail(name, `proof of omission: ${reason}. The lottery signed a receipt for a ballot its close left out`);
      else report.fail(name, `proof of omission: ${reason}`);
    }
    report.info("what a bundle cannot show", "that the record holds no second policy, close or draw for the day: the check online reads every entry");
  }

  // --- What the person sees -----------------------------------------------------------------

  class Report {
    constructor(section) {
      this.list = section.querySelector(".checks");
      this.outcome = section.querySelector(".outcome");
      this.section = section;
      this.passed = 0;
      this.failed = 0;
      this.closed = false;
      this.list.replaceChildren();
      this.outcome.textContent = "";
      this.outcome.className = "outcome";
      delete this.outcome.dataset.outcome;
      section.dataset.state = "running";
    }

    add(kind, mark, name, reason) {
      if (this.closed) return; // a check stopped: what it still does is not shown
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
      if (this.closed) return;
      this.passed += 1;
      this.add("pass", "✓", name, reason);
    }

    fail(name, reason) {
      if (this.closed) return;
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

    // ``stopped``: why the check could not go on (a deadline, or Stop), else null.
    finish(seconds, stopped) {
      const ok = !stopped && this.failed === 0 && this.passed > 0;
      this.outcome.dataset.outcome = ok ? "pass" : "fail";
      this.outcome.classList.add(ok ? "pass" : "fail");
      const before = this.failed - 1;
      this.outcome.textContent = ok
        ? `All ${this.passed} checks passed (${seconds.toFixed(1)} s).`
        : stopped
          ? `The check could not go on: ${stopped}.${before > 0 ? ` ${before} check${before === 1 ? "" : "s"} had failed before.` : ""}`
          : `${this.failed} check${this.failed === 1 ? "" : "s"} failed: do not trust this draw as published.`;
      this.section.dataset.seconds = seconds.toFixed(3);
      this.section.dataset.state = "done";
      this.closed = true;
    }
  }

  // The checks running now; Stop ends them all at once.
  const active = new Set();

  function stopButtonsEnabled() {
    for (const button of document.querySelectorAll("[data-action=stop]")) button.disabled = active.size === 0;
  }

  // Runs ``task(report, run)`` in ``section`` under the page's deadlines; what the task returned.
  async function start(section, button, task) {
    const run = new Run(limitsOf(document.body));
    const report = new Report(section);
    const started = performance.now();
    const row = section.querySelector(".bundle-row");
    if (row) row.hidden = true;
    if (button) button.disabled = true;
    active.add(run);
    stopButtonsEnabled();
    const ended = new Promise((_, reject) => run.signal.addEventListener("abort", () => reject(run.signal.reason), { once: true }));
    ended.catch(() => {});
    let stopped = null;
    let result;
    try {
      if (!window.crypto || !crypto.subtle) throw new Unusable("this page needs a secure context (HTTPS, localhost or a file on disk) for Web Crypto");
      const work = task(report, run);
      work.catch(() => {}); // when Stop or a deadline wins the race, the rest is not shown
      result = await Promise.race([work, ended]);
    } catch (error) {
      if (!(error instanceof Unusable)) console.warn("verifier stopped", error);
      if (error instanceof Stopped) stopped = error.message;
      report.fail("the check could not go on", error.message);
    } finally {
      active.delete(run);
      stopButtonsEnabled();
      run.end();
      if (button) button.disabled = false;
      report.finish((performance.now() - started) / 1000, stopped);
    }
    return result;
  }

  function stopAll() {
    for (const run of [...active]) run.stop("stopped by you");
  }

  function dayProgress(section) {
    const row = section.querySelector(".progress-row");
    if (!row) return null;
    const bar = row.querySelector("progress");
    const text = row.querySelector(".progress-text");
    row.hidden = false;
    bar.value = 0;
    bar.removeAttribute("max");
    text.textContent = "";
    const update = (done, total) => {
      bar.max = Math.max(total, 1);
      bar.value = total ? done : 1;
      text.textContent = `${done.toLocaleString("en")} of ${total.toLocaleString("en")} ballots`;
    };
    update.waiting = (seconds) => {
      text.textContent = `waiting ${seconds} s, as the server asks (HTTP 429)`;
    };
    return update;
  }

  // One check's context: where it reads, what it accepts, and what it read (for a bundle).
  // ``base``: "" on the lottery's pages, the typed address on the standalone page, null for
  // a bundle (no network). ``pinned``: the keys typed by the person, else null (kept keys).
  function newContext(run, { base, lottery, pinned, minDelay, commitment, progress }) {
    const ctx = {
      base,
      lottery,
      pinned,
      minDelay,
      commitment,
      reader: base === null ? OFFLINE : makeReader(base, run),
      progress: (done, total) => {
        run.check();
        if (progress) progress(done, total);
      },
      evidence: { record: null, checkpoint: null, entries: [], leaves: [], logKey: null, witnessed: new Map(), drawText: null, proofs: new Map(), ballots: [], winner: null, receipt: null },
    };
    let keys = null;
    ctx.keys = (report) => {
      if (keys === null) keys = pinned ? Promise.resolve(pinnedKeys(ctx, report)) : keptKeys(ctx, report);
      return keys;
    };
    ctx.seenBefore = () => (pinned ? (base ? (keptFor(base) || {}).seen : null) : (stored() || {}).seen);
    run.onWait = (seconds) => {
      if (progress && progress.waiting) progress.waiting(seconds);
    };
    return ctx;
  }

  function download(text, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }

  // After a ballot or receipt check: "Save proof bundle", when the check read enough for one.
  function offerBundle(section, ctx, date) {
    const row = section.querySelector(".bundle-row");
    if (!row) return;
    const ready = ctx.evidence.record !== null && ctx.evidence.drawText !== null && ctx.evidence.ballots.length > 0;
    row.hidden = !ready;
    const button = row.querySelector("[data-action=save-bundle]");
    button.onclick = async () => {
      const bundle = await bundleOf(ctx, date);
      if (bundle) download(`${JSON.stringify(bundle, null, 2)}\n`, `lottery-bundle-${date}-${bundle.ballots[0].ballot_id.slice(0, 8)}.json`);
    };
  }

  // A field's message, tied to it (aria-describedby) with its help; "" clears it.
  function fieldError(input, message) {
    const error = document.getElementById(`${input.id}-error`);
    const help = document.getElementById(`${input.id}-help`);
    if (error) {
      error.hidden = !message;
      error.textContent = message;
    }
    input.setAttribute("aria-invalid", String(Boolean(message)));
    input.setAttribute("aria-describedby", [message && error ? error.id : null, help ? help.id : null].filter(Boolean).join(" "));
  }

  // The page's "Lowest delay to accept" (verify_draw.py --min-delay), or the default where the
  // page has none; null, with the reason beside the field, when it cannot be read.
  function minDelay() {
    const input = document.getElementById("min-delay");
    if (!input) return DEFAULT_MIN_DELAY;
    const value = parseDelay(input.value);
    fieldError(input, value === null ? "Enter a number of squarings, e.g. 2^27 or 134217728." : "");
    if (value === null) input.focus();
    return value;
  }

  // The page's "Seed commitment seen before the close" (verify_draw.py --commitment), for a
  // day of the old rule; "" when the page has none or it is empty.
  function commitmentSeen() {
    const input = document.getElementById("seed-commitment");
    return input ? input.value.trim().toLowerCase() : "";
  }

  // --- The lottery's own pages ----------------------------------------------------------------

  // The lowest delay the person typed is kept in this browser (a link cannot set it).
  function keepFloor() {
    const input = document.getElementById("min-delay");
    if (input && parseDelay(input.value) !== null) writeStore(FLOOR_STORE, { floor: input.value.trim(), on: today() });
  }

  function setUpServed() {
    const input = document.getElementById("min-delay");
    const kept = readStore(FLOOR_STORE);
    if (input && kept && typeof kept.floor === "string" && parseDelay(kept.floor) !== null) {
      input.value = kept.floor;
      const note = document.getElementById("min-delay-kept");
      if (note) {
        note.textContent = `${kept.floor} is the one you typed last${kept.on ? ` (${kept.on})` : ""}, kept in this browser.`;
        note.hidden = false;
      }
    }
    const servedContext = (run, section) =>
      newContext(run, { base: "", lottery: window.location.origin, pinned: null, minDelay: minDelay(), commitment: commitmentSeen(), progress: dayProgress(section) });
    for (const button of document.querySelectorAll("[data-action=stop]")) button.addEventListener("click", stopAll);
    stopButtonsEnabled();
    for (const button of document.querySelectorAll("[data-action=verify-day]")) {
      const section = button.closest(".verifier");
      button.addEventListener("click", () => {
        if (minDelay() === null) return;
        keepFloor();
        start(section, button, (report, run) => verifyDay(servedContext(run, section), section.dataset.date, report));
      });
    }
    const checkBallot = async (section, button, id) => {
      if (minDelay() === null) return;
      keepFloor();
      let ctx = null;
      await start(section, button, (report, run) => {
        ctx = servedContext(run, section);
        return verifyBallots(ctx, section.dataset.date, [id], null, report);
      });
      if (ctx) offerBundle(section, ctx, section.dataset.date);
    };
    for (const form of document.querySelectorAll("form[data-action=verify-ballot]")) {
      const section = form.closest(".verifier");
      const input = form.querySelector("input");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const id = input.value.trim().toLowerCase();
        const valid = UUID.test(id);
        fieldError(input, valid ? "" : "Enter a ballot id: 36 characters like 0b6e2c1a-5f1d-4c3e-9a7b-2d4e6f8a0c1e.");
        if (!valid) {
          input.focus();
          return;
        }
        checkBallot(section, form.querySelector("button[type=submit]"), id);
      });
      // A link with ?ballot=ID (the winner's email) names the ballot to check, and checks it.
      if (input.value) form.requestSubmit();
    }
    for (const section of document.querySelectorAll("[data-autostart=ballot]")) {
      const button = section.querySelector("[data-action=verify-this-ballot]");
      const go = () => checkBallot(section, button, section.dataset.ballot);
      button.addEventListener("click", go);
      go();
    }
  }

  // --- The standalone page ---------------------------------------------------------------------

  // The lottery's address as typed: its origin and path, without a trailing slash; else null.
  function lotteryBase(text) {
    let url;
    try {
      url = new URL(String(text).trim());
    } catch {
      return null;
    }
    if (!["http:", "https:"].includes(url.protocol) || url.username || url.password || url.search || url.hash) return null;
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  }

  // A signed note as pasted or read from a file: line ends as a note has them.
  function noteText(text) {
    const trimmed = String(text).replace(/\r\n?/g, "\n").replace(/^\s+|\s+$/g, "");
    return trimmed ? `${trimmed}\n` : null;
  }

  function setUpStandalone(form) {
    const $ = (id) => document.getElementById(id);
    const field = {
      lottery: $("lottery"),
      day: $("day"),
      logKey: $("log-key"),
      witnesses: $("witness-keys"),
      floor: $("min-delay"),
      commitment: $("seed-commitment"),
      ballot: $("ballot-id"),
      receipt: $("receipt"),
      receiptFile: $("receipt-file"),
      bundleFile: $("bundle-file"),
    };
    const results = $("results");
    const bundleResults = $("bundle-results");
    const keptNote = $("kept");
    const defaultFloor = field.floor.value;
    let filled = { log: null, witnesses: null, floor: null }; // what was filled in from storage

    // What this browser kept for the address typed: filled in, and said.
    const showKept = () => {
      const base = lotteryBase(field.lottery.value);
      const kept = base ? keptFor(base) : null;
      const unchanged = (input, value) => input.value.trim() === "" || input.value === value;
      if (!kept || typeof kept.log !== "string") {
        if (filled.log !== null && field.logKey.value === filled.log) field.logKey.value = "";
        if (filled.witnesses !== null && field.witnesses.value === filled.witnesses) field.witnesses.value = "";
        if (filled.floor !== null && field.floor.value === filled.floor) field.floor.value = defaultFloor;
        filled = { log: null, witnesses: null, floor: null };
        keptNote.hidden = true;
        return;
      }
      const witnesses = Array.isArray(kept.witnesses) ? kept.witnesses.join("\n") : "";
      if (unchanged(field.logKey, filled.log)) field.logKey.value = filled.log = kept.log;
      if (unchanged(field.witnesses, filled.witnesses)) field.witnesses.value = filled.witnesses = witnesses;
      if (typeof kept.floor === "string" && (field.floor.value === defaultFloor || field.floor.value === filled.floor)) field.floor.value = filled.floor = kept.floor;
      const count = kept.witnesses ? kept.witnesses.length : 0;
      keptNote.textContent = `Kept in this browser for ${base}${kept.kept_on ? ` since ${kept.kept_on}` : ""}: the lottery's key, ${count} witness key${count === 1 ? "" : "s"} and the lowest delay ${kept.floor || defaultFloor}, filled in below. Change them to pin others.`;
      keptNote.hidden = false;
    };
    field.lottery.addEventListener("input", showKept);
    field.lottery.addEventListener("change", showKept);

    field.receiptFile.addEventListener("change", async () => {
      const file = field.receiptFile.files[0];
      if (file) field.receipt.value = await file.text();
    });

    for (const button of document.querySelectorAll("[data-action=stop]")) button.addEventListener("click", stopAll);
    stopButtonsEnabled();

    // The keys, the floor and the commitment as typed; errors are pushed as [input, message].
    async function typed(errors) {
      let log = null;
      const witnesses = [];
      const logText = field.logKey.value.trim();
      if (!logText) errors.push([field.logKey, "Enter the lottery's log key, learned from someone other than the lottery: name+keyid+base64."]);
      else {
        try {
          log = await parseVkey(logText, KEY_ED25519);
        } catch (error) {
          errors.push([field.logKey, `This is not a log key: ${error.message}.`]);
        }
      }
      for (const line of field.witnesses.value.split("\n").map((s) => s.trim()).filter(Boolean)) {
        try {
          witnesses.push(await parseVkey(line, KEY_COSIGNATURE));
        } catch (error) {
          errors.push([field.witnesses, `This is not a witness key: ${error.message}.`]);
          break;
        }
      }
      if (new Set(witnesses.map((w) => w.name)).size !== witnesses.length) errors.push([field.witnesses, "Two keys name the same witness: give each witness once."]);
      const floor = parseDelay(field.floor.value);
      if (floor === null) errors.push([field.floor, "Enter a number of squarings, e.g. 2^27 or 134217728."]);
      const commitment = field.commitment.value.trim().toLowerCase();
      if (commitment && !HEX64.test(commitment)) errors.push([field.commitment, "Enter the seed commitment as 64 hex digits, or leave it empty."]);
      return { pinned: { log, witnesses }, floor, commitment };
    }

    function shown(errors, inputs) {
      for (const input of inputs) fieldError(input, "");
      for (const [input, message] of [...errors].reverse()) fieldError(input, message);
      if (errors.length) errors[0][0].focus();
      return errors.length === 0;
    }

    let last = null; // the last check of a ballot or receipt: {ctx, date}
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const errors = [];
      const base = lotteryBase(field.lottery.value);
      if (!base) errors.push([field.lottery, "Enter the lottery's address, e.g. https://lottery.example."]);
      const receiptText = noteText(field.receipt.value);
      let receipt = null;
      if (receiptText) {
        try {
          receipt = parseReceipt(receiptText);
        } catch (error) {
          errors.push([field.receipt, `This is not a receipt: ${error.message}.`]);
        }
      }
      if (!field.day.value && receipt) field.day.value = receipt.date;
      const date = field.day.value.trim();
      if (!isRealDate(date)) errors.push([field.day, "Enter the day to check."]);
      const { pinned, floor, commitment } = await typed(errors);
      const ballot = field.ballot.value.trim().toLowerCase();
      if (ballot && !UUID.test(ballot)) errors.push([field.ballot, "Enter a ballot id: 36 characters like 0b6e2c1a-5f1d-4c3e-9a7b-2d4e6f8a0c1e, or leave it empty."]);
      const inputs = [field.lottery, field.day, field.logKey, field.witnesses, field.floor, field.commitment, field.ballot, field.receipt];
      errors.sort((a, b) => inputs.indexOf(a[0]) - inputs.indexOf(b[0]));
      if (!shown(errors, inputs)) return;

      const before = keptFor(base);
      const changed = before && typeof before.log === "string" && before.log !== pinned.log.vkey ? before : null;
      keepFor(base, { log: pinned.log.vkey, witnesses: pinned.witnesses.map((w) => w.vkey), floor: field.floor.value.trim(), kept_on: (before && !changed && before.kept_on) || today() });
      showKept();
      let ctx = null;
      const ballotCheck = Boolean(ballot || receiptText);
      await start(results, $("verify"), (report, run) => {
        ctx = newContext(run, { base, lottery: base, pinned, minDelay: floor, commitment, progress: dayProgress(results) });
        report.info("the lottery checked", `${base}: only this address is read, with the keys you typed`);
        if (changed) report.warn("the lottery's key is not the one kept for this address", `this browser kept ${changed.log}${changed.kept_on ? ` on ${changed.kept_on}` : ""}; you typed another, kept from now on. Make sure you learned it from someone other than the lottery`);
        return ballotCheck ? verifyBallots(ctx, date, ballot ? [ballot] : [], receiptText, report) : verifyDay(ctx, date, report);
      });
      last = ballotCheck && ctx ? { ctx, date } : null;
      if (last) offerBundle(results, ctx, date);
    });

    $("check-bundle").addEventListener("click", async () => {
      const errors = [];
      const { pinned, floor, commitment } = await typed(errors);
      const file = field.bundleFile.files[0];
      if (!file) errors.push([field.bundleFile, "Choose a proof bundle (a .json file)."]);
      const inputs = [field.logKey, field.witnesses, field.floor, field.commitment, field.bundleFile];
      errors.sort((a, b) => inputs.indexOf(a[0]) - inputs.indexOf(b[0]));
      if (!shown(errors, inputs)) return;
      const text = await file.text();
      await start(bundleResults, $("check-bundle"), (report, run) => {
        const ctx = newContext(run, { base: null, lottery: null, pinned, minDelay: floor, commitment, progress: null });
        return checkBundle(ctx, text, report);
      });
    });
  }

  function setUp() {
    const form = document.getElementById("standalone");
    if (form) setUpStandalone(form);
    else setUpServed();
  }

  // The pure parts, for tests without a browser (tests/pages/test_verify_js_in_node.py).
  globalThis.LotteryVerifier = Object.freeze({
    ed25519KeyProblem,
    ed25519SignatureCanonical,
    ed25519Verify,
    parseVkey,
    parseCheckpoint,
    parseReceipt,
    checkpointSignedBy,
    cosignedAt,
    parseEntry,
    parseJSON,
    utf8Text,
    recordRoot,
    auditPath: async (leaves, m) => auditPath(leaves, m),
    consistencyProof,
    consistent,
    omissionHolds,
    bundleProblems,
    dayClose,
    drawProblems,
    lotteryBase,
    hexOf,
    base64Of,
  });

  if (typeof document !== "undefined") document.addEventListener("DOMContentLoaded", setUp);
})();
