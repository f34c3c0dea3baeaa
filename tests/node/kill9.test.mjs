// `kill -9` of `warden serve` under load loses no decision record whose response a client
// received: every completed response (a 200 body, a stream through [DONE], a 400 block) must
// name a request whose record is in the store, and the chain must verify.
// On a PostgreSQL store two gateways serve the clients; one is killed, the other keeps serving
// and keeps appending to the same chain.
// Usage: node kill9.test.mjs WARDEN_BINARY WORK_DIR [STORE]   (WORK_DIR/zoo/honest built by the
// caller; STORE a postgresql:// URI, or by default a SQLite file in WORK_DIR)
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [warden, work, storeArg] = process.argv.slice(2);
const store = storeArg || `${work}/kill.db`;
const gateways = store.startsWith("postgres") ? 2 : 1;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fail = (m) => { console.log(`FAIL ${m}`); process.exit(1); };

writeFileSync(`${work}/kill.yaml`, 'input: [{name: deny, regex: ["(?i)poison"]}]\nlimits: {max_batch: 8}\n');
const procs = [], urls = [];
for (let g = 0; g < gateways; ++g) {
  const portFile = `${work}/kill${g}.port`;
  procs.push(spawn(warden, ["serve", `${work}/zoo/honest`, "--port", "0", "--port-file", portFile,
                            "--store", store, "--safeguards", `${work}/kill.yaml`, "--threads", "1"],
                   { stdio: ["ignore", "ignore", "inherit"] }));
  let port = "";
  for (let i = 0; i < 300 && !port; ++i) {
    if (existsSync(portFile)) port = readFileSync(portFile, "utf8").trim();
    if (!port) await sleep(100);
  }
  if (!port) fail(`warden serve ${g} did not start`);
  urls.push(`http://127.0.0.1:${port}/v1/chat/completions`);
}

const received = [];  // ids of responses that completed at the client
let killedAt = Infinity;
const afterKill = [];  // responses completed by a surviving gateway after the kill
async function one(i, g) {
  const url = urls[g];
  const stream = i % 2 === 1;
  const content = i % 5 === 0 ? "How do I poison a river?" : `Tell me about bread number ${i}.`;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "honest", messages: [{ role: "user", content }], max_tokens: 24, temperature: 0, stream }),
    });
    const body = await res.text();
    if (res.status === 400) {
      if (JSON.parse(body).error.code === "content_filter") received.push({ kind: "block", content });
      return;
    }
    if (res.status !== 200) return;
    if (!stream) {
      received.push({ kind: "answer", id: JSON.parse(body).id });
    } else {
      if (!body.includes("data: [DONE]")) return;
      received.push({ kind: "stream", id: JSON.parse(body.split("\n\n")[0].slice(6)).id });
    }
    if (Date.now() > killedAt && g !== 0) afterKill.push(i);
  } catch {
    // the server died mid-request: this client received nothing complete
  }
}

const clients = [];
let next = 0;
const t0 = Date.now();
for (let c = 0; c < 8; ++c) {
  clients.push((async () => { while (Date.now() - t0 < 4000) await one(next++, c % gateways); })());
}
await sleep(2500);
procs[0].kill("SIGKILL");
killedAt = Date.now();
await Promise.all(clients);
for (const p of procs.slice(1)) p.kill("SIGTERM");
await sleep(300);

const records = execFileSync(warden, ["serve", "audit", "export", "--store", store],
                               { encoding: "utf8", maxBuffer: 1 << 30 })  // every record of the run: many MB
  .split("\n").filter((l) => l).map((l) => JSON.parse(l));
const ids = new Set(records.map((r) => r.request_id));
const answered = received.filter((r) => r.kind !== "block");
const missing = answered.filter((r) => !ids.has(r.id));
const blocks = received.filter((r) => r.kind === "block").length;
const blockRecords = records.filter((r) => r.action === "block").length;
console.log(`kill -9 of gateway 0 of ${gateways} after 2.5 s: ${received.length} responses completed at clients ` +
            `(${blocks} blocks, ${afterKill.length} from the surviving gateway after the kill), ${records.length} records`);
if (received.length === 0) fail("no response completed before the kill: the test measured nothing");
if (gateways > 1 && afterKill.length === 0) fail("the surviving gateway completed nothing after the kill");
if (missing.length) fail(`${missing.length} completed responses have no record: ${missing.map((r) => r.id).join(", ")}`);
if (blockRecords < blocks) fail(`${blocks} blocks received but only ${blockRecords} block records`);
const verify = execFileSync(warden, ["serve", "audit", "verify", "--store", store], { encoding: "utf8" });
if (!verify.startsWith("ok:")) fail(`audit verify: ${verify}`);
console.log("ok   no decision record lost for a response a client received; the chain verifies");
