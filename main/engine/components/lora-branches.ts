import { Tensor } from 'onnxruntime-node';
import { loraFeeds } from '../../lora/lora-feeds.ts';
import {
  LORA_INPUT_PREFIX,
  loraInputNames,
  loraRankDim,
  type LoraComponent,
  type LoraTarget,
  type LoraTensor,
} from '../../lora/types.ts';
import { EngineError } from '../errors.ts';
import { staticDim, type LoadedComponent } from '../onnx/io-spec.ts';
import type { TensorMetadata } from '../onnx/tensors.ts';

const DOWN_SUFFIX = '.down';

/**
 * A component's LoRA branches as its session declares them (main/lora/types.ts), and what they
 * are fed now: empty branches, the base model, until a LoRA set is chosen. A graph from an
 * ONNX export has none, and takes no LoRA.
 */
export class LoraBranches {
  private current: Record<string, Tensor>;

  private constructor(
    readonly component: LoraComponent,
    readonly targets: readonly LoraTarget[],
    private readonly base: Record<string, Tensor>,
  ) {
    this.current = base;
  }

  static of(loaded: LoadedComponent, component: LoraComponent): LoraBranches {
    const targets: LoraTarget[] = [];
    for (const meta of loaded.session.inputMetadata) {
      const { name } = meta;
      if (!name.startsWith(LORA_INPUT_PREFIX) || !name.endsWith(DOWN_SUFFIX)) continue;
      const module = name.slice(LORA_INPUT_PREFIX.length, -DOWN_SUFFIX.length);
      const up = loaded.session.inputMetadata.find((m) => m.name === loraInputNames(module).up);
      targets.push(targetOf(loaded, component, module, meta, up));
    }
    const base: Record<string, Tensor> = {};
    for (const [name, tensor] of loraFeeds(targets, [])) {
      base[name] = new Tensor('float32', tensor.data, tensor.dims);
    }
    return new LoraBranches(component, targets, base);
  }

  /** Every branch input's name: the component's known inputs beyond its own. */
  get inputNames(): string[] {
    return Object.keys(this.base);
  }

  /** The feeds of every branch, to merge into each session.run. */
  get feeds(): Readonly<Record<string, Tensor>> {
    return this.current;
  }

  /** Feeds `tensors` (lora-feeds.ts: one per branch input) from the next call on; none: the base. */
  use(tensors: ReadonlyMap<string, LoraTensor> | undefined): void {
    if (!tensors) {
      this.current = this.base;
      return;
    }
    const next: Record<string, Tensor> = {};
    for (const name of this.inputNames) {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`LoRA feeds lack '${name}'`);
      next[name] = new Tensor('float32', tensor.data, tensor.dims);
    }
    this.current = next;
  }
}

function targetOf(
  loaded: LoadedComponent,
  component: LoraComponent,
  module: string,
  down: (typeof loaded.session.inputMetadata)[number],
  up: (typeof loaded.session.inputMetadata)[number] | undefined,
): LoraTarget {
  const fail = (why: string): never => {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${loaded.displayName}: LoRA inputs of '${module}' ${why}`,
      loaded.file,
    );
  };
  if (!down.isTensor || !up?.isTensor) return fail('lack their up input');
  const d = down as TensorMetadata;
  const u = up as TensorMetadata;
  if (d.type !== 'float32' || u.type !== 'float32') return fail('are not float32');
  const conv = d.shape.length === 4;
  const inFeatures = staticDim(d, 1);
  const outFeatures = staticDim(u, 0);
  const kernel = conv ? staticDim(d, 2) : 1;
  if (
    (d.shape.length !== 2 && !conv) ||
    u.shape.length !== d.shape.length ||
    inFeatures === undefined ||
    outFeatures === undefined ||
    kernel === undefined
  ) {
    return fail(`have shapes [${d.shape.join(', ')}] and [${u.shape.join(', ')}]`);
  }
  return {
    component,
    module,
    kind: conv ? 'conv' : 'linear',
    inFeatures,
    outFeatures,
    kernel,
    skipsRankZero: d.shape[0] === loraRankDim(module),
  };
}
