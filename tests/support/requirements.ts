/**
 * What a run may skip. On a developer's machine a test that needs PostgreSQL or a browser that is
 * not there is reported as skipped, with the reason; under CI (or when asked with REQUIRE_POSTGRES=1
 * / REQUIRE_BROWSER=1) the same absence fails the run, so that a green CI run means every test ran.
 */
const flag = (name: string) => {
  const v = process.env[name];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
};

export const onCi = flag("CI");
export const postgresRequired = onCi || flag("REQUIRE_POSTGRES");
export const browserRequired = onCi || flag("REQUIRE_BROWSER");

/** Why this run has no PostgreSQL to test on, or undefined when TEST_DATABASE_URL names one. */
export const postgresAbsent: string | undefined = process.env.TEST_DATABASE_URL ? undefined : "TEST_DATABASE_URL is not set";

/** The reason to skip, or an error when this run may not skip. */
export function skipOrFail(reason: string | undefined, required: boolean, what: string): string | undefined {
  if (reason === undefined) return undefined;
  if (required) throw new Error(`${what} is required here (CI, REQUIRE_POSTGRES or REQUIRE_BROWSER is set) but missing: ${reason}`);
  return reason;
}
