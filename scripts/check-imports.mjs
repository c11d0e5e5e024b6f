// `npm run check:imports`: fails on an import cycle between files of src/ (madge) or between its
// folders (a folder that imports another that imports it back, e.g. conversations ↔ incidents).
// madge finds file cycles well; the folder view is ours: a few lines over madge's graph.
import madge from "madge";

const graph = (await madge("src", { fileExtensions: ["ts", "tsx"], tsConfig: "tsconfig.json" })).obj();
let failed = false;

const fileCycles = (await madge("src", { fileExtensions: ["ts", "tsx"], tsConfig: "tsconfig.json" })).circular();
for (const cycle of fileCycles) {
  failed = true;
  console.error(`file cycle: ${cycle.join(" → ")} → ${cycle[0]}`);
}

// A file's folder: its first directory under src/ (src/db/schema/x.ts → db); top-level files stand alone.
const folder = (file) => (file.includes("/") ? file.split("/")[0] : file);
const edges = new Map();
const why = new Map();
for (const [from, tos] of Object.entries(graph)) {
  for (const to of tos) {
    const a = folder(from);
    const b = folder(to);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a).add(b);
    if (!why.has(`${a}>${b}`)) why.set(`${a}>${b}`, `${from} → ${to}`);
  }
}
for (const [a, tos] of edges) {
  for (const b of tos) {
    if (a < b && edges.get(b)?.has(a)) {
      failed = true;
      console.error(`folder cycle: ${a} ↔ ${b} (${why.get(`${a}>${b}`)}; ${why.get(`${b}>${a}`)})`);
    }
  }
}
if (failed) process.exit(1);
console.log(`no import cycles: ${Object.keys(graph).length} files, ${edges.size} folders`);
