import type { z } from "zod";
import { AppError } from "../domain/app-error.js";

/** A use case's input checked at entry: invalid_input with every problem in Vietnamese, never a ZodError. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(
      "invalid_input",
      r.error.issues[0]?.message ?? "Dữ liệu không hợp lệ.",
      r.error.issues.map((i) => i.message),
    );
  return r.data;
}
