import type { SessionEvent } from "../protocols/adapter.ts";
import type { Session } from "../session/session.ts";

/** A logged event's time and position. */
export interface EventMark {
  readonly atMs: number;
  readonly cursor: number;
}

/** How following a bot's audio ended. */
export type AudioFollowed =
  /** An event `until` accepted arrived (the reply's end event, a stop...). */
  | {
    readonly end: "event";
    readonly event: SessionEvent;
    readonly mark: EventMark;
    readonly lastAudio: EventMark | undefined;
  }
  /** No audio came for the idle gap: the audio ended with `lastAudio` (undefined when none came at all). */
  | { readonly end: "idle"; readonly lastAudio: EventMark | undefined; readonly cursor: number }
  /** The deadline passed with audio still coming (or, without an idle gap, before `until` matched). */
  | { readonly end: "deadline"; readonly lastAudio: EventMark | undefined };

/** What to follow, and when to stop. */
export interface FollowOptions {
  /** The first event to look at. */
  readonly fromCursor: number;
  /** The last audio already seen, if any: the idle gap counts from it. */
  readonly lastAudio?: EventMark;
  /** With no audio seen at all, the idle gap counts from here. */
  readonly quietSinceMs: number;
  /** Without a matching event, the audio has ended after this long without any (undefined: only an event ends it). */
  readonly idleMs: number | undefined;
  readonly deadlineMs: number;
  /** Ends the follow at this event (checked before audio). */
  readonly until: (event: SessionEvent) => boolean;
}

/**
 * Follows a bot's audio events from a cursor until an event `until` accepts, an idle gap with no
 * audio (the end of audio from a bot that sends no end event), or the deadline. The one loop behind
 * a reply's end, an interruption's stop and a false alarm's continuation. The idle gap is never part
 * of a measurement: the audio ends at its last chunk's arrival.
 *
 * @example
 * ```ts
 * import { followAudio } from "./follow-audio.ts";
 * // const followed = await followAudio(session, { fromCursor, quietSinceMs: now, idleMs: 1000, deadlineMs, until: (e) => e.kind === "done" });
 * ```
 */
export async function followAudio(session: Session, options: FollowOptions): Promise<AudioFollowed> {
  let lastAudio = options.lastAudio;
  // Where a caller goes on from: just after the last audio followed.
  let cursor = options.fromCursor;
  // Where the next wait starts: just after the last event looked at.
  let nextCursor = options.fromCursor;
  let ended: { readonly event: SessionEvent; readonly mark: EventMark } | undefined;
  const idleDeadlineMs = (): number =>
    options.idleMs === undefined ? Infinity : (lastAudio?.atMs ?? options.quietSinceMs) + options.idleMs;
  // One wait per idle gap, not one per chunk: audio moves the idle deadline on, and the wait that
  // ends at the old deadline starts again from there; a reply of hundreds of chunks costs a few waits.
  for (;;) {
    const waitDeadlineMs = Math.min(idleDeadlineMs(), options.deadlineMs);
    const found = await session.waitFor(
      (event, eventCursor) => {
        nextCursor = eventCursor + 1;
        if (options.until(event)) {
          ended = { event, mark: { atMs: event.atMs, cursor: eventCursor } };
          return true;
        }
        if (event.kind === "audio") {
          lastAudio = { atMs: event.atMs, cursor: eventCursor };
          cursor = eventCursor + 1;
        }
        return false;
      },
      nextCursor,
      waitDeadlineMs,
    );
    if (found && ended) return { end: "event", event: ended.event, mark: ended.mark, lastAudio };
    if (idleDeadlineMs() > waitDeadlineMs && waitDeadlineMs < options.deadlineMs) continue;
    if (idleDeadlineMs() <= options.deadlineMs) return { end: "idle", lastAudio, cursor };
    return { end: "deadline", lastAudio };
  }
}
