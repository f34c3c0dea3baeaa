// What the Node tests share: the micro zoo, a `warden serve` process on a free port, and named
// checks that report each result and set the exit status.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Builds the micro zoo under WORK/zoo once (seconds); quiet unless it fails (execFileSync's
// error then carries its stderr).
export function microZoo(warden, work) {
  if (!existsSync(`${work}/zoo/honest/model.safetensors`)) {
    execFileSync(warden, ["organisms", "build", "--size", "micro", "--out", `${work}/zoo`, "--threads", "1"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
}

// Starts `warden serve ARGS... --port 0 --port-file PORT_FILE` and waits (30 s at most) until it
// listens: { proc, base } with base "http://127.0.0.1:PORT".
export async function startServe(warden, args, portFile) {
  rmSync(portFile, { force: true });
  const proc = spawn(warden, ["serve", ...args, "--port", "0", "--port-file", portFile],
                     { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 300; ++i) {
    if (existsSync(portFile)) {
      const port = readFileSync(portFile, "utf8").trim();
      if (port) return { proc, base: `http://127.0.0.1:${port}` };
    }
    if (proc.exitCode !== null) throw new Error(`warden serve exited with ${proc.exitCode}`);
    await sleep(100);
  }
  proc.kill("SIGTERM");
  throw new Error("warden serve did not start in 30 s");
}

// check(name, fn) runs one named check and prints ok/FAIL; finish() prints the total and exits
// non-zero when any check failed.
export function checks() {
  let failures = 0;
  return {
    async check(name, fn) {
      try {
        await fn();
        console.log(`ok   ${name}`);
      } catch (e) {
        failures += 1;
        console.log(`FAIL ${name}: ${e.stack ?? e}`);
      }
    },
    finish() {
      console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
      process.exit(failures === 0 ? 0 : 1);
    },
  };
}
