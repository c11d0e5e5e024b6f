import { describe, expect, it } from "vitest";
import { displayPhone, maskPhone, normalizePhone } from "../../src/domain/phone.js";

describe("phones: what is refused, and numbers already in national form", () => {
  // A phone cell with words or other signs around the digits is refused rather than guessed at:
  // the officer list is corrected by whoever typed it.
  it.each([["số 0912345678"], ["0912345678a"], ["tel:0912345678"], ["0912345678 (nhà)"], ["0912/345/678"], ["*0912345678"], ["0912345678,"]])(
    "%j is refused",
    (input) => {
      expect(normalizePhone(input)).toBeUndefined();
    },
  );

  it("the international prefix 00 and a landline with its area code are recognised", () => {
    expect(normalizePhone("0084912345678")).toBe("84912345678");
    expect(normalizePhone("0243 825 1234")).toBe("842438251234");
  });

  it("a number given in national form is shown and masked as it is", () => {
    expect(displayPhone("0912345678")).toBe("0912 345 678");
    expect(maskPhone("0912345678")).toBe("0912***678");
    expect(displayPhone("842438251234")).toBe("0243 825 1234");
  });
});
