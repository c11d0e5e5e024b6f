import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

/** The real server as a child process (`node --import tsx src/main.ts`), as it runs in production. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  logs(): string;
  /** Set once the process has exited, however it ended. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
  /** kill -9: no shutdown handler runs, in-flight work is cut wherever it is. */
  kill9(): Promise<void>;
  /** SIGTERM, the graceful stop; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const live = new Set<ServerProcess>();
// Never leave a server running after the test process, whatever happened to the test.
process.once("exit", () => {
  for (const s of live) s.child.kill("SIGKILL");
});

/** Env every spawned server gets unless the test overrides it. */
const BASE_ENV = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", DEMO_SEED: "off" };

/**
 * Starts the server and resolves once it listens (its log says where). Rejects with the
 * process's output when it exits or does not listen within `timeoutMs`.
 */
export function spawnServer(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A bounded tail: a server under load logs a line per request.
  let tail = "";
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-20_000);
    if (process.env.TEST_LOG) process.stderr.write(d);
  };
  let resolveExited!: () => void;
  const exited = new Promise<void>((ok) => (resolveExited = ok));
  return new Promise((resolve, reject) => {
    let server: ServerProcess | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within ${opts.timeoutMs ?? 180_000} ms:\n${tail}`));
    }, opts.timeoutMs ?? 180_000);
    child.stderr!.on("data", keep);
    child.stdout!.on("data", (d: Buffer) => {
      keep(d);
      if (server) return;
      const m = /listening on http:\/\/localhost:(\d+)/.exec(tail);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      server = {
        child,
        pid: child.pid!,
        port,
        url: `http://127.0.0.1:${port}`,
        logs: () => tail,
        exit: undefined,
        exited,
        async kill9() {
          if (!server!.exit) child.kill("SIGKILL");
          await exited;
        },
        async stop() {
          if (!server!.exit) child.kill("SIGTERM");
          await exited;
          return server!.exit!.code;
        },
      };
      live.add(server);
      resolve(server);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (server) {
        server.exit = { code, signal };
        live.delete(server);
      }
      resolveExited();
      reject(new Error(`the server exited (${code ?? signal}) before listening:\n${tail}`));
    });
  });
}

/** For afterAll: kills whatever servers a failed test left behind. */
export async function killServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.kill9()));
}
