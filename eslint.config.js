// ESLint (flat config), `npm run lint`: a modest rule set the whole repository passes, about
// correctness and structure only — no stylistic rules (layout is Prettier's, .prettierrc.json).
//
// - @eslint/js and typescript-eslint "recommended" (syntax-only, no type information: fast);
// - import-x/no-cycle: no import cycles between our modules (type-only imports are erased, so
//   they do not count);
// - import-x/no-restricted-paths: the layers — app/ never imports the worker (jobs/), the CLIs and
//   their helpers (scripts/) or the integration tests (test/); jobs/ never imports scripts/ or
//   test/; the data path's rooms: app/live-index/ imports no ranking, storefront or HTTP code,
//   app/ranking/ no storefront or HTTP code. Unit tests (*.test.ts) may use test and script helpers;
// - no globalThis singletons (`globalThis.__x`, `declare global { var … }`) outside the web's
//   composition root, app/web-services.server.ts;
// - @typescript-eslint/no-unused-vars (an `_` prefix marks a deliberately unused name);
// - import-x/extensions + no-restricted-imports: one import-suffix style (no extension on our own modules);
// - react-hooks: rules-of-hooks and exhaustive-deps (the Remix template's two).
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", "node_modules/", "models/", "public/", "extensions/", "prisma/", ".cache/", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "import-x": importX, "react-hooks": reactHooks },
    settings: {
      // Parse imported TypeScript files too (without these, import-x skips them and no-cycle sees no edge).
      "import-x/extensions": [".ts", ".tsx", ".js", ".mjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".tsx", ".js", ".mjs", ".json", ".node"] })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // One import-suffix style: our modules are imported without an extension ("./x", never "./x.js").
      // (import-x/extensions checks the resolved file, so "./x.js" naming x.ts passes it: a pattern instead.)
      "import-x/extensions": ["error", "never", { ignorePackages: true, pattern: { json: "always", css: "always" } }],
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.{1,2}/.*\\.[cm]?[jt]sx?$", message: "Import our modules without an extension (\"./x\", not \"./x.js\")." }] }],
      "@typescript-eslint/no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
      // `cond ? a() : b()` and `a && b()` as statements are a style this code uses.
      "@typescript-eslint/no-unused-expressions": ["error", { allowShortCircuit: true, allowTernary: true }],
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
  {
    // Process singletons on globalThis: only the web process' composition root keeps one (decision 10).
    files: ["app/**/*.{ts,tsx}", "jobs/**/*.ts", "server.ts"],
    ignores: ["app/web-services.server.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[object.name='globalThis'][property.name=/^__/]", message: "No globalThis singletons: build it in the composition root (app/web-services.server.ts) and pass it on." },
        { selector: "TSModuleDeclaration[kind='global'] VariableDeclaration", message: "No globalThis singletons: build it in the composition root (app/web-services.server.ts) and pass it on." },
      ],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}", "jobs/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          zones: [
            { target: "./app", from: ["./jobs", "./scripts", "./test"], message: "app/ is imported by the worker and the CLIs, not the other way round." },
            { target: "./jobs", from: ["./scripts", "./test"], message: "The worker does not depend on CLI or test code." },
            // The data path's rooms, each below the next: live index → ranking → storefront (HTTP).
            { target: "./app/ranking", from: ["./app/storefront", "./app/http", "./app/routes", "./app/web-services.server.ts"], message: "Ranking knows no HTTP: throw a domain error (app/ranking/ranking-errors.ts); the storefront maps it." },
            { target: "./app/live-index", from: ["./app/ranking", "./app/storefront", "./app/http", "./app/routes", "./app/web-services.server.ts"], message: "The live index is below ranking and the storefront: they read it, it never reads them." },
          ],
        },
      ],
    },
  },
);
