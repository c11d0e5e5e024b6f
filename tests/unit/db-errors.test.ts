import { DrizzleQueryError } from "drizzle-orm/errors";
import { BotError } from "grammy";
import { describe, expect, it } from "vitest";
import { describeFailure, isDatabaseUnavailable } from "../../src/db/errors.js";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("database failures, as the HTTP edge and the logs see them", () => {
  it("a failed statement is logged without its parameters: what an officer typed and phone numbers stay out of the logs", () => {
    const err = new DrizzleQueryError(
      "insert into answers (key, value) values ($1, $2)",
      ["notes", "Em Nguyễn Văn A, 0912345678, bị đánh"],
      pgError("23505", "duplicate key value"),
    );
    const logged = JSON.stringify(describeFailure(err));
    expect(logged).toContain("duplicate key value");
    expect(logged).toContain("insert into answers");
    expect(logged).not.toContain("0912345678");
    expect(logged).not.toContain("bị đánh");
  });

  it("a database that is down or restarting is told apart from a bug, also inside grammY's and Drizzle's wrappers", () => {
    const refused = pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432");
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(new DrizzleQueryError("select 1", [], refused))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new BotError(new DrizzleQueryError("select 1", [], pgError("57P01", "terminating connection due to administrator command")), {} as never),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(pgError("08006", "connection failure"))).toBe(true);
    expect(isDatabaseUnavailable(pgError("23505", "duplicate key value"))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("x is undefined"))).toBe(false);
  });
});
