import { TtlCache } from "./ttl-cache";

/**
 * Message bodies and inbound texts are stored in D1 encrypted (AES-256-GCM, WebCrypto), each tenant under
 * its own key, derived (HKDF-SHA256, salted with the tenant id) from the operator's master key. A stored
 * value reads `enc:v1:<key id>:<base64 of 12-byte IV and ciphertext>`; the tenant id is its associated
 * data, so a value copied into another tenant's row does not decrypt.
 *
 * `DATA_ENCRYPTION_KEY` is `<id>:<base64 of 32 bytes>`, or several separated by commas during a rotation:
 * the first encrypts, every one decrypts. Values stored before encryption (no prefix) are read as they are.
 */
const PREFIX = "enc:v1:";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class DataKeyError extends Error {}

interface MasterKey {
  id: string;
  key: CryptoKey;
}

/** Parsed master keys per isolate, by the secret's text (there is one, or two during a rotation). */
const masters = new Map<string, Promise<MasterKey[]>>();
/** Derived tenant keys, bounded: tenants are many. */
const derived = new TtlCache<Promise<CryptoKey>>(Number.POSITIVE_INFINITY, 5_000);

function parseMasters(secret: string | undefined): Promise<MasterKey[]> {
  if (!secret) throw new DataKeyError("DATA_ENCRYPTION_KEY is not set");
  let parsed = masters.get(secret);
  if (!parsed) {
    parsed = Promise.all(
      secret.split(",").map(async (entry) => {
        const [id, material] = entry.trim().split(":", 2);
        const bytes = material ? Uint8Array.from(atob(material), (c) => c.charCodeAt(0)) : new Uint8Array();
        if (!id || !/^[A-Za-z0-9_-]{1,16}$/.test(id) || bytes.length !== 32) {
          throw new DataKeyError("DATA_ENCRYPTION_KEY entries must be <id>:<base64 of 32 bytes>");
        }
        return { id, key: await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]) };
      }),
    );
    // A malformed secret is reported on every use, not cached as a rejected promise forever.
    parsed.catch(() => masters.delete(secret));
    masters.set(secret, parsed);
  }
  return parsed;
}

function tenantKey(master: MasterKey, tenantId: string): Promise<CryptoKey> {
  const name = `${master.id}:${tenantId}`;
  return (
    derived.get(name) ??
    derived.set(
      name,
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode(tenantId), info: encoder.encode("sms-gateway message data v1") },
        master.key,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      ),
    )
  );
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** The tenant's texts, encrypted under the current master key, in order. */
export async function encryptTexts(secret: string | undefined, tenantId: string, texts: readonly string[]): Promise<string[]> {
  const [current] = await parseMasters(secret);
  const key = await tenantKey(current!, tenantId);
  const aad = encoder.encode(tenantId);
  return Promise.all(
    texts.map(async (text) => {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, encoder.encode(text)));
      const joined = new Uint8Array(iv.length + sealed.length);
      joined.set(iv);
      joined.set(sealed, iv.length);
      return `${PREFIX}${current!.id}:${toBase64(joined)}`;
    }),
  );
}

export async function encryptText(secret: string | undefined, tenantId: string, text: string): Promise<string> {
  return (await encryptTexts(secret, tenantId, [text]))[0]!;
}

/** Whether a stored value is encrypted (else it was stored before encryption, and is read as it is). */
export const isEncrypted = (stored: string) => stored.startsWith(PREFIX);

/** A stored value as the tenant wrote it. Throws if it was encrypted under a key no longer configured. */
export async function decryptText(secret: string | undefined, tenantId: string, stored: string): Promise<string> {
  if (!isEncrypted(stored)) return stored;
  const rest = stored.slice(PREFIX.length);
  const colon = rest.indexOf(":");
  const id = rest.slice(0, colon);
  const master = (await parseMasters(secret)).find((m) => m.id === id);
  if (!master) throw new DataKeyError(`no DATA_ENCRYPTION_KEY with id ${id}: it must stay configured while data encrypted under it remains`);
  const joined = Uint8Array.from(atob(rest.slice(colon + 1)), (c) => c.charCodeAt(0));
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: joined.slice(0, 12), additionalData: encoder.encode(tenantId) },
    await tenantKey(master, tenantId),
    joined.slice(12),
  );
  return decoder.decode(plain);
}

/** Several stored values of one tenant (or context), in order. */
export function decryptTexts(secret: string | undefined, tenantId: string, stored: readonly string[]): Promise<string[]> {
  return Promise.all(stored.map((value) => decryptText(secret, tenantId, value)));
}
