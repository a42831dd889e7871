import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import type { TensorMetadata } from './tensors.ts';

export const FLOAT_TYPES: readonly Tensor.Type[] = ['float32', 'float16', 'float64'];
export const INTEGER_TYPES: readonly Tensor.Type[] = ['int32', 'int64'];

export interface Expectation {
  types: readonly Tensor.Type[];
  ranks: readonly number[];
}

/** A component's session plus the file it came from, for messages that name the fault's source. */
export interface LoadedComponent {
  session: InferenceSession;
  file: string;
  displayName: string;
}

function metadataOf(
  list: readonly InferenceSession.ValueMetadata[],
  name: string,
): TensorMetadata | undefined {
  const found = list.find((m) => m.name === name);
  return found?.isTensor ? found : undefined;
}

/** The declared metadata of a required input, checked against what the pipeline can feed. */
export function expectInput(
  component: LoadedComponent,
  name: string,
  expectation: Expectation,
): TensorMetadata {
  const meta = metadataOf(component.session.inputMetadata, name);
  if (!meta) {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${component.displayName} has no input '${name}' (its inputs: ${component.session.inputNames.join(', ')})`,
      component.file,
    );
  }
  return checked(component, meta, 'input', expectation);
}

export function optionalInput(
  component: LoadedComponent,
  name: string,
  expectation: Expectation,
): TensorMetadata | undefined {
  const meta = metadataOf(component.session.inputMetadata, name);
  return meta && checked(component, meta, 'input', expectation);
}

/** The first of `names` that the component outputs (exporters differ in naming). */
export function expectOutput(
  component: LoadedComponent,
  names: readonly string[],
  expectation: Expectation,
): TensorMetadata {
  for (const name of names) {
    const meta = metadataOf(component.session.outputMetadata, name);
    if (meta) return checked(component, meta, 'output', expectation);
  }
  throw new EngineError(
    'MODEL_IO_MISMATCH',
    `${component.displayName} has no output ${names.map((n) => `'${n}'`).join(' or ')} (its outputs: ${component.session.outputNames.join(', ')})`,
    component.file,
  );
}

/** Inputs beyond `known` mean a model family this pipeline cannot drive (SDXL's text_embeds, …). */
export function rejectUnknownInputs(component: LoadedComponent, known: readonly string[]): void {
  const unknown = component.session.inputNames.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${component.displayName} has inputs this pipeline does not support: ${unknown.join(', ')} (SDXL and other families are not supported yet)`,
      component.file,
    );
  }
}

function checked(
  component: LoadedComponent,
  meta: TensorMetadata,
  kind: 'input' | 'output',
  expectation: Expectation,
): TensorMetadata {
  const fault = !expectation.types.includes(meta.type)
    ? `has type ${meta.type}; expected ${expectation.types.join(' or ')}`
    : !expectation.ranks.includes(meta.shape.length)
      ? `has rank ${meta.shape.length} [${meta.shape.join(', ')}]; expected rank ${expectation.ranks.join(' or ')}`
      : undefined;
  if (fault) {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${component.displayName}: ${kind} '${meta.name}' ${fault}`,
      component.file,
    );
  }
  return meta;
}

/** A dimension's size when the model fixes it, undefined when it is symbolic. */
export function staticDim(meta: TensorMetadata, axis: number): number | undefined {
  const dim = meta.shape[axis];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}
