import type { ReportingLevel } from "../domain/periods.js";
import { LEVEL_NAMES } from "./deadline-rules.js";

/**
 * The order rule in words, of the levels this tree has: "hạn của xã phải trước hạn của huyện, hạn
 * của huyện trước hạn của tỉnh" before the reform, "hạn của xã phải trước hạn của tỉnh" after it
 * (no districts since 1/7/2025).
 */
export function orderRuleText(levels: readonly ReportingLevel[]): string {
  return levels
    .slice(1)
    .map((l, i) => `hạn của ${LEVEL_NAMES[levels[i]!]}${i === 0 ? " phải" : ""} trước hạn của ${LEVEL_NAMES[l]}`)
    .join(", ");
}

/** Where a unit's deadlines come from, nearest first, of the levels above the commune this tree has ("huyện, rồi tỉnh" or "tỉnh"). */
export function inheritanceText(levels: readonly ReportingLevel[]): string {
  return levels
    .filter((l) => l !== "commune")
    .map((l) => LEVEL_NAMES[l])
    .join(", rồi ");
}
