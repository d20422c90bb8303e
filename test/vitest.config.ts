import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

const root = path.resolve(import.meta.dirname, "..");

/**
 * The queue consumers of wrangler.toml, waiting at most 50 ms to fill a batch instead of a second: every
 * hop of a message (send, receipts, webhooks) would otherwise cost a test a second of idle waiting.
 */
function fastQueueConsumers() {
  const { queues } = unstable_readConfig({ config: path.join(root, "wrangler.toml") });
  return Object.fromEntries(
    (queues.consumers ?? []).map((consumer: { queue: string; max_batch_size?: number; max_retries?: number; dead_letter_queue?: string }) => [
      consumer.queue,
      { maxBatchSize: consumer.max_batch_size, maxBatchTimeout: 0.05, maxRetries: consumer.max_retries, deadLetterQueue: consumer.dead_letter_queue },
    ]),
  );
}

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        queueConsumers: fastQueueConsumers(),
        // Secrets come from .dev.vars in development; tests (and CI, which has none) get their own.
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          ADMIN_TOKEN: "test_admin_token",
          SIMULATOR_WEBHOOK_SECRET: "whsec_dGVzdC1zaW11bGF0b3Itc2VjcmV0LTMyLWJ5dGVzIQ==",
          TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000test",
          TWILIO_AUTH_TOKEN: "test_twilio_auth_token",
          TWILIO_MESSAGING_SERVICE_SID: "MG00000000000000000000000000000test",
          VONAGE_API_KEY: "test_vonage_key",
          VONAGE_API_SECRET: "test_vonage_secret",
          VONAGE_SIGNATURE_SECRET: "test_vonage_signature_secret",
          ALIBABA_RECEIPT_TOKEN: "test_alibaba_receipt_token_0123456789",
          // Not "development" (which lets webhooks go to localhost) and not "production" (whose live sends need a real
          // carrier and a public callback base: test/routes/deployment.test.ts sets those itself).
          ENVIRONMENT: "test",
          // Request lines would bury test output; test/routes/request-log.test.ts turns them on.
          LOG_LEVEL: "warn",
          SMPP_BRIDGE_SECRET: "whsec_dGVzdC1zbXBwLWJyaWRnZS1zZWNyZXQtMzItYnl0ZXMh",
          // Two keys, as during a rotation: the first encrypts, both decrypt.
          DATA_ENCRYPTION_KEY: "t2:dGVzdC1kYXRhLWtleS1zZWNvbmQtMzItYnl0ZXMhISE=,t1:dGVzdC1kYXRhLWtleS1maXJzdC0zMi1ieXRlcyEhISE=",
        },
      },
    }),
  ],
  test: {
    root,
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/apply-migrations.ts"],
    testTimeout: 30_000,
    // Test files spend most of their time waiting on workerd (queues, timers, D1), not on the CPU: four at once on a
    // 2-core machine take the suite from about 195 s (three) to about 155 s (vitest's default is one fewer than the cores).
    maxWorkers: 4,
  },
}));
