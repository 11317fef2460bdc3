/**
 * One flag of a command as its table lists it: the name cac parses (with its value placeholder) and
 * the help text, which states the default the code runs with (test/project/defaults.test.ts checks).
 *
 * @example
 * ```ts
 * import type { FlagSpec } from "./flag-spec.ts";
 * const flag: FlagSpec = { name: "--json", description: "Print the comparison as JSON" };
 * console.log(flag.name); // --json
 * ```
 */
export interface FlagSpec {
  readonly name: string;
  readonly description: string;
}
