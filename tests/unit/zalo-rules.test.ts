import { describe, expect, it } from "vitest";
import { eventFresh, splitOaText, toDeliveryError } from "../../src/bot/zalo-oa.js";
import { graphemeCut } from "../../src/domain/text.js";
import { tokenRefreshDue, ZaloOaApiError } from "../../src/bot/zalo-oa-client.js";
import { parseZaloBotEvent } from "../../src/bot/zalo-bot.js";
import { oaInfoImageUrl, zaloVerifierPage } from "../../src/http/zalo-routes.js";

const H = 3_600_000;

describe("Zalo rules", () => {
  it("OA text is cut at grapheme boundaries: an emoji family or a letter with its marks stays whole", () => {
    const family = "👨‍👩‍👧"; // 8 UTF-16 units, one grapheme
    expect(graphemeCut(`ab${family}c`, 5)).toBe(2);
    expect(graphemeCut(`ab${family}c`, 10)).toBe(10);
    // A decomposed Vietnamese letter (e + circumflex + acute) is one grapheme of three units.
    expect(graphemeCut("ae\u0302\u0301x", 2)).toBe(1);
    // A grapheme longer than the limit is cut where it must be, never into an endless loop.
    expect(graphemeCut(family, 4)).toBe(4);
    const parts = splitOaText(`${"x".repeat(1995)}${family}${family}tail`);
    expect(parts).toEqual([`${"x".repeat(1995)}`, `${family}${family}tail`]);
    expect(parts.every((p) => p.length <= 2000)).toBe(true);
    // A space near the limit is still preferred.
    expect(splitOaText(`${"y".repeat(1500)} ${"z".repeat(600)}`)).toEqual(["y".repeat(1500), "z".repeat(600)]);
    expect(splitOaText("ngắn")).toEqual(["ngắn"]);
  });

  it("the webhook's age window takes Zalo's retries (ms or s timestamps) and refuses what is older or unreadable", () => {
    const now = new Date("2026-11-07T03:00:00Z");
    const first = now.getTime() - (6_630_000 + 5_000); // the last retry, 1 h 50 min after the first attempt
    expect(eventFresh(String(first), now, 10_800)).toBe(true);
    expect(eventFresh(String(Math.floor(first / 1000)), now, 10_800)).toBe(true);
    expect(eventFresh(String(now.getTime() - 3 * H - 1000), now, 10_800)).toBe(false);
    expect(eventFresh(undefined, now, 10_800)).toBe(false);
    expect(eventFresh("abc", now, 10_800)).toBe(false);
    expect(eventFresh({}, now, 10_800)).toBe(false);
  });

  it("OA errors: -211 is retried in an hour, -224 is not a delivery outcome of its own (the sender re-sends as text)", () => {
    expect(toDeliveryError(new ZaloOaApiError(-211, "Out of quota"))).toMatchObject({ kind: "retry", retryAfterMs: 3_600_000 });
    expect(toDeliveryError(new ZaloOaApiError(-230, "no interaction"))).toMatchObject({ kind: "outside_window" });
    expect(toDeliveryError(new ZaloOaApiError(-201, "text is invalid!"))).toMatchObject({ kind: "failed" });
  });

  it("a token pair is refreshed when under 6 h are left or it is a day old", () => {
    const now = new Date("2026-11-07T03:00:00Z");
    const at = (ms: number) => new Date(now.getTime() + ms);
    expect(tokenRefreshDue({ expiresAt: at(20 * H), updatedAt: at(-5 * H) }, now)).toBe(false);
    expect(tokenRefreshDue({ expiresAt: at(5 * H), updatedAt: at(-20 * H) }, now)).toBe(true);
    expect(tokenRefreshDue({ expiresAt: at(-H), updatedAt: at(-26 * H) }, now)).toBe(true);
    expect(tokenRefreshDue({ expiresAt: at(30 * H), updatedAt: at(-24 * H) }, now)).toBe(true);
  });

  it("Zalo Bot: an event without message is not malformed, a message of the wrong type is", () => {
    expect(parseZaloBotEvent({ event_name: "bot.webhook.test" })).toEqual({ reason: "event bot.webhook.test carries no message" });
    expect(parseZaloBotEvent({ ok: true, result: { event_name: "x" } })).toEqual({ reason: "event x carries no message" });
    expect(parseZaloBotEvent({ event_name: "message.text.received", message: "hi" })).toMatchObject({ malformed: true });
    expect(parseZaloBotEvent({})).toMatchObject({ malformed: true });
  });

  it("the form's image: the configured URL, else baocao's own under an https PUBLIC_URL, else none", () => {
    expect(oaInfoImageUrl("https://cdn.example.vn/a.png", "https://baocao.example.vn")).toBe("https://cdn.example.vn/a.png");
    expect(oaInfoImageUrl(undefined, "https://baocao.example.vn")).toBe("https://baocao.example.vn/zalo/oa-info.png");
    expect(oaInfoImageUrl(undefined, "http://10.0.0.5:3000")).toBeUndefined();
    expect(oaInfoImageUrl(undefined, undefined)).toBeUndefined();
    expect(zaloVerifierPage("AbC_12-x")).toContain('<meta property="zalo-platform-site-verification" content="AbC_12-x" />');
  });
});
