import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface RunningService {
  pid: number;
  port: number;
  token: string;
}

/** The service running on this PGlite data folder, if any (its pid still alive). */
export function runningService(dataDir: string): RunningService | undefined {
  try {
    const info = JSON.parse(readFileSync(join(resolve(dataDir), "service.json"), "utf8")) as RunningService;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
