import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "..");

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        // Secrets come from .dev.vars in development; tests (and CI, which has none) get their own.
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          ADMIN_TOKEN: "test_admin_token",
          SIMULATOR_WEBHOOK_SECRET: "whsec_dGVzdC1zaW11bGF0b3Itc2VjcmV0LTMyLWJ5dGVzIQ==",
        },
      },
    }),
  ],
  test: {
    root,
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/apply-migrations.ts"],
    testTimeout: 30_000,
  },
}));
