/**
 * VAE encoders that draw their own latent. diffusers' conversion script, Olive's SD recipe and
 * Optimum <= 1.22 export the encoder as `latent_dist.sample()`:
 *   moments → (mean, logvar) → std = exp(0.5 · clamp(logvar, -30, 20)) → mean + std · RandomNormalLike(mean)
 * so every call returns a fresh draw from ONNX Runtime's unseeded generator and a seed means
 * nothing. The rewrite turns that last Add into Concat(mean, logvar): the graph then outputs
 * `latent_parameters` as Optimum >= 1.23 writes it, and the pipeline samples with the run's seed
 * (or takes the mean when the caller fixed the noise), as diffusers' retrieve_latents does.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { EngineError } from '../errors.ts';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
type GraphProto = onnxProto.onnx.GraphProto;
type INodeProto = onnxProto.onnx.INodeProto;

/** ONNX's random ops: any of them makes an encoder's output differ from call to call. */
const RANDOM_OPS = new Set([
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
]);
/** What the sample may pass through on its way out: a keep_io_types Cast, an exporter's Identity. */
const PASS_THROUGH_OPS = new Set(['Cast', 'Identity']);

/** An encoder graph made deterministic; the file it came from is left as it was. */
export interface DeterministicEncoder {
  /** The rewritten ModelProto, serialized: what a session is created from, or an import writes. */
  bytes: Uint8Array;
  /** What was done, in words, for the CLIs and the model's report. */
  change: string;
}

/** The encoder files a model folder may hold (model-folder.ts), relative to the folder. */
export const ENCODER_FILES = ['vae_encoder/model.onnx', 'taesd_encoder/model.onnx'] as const;

/**
 * The deterministic form of the encoder in `file`, or undefined when it draws no random numbers.
 * A random op outside the `mean + std · ε` pattern, or one in a graph whose weights live in
 * external data (which a graph rewritten in memory cannot find), is refused: a run that cannot
 * be repeated would be silently wrong.
 */
export async function deterministicEncoder(
  file: string,
  displayName: string,
): Promise<DeterministicEncoder | undefined> {
  const bytes = await readFile(file);
  // Op types are stored as plain text: a byte search spares decoding ~130 MB of graph at every
  // load of an encoder that was exported (or imported) deterministic.
  if (![...RANDOM_OPS].some((op) => bytes.includes(op))) return undefined;
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new EngineError(
      'MODEL_FILE_CORRUPT',
      `${displayName} cannot be loaded (truncated, corrupt or not an ONNX model): ${(error as Error).message}`,
      file,
    );
  }
  const change = rewriteSampledEncoder(model, displayName, file);
  return change === undefined
    ? undefined
    : { bytes: onnx.ModelProto.encode(model).finish(), change };
}

/**
 * Rewrites `model` in place so it outputs latent_parameters instead of a random latent_sample;
 * returns what was done, or undefined when the graph has no random op.
 */
function rewriteSampledEncoder(
  model: ModelProto,
  displayName: string,
  file: string,
): string | undefined {
  const graph = model.graph as GraphProto | null;
  const random = graph?.node.filter((n) => RANDOM_OPS.has(n.opType ?? '')) ?? [];
  if (!graph || random.length === 0) return undefined;
  const ops = [...new Set(random.map((n) => n.opType!))].join(', ');
  const refuse = (why: string): never => {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${displayName} draws random numbers (${ops}) at every call, so the same seed would give different images, and ${why}; re-export it with latent_parameters (Optimum >= 1.23) or its mean`,
      file,
    );
  };
  if (graph.initializer.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)) {
    refuse('its weights are in external data, which the engine cannot rewrite');
  }

  // 1. sample = mean + std · ε, with ε the only random draw.
  const consumers = (name: string): INodeProto[] =>
    graph.node.filter((n) => n.input?.includes(name));
  const epsilon = random.length === 1 ? random[0]!.output?.[0] : undefined;
  const [scaled] = epsilon !== undefined ? consumers(epsilon) : [];
  const [sum] = scaled?.opType === 'Mul' ? consumers(scaled.output![0]!) : [];
  const std = scaled?.input?.find((i) => i !== epsilon);
  const mean = sum?.input?.find((i) => i !== scaled?.output?.[0]);
  // 2. std = exp(x) with x = 0.5 · clamp(logvar): x + x is the clamped logvar, exactly.
  const exp = graph.node.find((n) => n.opType === 'Exp' && n.output?.[0] === std);
  const halfLogvar = exp?.input?.[0];
  if (
    !scaled ||
    consumers(epsilon!).length !== 1 ||
    !sum ||
    sum.opType !== 'Add' ||
    consumers(scaled.output![0]!).length !== 1 ||
    !mean ||
    !halfLogvar
  ) {
    return refuse('they do not form the mean + exp(logvar / 2) · noise sample the engine replaces');
  }

  // 3. The sample may reach the output only through ops that do not care about its channels.
  const sample = sum.output![0]!;
  const path = [sample];
  for (let name = sample; name !== 'latent_sample';) {
    const next = consumers(name);
    if (next.length !== 1 || !PASS_THROUGH_OPS.has(next[0]!.opType ?? '')) {
      return refuse('the sample is transformed before the latent_sample output');
    }
    name = next[0]!.output![0]!;
    path.push(name);
  }
  const output = graph.output.find((o) => o.name === 'latent_sample');
  if (!output) return refuse('the graph has no latent_sample output');

  // 4. Concat(mean, logvar) in the Add's place; the output renamed, its channels doubled.
  const logvar = `${sample}_logvar`;
  graph.node.splice(
    graph.node.indexOf(sum),
    1,
    onnx.NodeProto.create({
      name: `${sum.name ?? sample}_logvar`,
      opType: 'Add',
      input: [halfLogvar, halfLogvar],
      output: [logvar],
    }),
    onnx.NodeProto.create({
      name: `${sum.name ?? sample}_parameters`,
      opType: 'Concat',
      input: [mean, logvar],
      output: [sample],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    }),
  );
  const rename = (name: string): string => (name === 'latent_sample' ? 'latent_parameters' : name);
  for (const node of graph.node) {
    node.input = (node.input ?? []).map(rename);
    node.output = (node.output ?? []).map(rename);
  }
  output.name = 'latent_parameters';
  const channels = output.type?.tensorType?.shape?.dim?.[1];
  if (channels?.dimValue !== undefined && channels.dimValue !== null) {
    channels.dimValue = 2 * Number(channels.dimValue);
  }
  // Shapes recorded along the way say 4 channels; ONNX Runtime infers them again.
  const changed = new Set(path);
  graph.valueInfo = graph.valueInfo.filter((v) => !changed.has(v.name ?? ''));
  pruneDeadNodes(graph);
  return `its random sample (${ops}) replaced by the distribution's mean and log-variance (latent_parameters); each run draws the sample from its own seed`;
}

/** Drops the nodes and initializers no output depends on any more (the noise and its product). */
function pruneDeadNodes(graph: GraphProto): void {
  const needed = new Set(graph.output.map((o) => o.name!));
  const kept: typeof graph.node = [];
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const node = graph.node[i]!;
    if (!node.output?.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input ?? []) needed.add(input);
  }
  graph.node = kept.reverse();
  const dropped = new Set(graph.initializer.filter((t) => !needed.has(t.name!)).map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => !dropped.has(t.name));
  // IR < 4 lists initializers as graph inputs too; a dropped one must leave that list.
  graph.input = graph.input.filter((i) => !dropped.has(i.name));
}
