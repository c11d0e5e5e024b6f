import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { units } from "../../src/db/schema/index.js";
import { AppError } from "../../src/domain/app-error.js";
import { belowScopeSql, contains, inScopeSql, pathWithin, strictlyBelow, withinOrNotFound } from "../../src/domain/scope.js";
import { dbKinds, useTestDb } from "../support/db.js";

/**
 * The one scope rule (src/domain/scope.ts), used by every surface and every subtree query: a supervisor sees their own unit and what lies below it in
 * the same tree. Unit codes are reused between the trees before and after the 1/7/2025 reform
 * (Lai Châu is "12" in both), so a path alone never says which tree a unit is in; and a path is a
 * prefix of its descendants' only up to a dot ("12.1" is not the parent of "12.10").
 */
type Scheme = "pre2025" | "post2025";
const at = (scheme: Scheme, path: string) => ({ scheme, path });

// [root, unit, in the root's subtree?] — written out by hand, one line per reason.
const CASES: [ReturnType<typeof at>, ReturnType<typeof at>, boolean, string][] = [
  [at("pre2025", "12.106"), at("pre2025", "12.106"), true, "the unit itself"],
  [at("pre2025", "12.106"), at("pre2025", "12.106.03394"), true, "a commune of the district"],
  [at("pre2025", "12"), at("pre2025", "12.106.03394"), true, "a commune two levels down"],
  [at("pre2025", "12.106"), at("pre2025", "12"), false, "the province above the district"],
  [at("pre2025", "12.106"), at("pre2025", "12.105.03388"), false, "a commune of the neighbouring district"],
  [at("pre2025", "12"), at("post2025", "12"), false, "the same code in the other tree"],
  [at("pre2025", "12"), at("post2025", "12.03394"), false, "a commune of the same province code in the other tree"],
  [at("post2025", "12"), at("pre2025", "12.106.03394"), false, "an old commune seen from the new province"],
  [at("post2025", "12.03394"), at("pre2025", "12.03394"), false, "the same path in the other tree"],
  [at("pre2025", "12.1"), at("pre2025", "12.10"), false, "a sibling whose code starts with the root's"],
  [at("pre2025", "12.1"), at("pre2025", "12.10.00007"), false, "a child of that sibling"],
  [at("pre2025", "12.1"), at("pre2025", "12.1.00005"), true, "the root's own child beside that sibling"],
  [at("pre2025", "1"), at("pre2025", "12"), false, "a province whose code starts with another province's"],
  [at("pre2025", ""), at("pre2025", "12"), true, "the whole country holds every province"],
  [at("pre2025", ""), at("pre2025", "12.106.03394"), true, "the whole country holds every commune"],
  [at("pre2025", ""), at("post2025", "12.03394"), false, "the whole country of one tree holds none of the other"],
  [at("post2025", ""), at("post2025", "01.00004"), true, "the whole country after the reform"],
];

describe("contains: which units a supervisor may see", () => {
  const show = (u: ReturnType<typeof at>) => `${u.scheme} "${u.path}"`;
  it.each(
    CASES.map(([root, unit, expected, why]) => ({ root, unit, expected, title: `${why}: ${show(unit)} ${expected ? "is" : "is not"} under ${show(root)}` })),
  )("$title", ({ root, unit, expected }) => {
    expect(contains(root, unit)).toBe(expected);
    // The path-only form (a tree already fixed) agrees wherever the trees are the same.
    if (root.scheme === unit.scheme) expect(pathWithin(root.path, unit.path)).toBe(expected);
    // Below: inside, and not the root's own unit.
    expect(strictlyBelow(root, unit)).toBe(expected && unit.path !== root.path);
  });
});

// The same tree in both schemes, with sibling codes that share a prefix ("1" and "10").
const TREE: [Scheme, string][] = [
  ["pre2025", "1"],
  ["pre2025", "12"],
  ["pre2025", "12.1"],
  ["pre2025", "12.1.00005"],
  ["pre2025", "12.10"],
  ["pre2025", "12.10.00007"],
  ["pre2025", "12.106"],
  ["pre2025", "12.106.03394"],
  ["post2025", "12"],
  ["post2025", "12.1"],
  ["post2025", "12.03394"],
];
const levelOf = (scheme: Scheme, path: string): "province" | "district" | "commune" => {
  const depth = path.split(".").length;
  return depth === 1 ? "province" : depth === 3 || scheme === "post2025" ? "commune" : "district";
};

describe.each(dbKinds)("inScopeSql: the same rule in SQL, on the units table (%s)", (kind) => {
  const t = useTestDb(kind);
  beforeEach(async () => {
    // The code is the path: codes are unique per scheme, and the answer reads as the tree.
    await t.database.db.insert(units).values(TREE.map(([s, p]) => ({ scheme: s, code: p, name: `${s} ${p}`, level: levelOf(s, p), path: p })));
  });
  const below = async (scheme: Scheme, path: string) => {
    const rows = await t.database.db
      .select({ scheme: units.scheme, path: units.path })
      .from(units)
      .where(inScopeSql({ scheme, path }, units))
      .orderBy(asc(units.scheme), asc(units.path));
    return rows.map((r) => `${r.scheme} ${r.path}`);
  };

  it("a district holds itself and its communes, not its sibling whose code starts the same, nor the other tree", async () => {
    expect(await below("pre2025", "12.1")).toEqual(["pre2025 12.1", "pre2025 12.1.00005"]);
  });

  it("a province holds its whole tree, and nothing of the other scheme with the same code", async () => {
    expect(await below("pre2025", "12")).toEqual([
      "pre2025 12",
      "pre2025 12.1",
      "pre2025 12.1.00005",
      "pre2025 12.10",
      "pre2025 12.10.00007",
      "pre2025 12.106",
      "pre2025 12.106.03394",
    ]);
    expect(await below("post2025", "12")).toEqual(["post2025 12", "post2025 12.03394", "post2025 12.1"]);
  });

  it("province 1 does not hold province 12", async () => {
    expect(await below("pre2025", "1")).toEqual(["pre2025 1"]);
  });

  it("a commune holds only itself", async () => {
    expect(await below("post2025", "12.03394")).toEqual(["post2025 12.03394"]);
  });

  it("below a district: its communes, not the district itself", async () => {
    const rows = await t.database.db
      .select({ path: units.path })
      .from(units)
      .where(belowScopeSql({ scheme: "pre2025", path: "12.1" }, units));
    expect(rows.map((r) => r.path)).toEqual(["12.1.00005"]);
  });

  it("the whole country (the empty path) holds every unit of its tree and none of the other", async () => {
    expect(await below("post2025", "")).toEqual(["post2025 12", "post2025 12.03394", "post2025 12.1"]);
  });
});

describe("withinOrNotFound: outside the subtree reads as not there at all", () => {
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err instanceof AppError ? { code: err.code, message: err.message } : err;
    }
    return "no error";
  };
  it("a unit of the subtree is given back", () => {
    const u = { ...at("pre2025", "12.106.03394"), name: "Xã Bản Bo" };
    expect(withinOrNotFound(at("pre2025", "12.106"), u)).toBe(u);
  });
  it("a sibling's unit and a missing unit get the same not_found, naming nothing", () => {
    const sibling = refusal(() => withinOrNotFound(at("pre2025", "12.1"), { ...at("pre2025", "12.10.00007"), name: "Xã Khác" }));
    const missing = refusal(() => withinOrNotFound(at("pre2025", "12.1"), undefined));
    expect(sibling).toEqual({ code: "not_found", message: "Không tìm thấy đơn vị." });
    expect(missing).toEqual(sibling);
  });
});
