// Type-aware lint: the rules that catch real bugs in async streaming code
// (floating promises, misused promises) matter more here than style.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";

/**
 * Room doors: a folder under src/ (a "room") is entered only through its index.ts. A relative
 * import that climbs out of the importing file's room and then names anything but a room's
 * index.js is refused. One pattern per depth, because "out of the room" is a number of `../`.
 */
const door = (ups) => ({
  regex: `^${"\\.\\./".repeat(ups)}[a-z-]+/(?!index\\.js$).+`,
  message: "enter another room through its index.ts (src/<room>/index.ts is its only door)",
});
const doorRule = (pattern) => ["error", { patterns: [pattern] }];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "bench/results/", "bench/portkey/", "test-artifacts/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js", "bin/*.mjs"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  // No import circles anywhere in the shipped code (src, the mock, the CLI, the bench).
  {
    files: ["src/**/*.{ts,tsx}", "mock-upstream/**/*.ts", "client/**/*.ts", "bench/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      // The plugin must parse TypeScript to follow imports; without its parsers a cycle goes unseen.
      ...importX.flatConfigs.typescript.settings,
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  // Doors, by how deep the importing file sits.
  { files: ["src/*.{ts,tsx}"], rules: { "no-restricted-imports": doorRule({ regex: "^\\./[a-z-]+/(?!index\\.js$).+", message: door(0).message }) } },
  { files: ["src/*/*.{ts,tsx}"], rules: { "no-restricted-imports": doorRule(door(1)) } },
  { files: ["src/*/*/*.{ts,tsx}"], rules: { "no-restricted-imports": doorRule(door(2)) } },
  { files: ["src/*/*/*/*.{ts,tsx}"], rules: { "no-restricted-imports": doorRule(door(3)) } },
  // The pages' browser code may reach a server file for its types alone (erased by esbuild): the
  // doors also export Node-only code the browser config must not see. Values still use doors.
  ...[2, 3].map((ups) => ({
    files: [`src/web/client/${"*/".repeat(ups - 2)}*.ts`],
    rules: {
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [{ ...door(ups), allowTypeImports: true }] }],
    },
  })),
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  { files: ["eslint.config.js", "bin/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
