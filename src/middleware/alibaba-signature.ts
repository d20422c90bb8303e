import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import {
  ACCESS_KEY_ID,
  acs3CanonicalRequest,
  DYSMSAPI_VERSION,
  NONCE,
  parseAcs3Authorization,
  parseAcsTimestamp,
  REPLAY_WINDOW_MS,
  REQUIRED_SIGNED_HEADERS,
  rpcStringToSign,
} from "../domain/compat/alibaba";
import { hmac, secretsEqual, sha256Hex, toBase64, toHex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { meterFor } from "../meter/client";
import { findCompatCredential, type ActiveCredential } from "../services/compat-credentials";
import type { AppEnv } from "../types";
import { actAs } from "./auth";

/** An Alibaba gateway refusal: our code for its HTTP status, Alibaba's own in `alibaba` (src/routes/dysmsapi renders it). */
const refuse = (code: "unauthorized" | "validation_failed", alibaba: string, detail: string) => new ApiError(code, detail, { extra: { alibaba } });

type Pairs = [string, string][];


function formPairs(c: Context<AppEnv>, body: string): Pairs {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  return body !== "" && type === "application/x-www-form-urlencoded" ? [...new URLSearchParams(body)] : [];
}

/** ACS3-HMAC-SHA256, what the current SDKs send by default. */
async function verifyAcs3(c: Context<AppEnv>, authorization: string, body: string, query: Pairs) {
  const auth = parseAcs3Authorization(authorization);
  if (!auth) throw refuse("unauthorized", "IncompleteSignature", "The Authorization header is not an ACS3 signature.");
  if (auth.algorithm !== "ACS3-HMAC-SHA256") {
    throw refuse("unauthorized", "InvalidSignatureMethod", `${auth.algorithm} is not accepted; sign with ACS3-HMAC-SHA256 (the SDK's default) or HMAC-SHA1.`);
  }
  const missing = REQUIRED_SIGNED_HEADERS.filter((h) => !auth.signedHeaders.includes(h) || c.req.header(h) === undefined);
  if (missing.length > 0) throw refuse("unauthorized", "IncompleteSignature", `The signature must cover ${missing.join(", ")}.`);
  if (c.req.header("x-acs-content-sha256")!.toLowerCase() !== (await sha256Hex(body))) {
    throw refuse("unauthorized", "SignatureDoesNotMatch", "x-acs-content-sha256 is not the hash of the body.");
  }
  const credential = await credentialOf(c, auth.accessKeyId);
  const canonical = acs3CanonicalRequest({
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    query,
    headers: (name) => c.req.header(name),
    signedHeaders: auth.signedHeaders,
    payloadHash: c.req.header("x-acs-content-sha256")!.toLowerCase(),
  });
  const expected = toHex(await hmac("SHA-256", credential.secret, `ACS3-HMAC-SHA256\n${await sha256Hex(canonical)}`));
  if (!(await secretsEqual(expected, auth.signature))) throw refuse("unauthorized", "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
  return {
    credential,
    at: parseAcsTimestamp(c.req.header("x-acs-date")),
    nonce: c.req.header("x-acs-signature-nonce")!,
    action: c.req.header("x-acs-action")!,
    version: c.req.header("x-acs-version")!,
  };
}

/** The RPC signature (HMAC-SHA1, SignatureVersion 1.0): older SDKs, and the current ones with `signatureAlgorithm: "v2"`. */
async function verifyRpc(c: Context<AppEnv>, params: Pairs) {
  const get = (name: string) => params.find(([key]) => key === name)?.[1];
  const signature = get("Signature");
  if (get("SignatureMethod") !== "HMAC-SHA1" || get("SignatureVersion") !== "1.0") {
    throw refuse("unauthorized", "InvalidSignatureMethod", "Sign with SignatureMethod=HMAC-SHA1 and SignatureVersion=1.0, or with ACS3-HMAC-SHA256.");
  }
  const credential = await credentialOf(c, get("AccessKeyId") ?? "");
  const unsigned = params.filter(([key]) => key !== "Signature");
  const expected = toBase64(await hmac("SHA-1", `${credential.secret}&`, rpcStringToSign(c.req.method, unsigned)));
  if (!(await secretsEqual(expected, signature ?? ""))) throw refuse("unauthorized", "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
  return { credential, at: parseAcsTimestamp(get("Timestamp")), nonce: get("SignatureNonce") ?? "", action: get("Action") ?? "", version: get("Version") ?? "" };
}

async function credentialOf(c: Context<AppEnv>, id: string): Promise<ActiveCredential> {
  const credential = ACCESS_KEY_ID.test(id) ? await findCompatCredential(c.var.control, c.env.DATA_ENCRYPTION_KEY, "alibaba", id) : undefined;
  if (!credential) throw new ApiError("unauthorized", "Specified access key is not found.", { extra: { alibaba: "InvalidAccessKeyId.NotFound" } });
  return credential;
}

/**
 * Alibaba's request signing, either version its SDKs send, then its replay rules: the timestamp within 15
 * minutes of now here, and the nonce never seen before within them, taken by the action (`takeNonce`). The
 * request then works as the AccessKey's API key; the action, its parameters and the nonce are in `c.var.rpc`.
 */
export const alibabaSignature = createMiddleware<AppEnv>(async (c, next) => {
  const body = await c.req.text();
  const query: Pairs = [...new URL(c.req.url).searchParams];
  const form = formPairs(c, body);
  const authorization = c.req.header("authorization");
  const signed = authorization?.startsWith("ACS3-")
    ? await verifyAcs3(c, authorization, body, query)
    : query.some(([key]) => key === "Signature")
      ? await verifyRpc(c, [...query, ...form])
      : null;
  if (!signed) throw refuse("unauthorized", "IncompleteSignature", "The request is not signed: send an ACS3 Authorization header or an RPC Signature.");
  if (signed.at === null || Math.abs(Date.now() - signed.at) > REPLAY_WINDOW_MS) {
    throw refuse("validation_failed", "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
  }
  if (!NONCE.test(signed.nonce)) throw refuse("validation_failed", "MissingSignatureNonce", "SignatureNonce must be 8–64 printable characters.");
  if (signed.version !== DYSMSAPI_VERSION) throw refuse("validation_failed", "InvalidVersion", `Specified parameter Version is not valid; this API is ${DYSMSAPI_VERSION}.`);
  const { credential } = signed;
  c.set("credential", credential);
  actAs(c, credential.key);
  const queryAction = query.find(([key]) => key === "Action")?.[1];
  c.set("rpc", { action: queryAction ?? signed.action, params: Object.fromEntries([...query, ...form]), nonce: { key: `${credential.id}:${signed.nonce}`, signedAt: signed.at } });
  await next();
});

/**
 * Takes the request's nonce in the tenant's meter: a replay within the window is 400 `SignatureNonceUsed`. Every
 * action takes it before it changes anything; a single send has its meter take it in the call that admits it
 * (`SendInput.compat.nonce`), so a send still costs one Durable Object round trip.
 */
export async function takeNonce(c: Context<AppEnv>): Promise<void> {
  if (!(await meterFor(c.env, c.var.auth.tenantId).claimNonce(c.var.rpc.nonce, REPLAY_WINDOW_MS))) {
    throw new ApiError("nonce_reused", "Specified signature nonce was used already.");
  }
}
