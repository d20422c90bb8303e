import { FetchInterceptor } from "@mswjs/interceptors/fetch";
import { defineNetwork, InterceptorSource } from "msw/experimental";
import { afterAll, afterEach, beforeAll } from "vitest";

/**
 * Outbound HTTP mocked at the fetch boundary (MSW), for the carriers' APIs: a request no handler answers
 * fails the test. Call once at the top of a test file; add handlers per test with `network.use(...)`.
 */
export function mockNetwork() {
  const network = defineNetwork({
    sources: [new InterceptorSource({ interceptors: [new FetchInterceptor()] })],
    onUnhandledFrame: "error",
    // MSW otherwise prints every mocked request and response.
    context: { quiet: true },
  });
  beforeAll(() => network.enable());
  afterEach(() => network.resetHandlers());
  afterAll(() => network.disable());
  return network;
}
