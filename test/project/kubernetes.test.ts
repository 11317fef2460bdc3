/**
 * deploy/kubernetes/: valid YAML, and what an Indexed Job of shards and its merge Job need to work
 * together: the completion index becomes --shard, the counts agree, the names the Jobs mount exist,
 * the merge reads the folders the shards write, and the ConfigMap's options are voxbench's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadConfigFile } from "../../src/config/config-file.ts";
import { parseRunFlags, RUN_FLAG_KEYS } from "../../src/commands/run-flags.ts";
import { resolveRunConfig } from "../../src/load/options.ts";
import { REPO_ROOT } from "../helpers/cli.ts";

type Manifest = Record<string, unknown> & {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
};

async function manifest(file: string): Promise<Manifest> {
  const documents = parseAllDocuments(await readFile(join(REPO_ROOT, "deploy/kubernetes", file), "utf8"));
  assert.equal(documents.length, 1, `${file}: one document`);
  assert.deepEqual(documents[0]!.errors, [], `${file}: valid YAML`);
  return documents[0]!.toJS() as Manifest;
}

interface PodSpec {
  restartPolicy: string;
  containers: {
    image: string;
    args: string[];
    env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
    volumeMounts: { name: string; mountPath: string }[];
  }[];
  volumes: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
}

function podOf(job: Manifest): PodSpec {
  return (job.spec.template as { spec: PodSpec }).spec;
}

describe("deploy/kubernetes", () => {
  test("an Indexed Job of shards and a merge Job that fit together", async () => {
    const shards = await manifest("shards-job.yaml");
    const merge = await manifest("merge-job.yaml");
    const pvc = await manifest("results-pvc.yaml");
    const config = await manifest("configmap.yaml");
    assert.equal(shards.apiVersion, "batch/v1");
    assert.equal(shards.kind, "Job");
    assert.equal(shards.spec.completionMode, "Indexed");
    const count = shards.spec.completions as number;
    assert.equal(shards.spec.parallelism, count, "every shard runs at the same time");
    const pod = podOf(shards);
    assert.equal(pod.restartPolicy, "Never", "a retried shard would run its callers twice");
    const args = pod.containers[0]!.args;
    assert.equal(args[0], "run");
    assert.equal(args[args.indexOf("--shard") + 1], `$(JOB_COMPLETION_INDEX)/${count}`);
    const env = pod.containers[0]!.env!.find((variable) => variable.name === "JOB_COMPLETION_INDEX");
    assert.equal(
      env?.valueFrom?.fieldRef?.fieldPath,
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    const runId = args[args.indexOf("--run-id") + 1]!;
    const exportDir = args[args.indexOf("--export-dir") + 1]!;
    // Each shard's arguments, once Kubernetes has put the index in, are valid voxbench flags.
    for (let index = 0; index < count; index++) {
      const flags = parseRunFlags({
        shard: `${index}/${count}`,
        runId,
        exportDir,
        config: args[args.indexOf("--config") + 1]!,
      });
      assert.deepEqual(flags.options.shard, { index, count });
    }
    // The volumes the Jobs mount are the ones the other manifests create.
    for (const job of [shards, merge]) {
      const volumes = podOf(job).volumes;
      assert.ok(
        volumes.some((volume) => volume.persistentVolumeClaim?.claimName === pvc.metadata.name),
        `${job.metadata.name} mounts the results volume`,
      );
      for (const mount of podOf(job).containers[0]!.volumeMounts) {
        assert.ok(
          volumes.some((volume) => volume.name === mount.name),
          `${job.metadata.name}: volume ${mount.name}`,
        );
      }
    }
    assert.ok(pod.volumes.some((volume) => volume.configMap?.name === config.metadata.name));
    assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
    // The merge reads every shard's folder and nothing else.
    const mergeArgs = podOf(merge).containers[0]!.args;
    assert.equal(mergeArgs[0], "merge");
    const expected = Array.from(
      { length: count },
      (_, index) => `${exportDir}/${runId}-shard-${index}-of-${count}`,
    );
    assert.deepEqual(mergeArgs.slice(1, 1 + count), expected);
    assert.equal(pod.containers[0]!.image, podOf(merge).containers[0]!.image);
  });

  test("the ConfigMap's voxbench.config.json is a valid run configuration", async () => {
    const config = await manifest("configmap.yaml");
    const dir = await mkdtemp(join(tmpdir(), "voxbench-k8s-"));
    try {
      const path = join(dir, "voxbench.config.json");
      await writeFile(path, (config.data as Record<string, string>)["voxbench.config.json"]!);
      const flags = parseRunFlags({
        ...(await loadConfigFile(path, RUN_FLAG_KEYS)),
        shard: "0/3",
        runId: "load-test-1",
      });
      const resolved = resolveRunConfig(flags.options, "bundled fixtures");
      assert.equal(resolved.protocol, "twilio");
      assert.equal(resolved.seed, 42);
      assert.deepEqual(resolved.shard, { index: 0, count: 3, testRunId: "load-test-1" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
