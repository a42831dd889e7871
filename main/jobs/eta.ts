/**
 * Estimates the seconds left from measured UNet step times: the run's cost is its steps, and the
 * first avatar's steps already tell what a step costs on this machine with this model.
 */
export class EtaEstimator {
  private stepsDone = 0;
  private elapsedMs = 0;

  constructor(private stepsTotal: number) {}

  /** A step (UNet call plus its share of decoding and moderation) took `ms`. */
  record(steps: number, ms: number): void {
    this.stepsDone += steps;
    this.elapsedMs += ms;
  }

  /** A retried avatar adds its steps to the run. */
  addSteps(steps: number): void {
    this.stepsTotal += steps;
  }

  /** Undefined until a step has been measured: a guess before that would only mislead. */
  secondsLeft(): number | undefined {
    if (this.stepsDone === 0) return undefined;
    const remaining = Math.max(this.stepsTotal - this.stepsDone, 0);
    return ((this.elapsedMs / this.stepsDone) * remaining) / 1000;
  }
}
