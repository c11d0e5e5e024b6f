export * from "./units.js";
export * from "./officers.js";
export * from "./inbound.js";
export * from "./outbox.js";
export * from "./reporting.js";
export * from "./campaigns.js";
export * from "./broadcasts.js";
export * from "./zalo.js";
