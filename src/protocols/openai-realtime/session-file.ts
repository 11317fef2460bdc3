import { UsageError } from "../../common/errors.ts";
import { showControlCharacters } from "../../common/printable.ts";
import { FileReadError, readRegularFile } from "../../common/read-file.ts";
import { parseJsonObject } from "../json.ts";

/** A session file is a few KB of JSON; anything near this is a wrong file. */
const MAX_SESSION_FILE_BYTES = 1024 * 1024;

/**
 * The `session` of a --realtime-session file: the file holds a JSON object, either the session
 * itself or a whole `{"type":"session.update","session":{...}}` event.
 *
 * @throws {UsageError} one line naming the file: unreadable, not JSON, not an object.
 * @example
 * ```ts
 * import { readRealtimeSession } from "./session-file.ts";
 * // const session = await readRealtimeSession("session.json"); // { type: "realtime", audio: {...} }
 * ```
 */
export async function readRealtimeSession(path: string): Promise<Record<string, unknown>> {
  const shown = showControlCharacters(path);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { maxBytes: MAX_SESSION_FILE_BYTES });
  } catch (error) {
    if (error instanceof FileReadError) throw new UsageError(`--realtime-session ${shown}: ${error.reason}`);
    throw error;
  }
  const parsed = parseJsonObject(new TextDecoder().decode(bytes));
  if (!parsed.ok) {
    throw new UsageError(
      `--realtime-session ${shown}: ${
        parsed.reason === "malformed JSON"
          ? "not valid JSON"
          : "must hold a JSON object (the session, or a session.update event)"
      }`,
    );
  }
  const value = parsed.value;
  if (value.type !== "session.update") return value;
  const session = value.session;
  if (typeof session !== "object" || session === null || Array.isArray(session)) {
    throw new UsageError(`--realtime-session ${shown}: the session.update event has no session object`);
  }
  return session as Record<string, unknown>;
}
