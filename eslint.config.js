// typescript-eslint loads TypeScript as a library, which is why the project pins TypeScript 5.x
// (7.x, the native compiler, has no JavaScript API).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "dist/", "drizzle/", "tests/.tmp/", "docs/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        fetch: "readonly",
        performance: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        Blob: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-control-regex": "off",
      "no-misleading-character-class": "off",
    },
  },
  {
    // With type information: a promise nobody awaits or catches (a lost write, an unhandled
    // rejection that stops the process) and a promise where a callback's result is ignored
    // (an async handler given to an event emitter) are errors.
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    // Only src/config.ts reads the environment.
    files: ["src/**/*.ts", "src/**/*.tsx"],
    ignores: ["src/config.ts"],
    rules: { "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through src/config.ts" }] },
  },
);
