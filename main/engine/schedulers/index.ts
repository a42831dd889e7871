import { parseSchedulerConfig, schedulerForConfig } from './config.ts';
import { DdimScheduler } from './ddim.ts';
import { DpmSolverScheduler } from './dpm-solver.ts';
import { EulerAncestralScheduler } from './euler-ancestral.ts';
import { EulerScheduler } from './euler.ts';
import { LcmScheduler } from './lcm.ts';
import { PndmScheduler } from './pndm.ts';
import type { Scheduler, SchedulerName } from './scheduler.ts';

export { guidanceScaleEmbedding } from './lcm.ts';
export { schedulerForClassName, schedulerForConfig } from './config.ts';
export type { SchedulerChoice, SchedulerConfig } from './config.ts';
export { SCHEDULER_NAMES } from './scheduler.ts';
export type { Scheduler, SchedulerName, StepResult } from './scheduler.ts';

/**
 * A fresh scheduler for one job, configured by the model's parsed `scheduler_config.json`.
 * `name` undefined picks the default for the config's `_class_name` (see schedulerForClassName;
 * call schedulerForConfig first to log its note). Throws EngineError('CONFIG_INVALID') for a
 * config the scheduler cannot honour.
 */
export function createScheduler(name: SchedulerName | undefined, configJson: unknown): Scheduler {
  const chosen = name ?? schedulerForConfig(configJson).name;
  const config = parseSchedulerConfig(configJson, chosen);
  switch (chosen) {
    case 'euler':
      return new EulerScheduler(config);
    case 'euler-a':
      return new EulerAncestralScheduler(config);
    case 'ddim':
      return new DdimScheduler(config);
    case 'pndm':
      return new PndmScheduler(config);
    case 'dpm':
    case 'dpm-karras':
      return new DpmSolverScheduler(config);
    case 'lcm':
      return new LcmScheduler(config);
  }
}
