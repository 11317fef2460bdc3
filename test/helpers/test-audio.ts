/**
 * Short synthetic clips so end-to-end runs finish in seconds: tones are "speech" to the energy VAD.
 * Use with a server whose noise threshold is below the query length (e.g. noiseThresholdMs: 150).
 */
import { AudioAsset, type AudioRole } from "../../src/audio/asset.ts";
import { type AudioLibrary, createLibrary } from "../../src/audio/library.ts";
import { createClip } from "../../src/audio/pcm.ts";

export function tone(
  durationMs: number,
  frequencyHz = 300,
  amplitude = 8000,
  leadingSilenceMs = 0,
): Int16Array {
  const lead = (16000 * leadingSilenceMs) / 1000;
  const samples = new Int16Array(lead + (16000 * durationMs) / 1000);
  for (let i = lead; i < samples.length; i++) {
    samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / 16000));
  }
  return samples;
}

function asset(name: string, role: AudioRole, samples: Int16Array): AudioAsset {
  return new AudioAsset({ name, role, clip: createClip(samples, 16000) });
}

/** query/tool/interrupt 400 ms, noise 40 ms (below the VAD's minimum speech), bot reply `replyMs`. */
export function quickLibrary(replyMs = 1000, replyLeadingSilenceMs = 0): AudioLibrary {
  return createLibrary("test tones", [
    asset("query_tone.wav", "query", tone(400)),
    asset("tool_tone.wav", "tool", tone(400, 500)),
    asset("interrupt_tone.wav", "interrupt", tone(400, 700)),
    asset("noise_click.wav", "noise", tone(40, 900)),
    asset(`bot_tone_${replyMs}ms.wav`, "bot", tone(replyMs, 220, 8000, replyLeadingSilenceMs)),
  ]);
}
