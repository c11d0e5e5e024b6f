import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";

/** An IPv4-mapped IPv6 address ("::ffff:10.0.0.1") is the IPv4 address it maps. */
const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

const isLoopback = (address: string) => /^127\./.test(address) || address === "::1";

/**
 * Whether an address is one of the reverse proxies named in TRUST_PROXY (IP addresses, or the
 * word "loopback" for a proxy on the same machine).
 */
export function createProxyTrust(trusted: readonly string[]) {
  const exact = new Set(trusted.filter((t) => t !== "loopback").map(plain));
  const loopback = trusted.includes("loopback");
  return (address: string) => exact.has(plain(address)) || (loopback && isLoopback(plain(address)));
}

/**
 * The client's address: the socket's peer, or — only when that peer is a trusted proxy — the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy (the left-most entries are
 * whatever the client chose to send, so a new one per request must not buy a new rate bucket).
 */
export function clientAddress(c: Context, isTrustedProxy: (address: string) => boolean): string {
  let address = "unknown";
  try {
    address = plain(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    // Not served by @hono/node-server (app.request in a unit test): no socket to ask.
  }
  if (!isTrustedProxy(address)) return address;
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => plain(s.trim()))
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (!isTrustedProxy(forwarded[i]!)) return forwarded[i]!;
  }
  return address;
}
