// The in-browser verifier: recomputes a lottery day's draw from the public JSON alone.
//
// It implements docs/draw-rules.md, the same rules as scripts/verify_draw.py, and a test
// (tests/pages/test_verifier_agreement.py) holds both to the same answers on the same days.
// Web Crypto does SHA-256 and HMAC; BigInt does the modular arithmetic of the delay
// function's proof. Nothing is sent anywhere: it only reads this server's public answers.
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

  class Unusable extends Error {} // an answer the checks cannot use: the run ends, failed

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
      throw new Unusable(`${path} answered HTTP ${response.status}${detail}`);
    }
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new Unusable(`${path} did not answer a JSON object`);
    }
    return body;
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
  async function ruleIndex(draw, report, minDelay) {
    if (draw.ballot_count === 0) {
      report.pass("no winner", "a day without ballots has no index and no winner");
      return null;
    }
    if (draw.rule === RULE_HMAC) {
      const commitment = hexOf(await sha256(bytesOfHex(draw.seed)));
      report.check("the seed matches its commitment", commitment === draw.seed_commitment, `SHA-256(seed) = ${commitment}`);
      // Whoever holds the seed can make up another after the close, with its commitment:
      // only a commitment public before the close makes the old rule fair.
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
    report.check(
      `the delay is at least ${power(minDelay)} squarings`,
      delayOk,
      `2^${t} squarings (about ${delayTime} at a GMP-speed 5 us each)` +
        (delayOk ? "" : `; a demo or test day? Lower "Lowest delay to accept" to 2^${t} to accept it`),
    );
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
  // draw, in canonical form and drawn, has the recorded hash and the height below.
  async function checkChain(draw, report) {
    const recomputed = await recordHash(draw);
    report.check("the record hash", recomputed === draw.record_hash, `recomputed ${recomputed}`);
    if (draw.previous_date === null) {
      report.info("the chain of draws", `it starts here: ${draw.date} is the first draw (height 0)`);
      return;
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

  async function verifyDay(date, report, progress, minDelay) {
    const draw = await readDraw(date, report);
    const index = await ruleIndex(draw, report, minDelay);
    if (index !== null) report.check("the winning index", index === draw.winning_index, `the ${draw.rule} rule gives ${index}`);
    const set = await ballotSet(draw, index, progress);
    report.pass("the ballot ids are in canonical order, each once", `${set.pages} page${set.pages === 1 ? "" : "s"}, ascending`);
    report.check("the ballot count", set.seen === draw.ballot_count, `${set.seen} ids listed`);
    report.check("the Merkle root", set.root === draw.merkle_root, `recomputed ${set.root}`);
    if (index !== null) report.check("the winning ballot", set.winner === draw.winning_ballot_id, `the ballot at index ${index} is ${set.winner}`);
    await checkBeacon(draw, report);
    await checkChain(draw, report);
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
    const index = await ruleIndex(draw, report, minDelay);
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
    await checkChain(draw, report);
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
      symbol.setAttribute("aria-label", { pass: "passed", fail: "failed", info: "note" }[kind]);
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

  document.addEventListener("DOMContentLoaded", setUp);
})();
