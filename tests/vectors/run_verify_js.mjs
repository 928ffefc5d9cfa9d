// The in-browser verifier (pages/static/pages/verify.js) on every known-answer vector, in Node.
//
//     node tests/vectors/run_verify_js.mjs pages/static/pages/verify.js tests/vectors/draws.json
//
// For each vector, verify.js is loaded afresh into a page of its own: a result page's few
// elements (the "Verify this draw" button, its section, the floor and commitment fields), a
// storage of its own, and a fetch that answers what the vector holds, as tests/vectors/
// __init__.py's served() does (404 for anything else, GET /log/checkpoint included). The
// button is clicked, as a person would, and what the page shows is read back: its outcome
// (pass or fail) and each check (kind, name, reason). Prints a JSON list, one item a vector.
import fs from "node:fs";
import vm from "node:vm";

const [script, file, only] = process.argv.slice(2);
const source = fs.readFileSync(script, "utf8");
const { vectors } = JSON.parse(fs.readFileSync(file, "utf8"));

// What the lottery answers to ``path`` for ``vector``.
function served(vector, path) {
  const url = new URL(path, "http://lottery.test");
  const { draw, previous, ballots } = vector;
  if (url.pathname === `/draws/${draw.date}`) return [200, draw];
  if (url.pathname === `/draws/${draw.date}/ballots`) {
    const after = url.searchParams.get("after");
    const start = after === null ? 0 : ballots.indexOf(after) + 1;
    const limit = Number(url.searchParams.get("limit") ?? 1000);
    const items = ballots.slice(start, start + limit);
    const last = start + limit >= ballots.length;
    return [200, { items, next_after: last ? null : items[items.length - 1] }];
  }
  if (previous && url.pathname === `/draws/${previous.date}`) return [200, previous];
  return [404, { detail: "Not Found" }];
}

function element(tag, extra = {}) {
  const node = {
    tagName: tag,
    children: [],
    dataset: {},
    attributes: {},
    className: "",
    textContent: "",
    hidden: false,
    disabled: false,
    value: "",
    listeners: {},
    classList: { add: (name) => (node.className = `${node.className} ${name}`.trim()) },
    append: (...kids) => node.children.push(...kids),
    replaceChildren: (...kids) => (node.children = kids),
    setAttribute: (name, value) => (node.attributes[name] = String(value)),
    removeAttribute: (name) => delete node.attributes[name],
    addEventListener: (type, listener) => (node.listeners[type] ||= []).push(listener),
    querySelector: () => null,
    querySelectorAll: () => [],
    closest: () => null,
    focus: () => {},
    ...extra,
  };
  return node;
}

function storage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
  };
}

// One result page for ``vector``; resolves with what it shows once its check is done.
async function check(vector) {
  const list = element("ol");
  const outcome = element("p");
  const parts = { ".checks": list, ".outcome": outcome };
  const section = element("section", { querySelector: (selector) => parts[selector] ?? null });
  section.dataset.date = vector.draw.date;
  const button = element("button", { closest: (selector) => (selector === ".verifier" ? section : null) });
  const fields = {
    "min-delay": element("input", { id: "min-delay", value: vector.verifier.min_delay }),
    "seed-commitment": element("input", { id: "seed-commitment", value: vector.verifier.commitment ?? "" }),
  };
  const loaded = [];
  globalThis.document = {
    body: element("body"),
    getElementById: (id) => fields[id] ?? null,
    querySelectorAll: (selector) => (selector === "[data-action=verify-day]" ? [button] : []),
    createElement: (tag) => element(tag),
    addEventListener: (type, listener) => type === "DOMContentLoaded" && loaded.push(listener),
  };
  globalThis.window = { location: { origin: "http://lottery.test" }, localStorage: storage(), crypto: globalThis.crypto };
  globalThis.fetch = async (path) => {
    const [status, body] = served(vector, String(path));
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };
  vm.runInThisContext(source, { filename: "verify.js" });
  for (const listener of loaded) listener();
  for (const listener of button.listeners.click ?? []) listener();
  const deadline = Date.now() + 60_000;
  while (section.dataset.state !== "done") {
    if (Date.now() > deadline) throw new Error(`${vector.name}: the check did not end within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const checks = list.children.map((item) => [item.className, item.children[1].textContent, item.children[2]?.textContent ?? ""]);
  return { name: vector.name, outcome: outcome.dataset.outcome, text: outcome.textContent, checks };
}

const results = [];
for (const vector of vectors) {
  if (only && vector.name !== only) continue;
  results.push(await check(vector));
}
process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
