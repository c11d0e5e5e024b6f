import { crc32, deflateSync } from "node:zlib";
import type { OpenAPIHono } from "@hono/zod-openapi";

/** Where baocao serves the image of the OA's request-info form itself (used when PUBLIC_URL is https). */
export const OA_INFO_IMAGE_PATH = "/zalo/oa-info.png";

/**
 * The image URL of the request-info form: the configured one, else baocao's own when PUBLIC_URL
 * is https (Zalo fetches it from outside: a plain-http or private address is refused), else none.
 */
export function oaInfoImageUrl(configured: string | undefined, publicUrl: string | undefined): string | undefined {
  if (configured) return configured;
  return publicUrl?.startsWith("https://") ? `${publicUrl}${OA_INFO_IMAGE_PATH}` : undefined;
}

/**
 * Zalo's domain verification page: the console offers a file zalo_verifier<code>.html to put at
 * the domain's root; this is that file as Zalo hands it out (a meta property carrying the code;
 * copy seen in tuongduycuc/zalo-bot-206 public/zalo_verifier….html), so nothing needs hosting.
 */
export function zaloVerifierPage(code: string): string {
  return `<!DOCTYPE html>
<html lang="en">

<head>
    <meta property="zalo-platform-site-verification" content="${code}" />
</head>

<body>
There Is No Limit To What You Can Accomplish Using Zalo!
</body>

</html>`;
}

/**
 * A 640×360 banner (the form shows it above its fields): baocao's blue with a lighter band, drawn
 * here so that the form works without hosting a file. An admin can point ZALO_OA_INFO_IMAGE_URL
 * at the unit's own logo instead.
 */
export function oaInfoPng(): Buffer {
  const width = 640;
  const height = 360;
  const row = Buffer.alloc(1 + width * 3);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const band = y > 140 && y < 220;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = band ? [230, 240, 255] : [0, 104, 255];
      row.set([r, g, b], 1 + x * 3);
    }
    rows.push(Buffer.from(row));
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface ZaloRoutesDeps {
  /** ZALO_SITE_VERIFICATION. */
  siteVerification?: string;
  /** The OA channel is configured: its probe and form image are served. */
  oa: boolean;
}

/**
 * The Zalo routes that are not events: the console's probe of the webhook URL (reported as a GET
 * by some integrators, an unsigned POST {} by others — the POST is answered by the webhook
 * itself), the domain verification file, and the form's image.
 */
export function mountZaloRoutes(deps: ZaloRoutesDeps) {
  return (app: OpenAPIHono) => {
    if (deps.oa) {
      app.get("/webhooks/zalo-oa", (c) => c.json({ ok: true }));
      let png: Buffer | undefined;
      app.get(OA_INFO_IMAGE_PATH, (c) => {
        png ??= oaInfoPng();
        c.header("Cache-Control", "public, max-age=86400");
        c.header("content-type", "image/png");
        return c.body(new Uint8Array(png));
      });
    }
    if (deps.siteVerification) {
      const code = deps.siteVerification;
      app.get(`/zalo_verifier${code}.html`, (c) => c.html(zaloVerifierPage(code)));
    }
  };
}
