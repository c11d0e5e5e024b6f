import { describe, expect, it } from "vitest";
import { safeNextPath } from "../../src/http/redirects.js";
import { createProxyTrust } from "../../src/http/client-address.js";
import { createPasswordThrottle } from "../../src/http/sign-in-throttle.js";

const ORIGIN = "https://baocao.laichau.example";

describe("where a browser goes after sign-in", () => {
  it.each([
    ["/dashboard?unit=106", "/dashboard?unit=106"],
    ["/incidents/KC-2026-0042", "/incidents/KC-2026-0042"],
    ["/\\evil.example/x", "/dashboard"],
    ["//evil.example/x", "/dashboard"],
    ["///evil.example", "/dashboard"],
    ["https://evil.example/x", "/dashboard"],
    ["https://baocao.laichau.example/dashboard", "/dashboard"], // not a path: refused, though same origin
    ["javascript:alert(1)", "/dashboard"],
    ["/\tevil", "/dashboard"],
    ["", "/dashboard"],
    [undefined, "/dashboard"],
    ["/../../etc", "/etc"], // resolved, and still this site
  ])("next=%j → %s", (asked, expected) => {
    expect(safeNextPath(asked, ORIGIN)).toBe(expected);
  });
});

describe("which proxies are believed", () => {
  it("only the addresses named, or loopback when asked, IPv4-mapped forms included", () => {
    const none = createProxyTrust([]);
    expect(none("127.0.0.1")).toBe(false);
    const loop = createProxyTrust(["loopback"]);
    expect(loop("127.0.0.1")).toBe(true);
    expect(loop("::ffff:127.0.0.1")).toBe(true);
    expect(loop("::1")).toBe(true);
    expect(loop("10.0.0.5")).toBe(false);
    const named = createProxyTrust(["10.0.0.5"]);
    expect(named("::ffff:10.0.0.5")).toBe(true);
    expect(named("10.0.0.50")).toBe(false);
  });
});

describe("wrong passwords slow an account down", () => {
  it("three free failures, then 1 s, 2 s, 4 s … capped at a minute, and forgotten 15 minutes after the last", () => {
    let now = 0;
    const t = createPasswordThrottle({ clock: () => new Date(now) });
    for (let i = 0; i < 3; i++) t.failed("a");
    expect(t.waitMs("a")).toBe(1000);
    expect(t.waitMs("b")).toBe(0);
    t.failed("a");
    expect(t.waitMs("a")).toBe(2000);
    for (let i = 0; i < 10; i++) t.failed("a");
    expect(t.waitMs("a")).toBe(60_000);
    now += 15 * 60_000 + 1;
    expect(t.waitMs("a")).toBe(0);
    expect(t.size()).toBe(0);
    t.failed("c");
    t.succeeded("c");
    expect(t.size()).toBe(0);
  });
});
