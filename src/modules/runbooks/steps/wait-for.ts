import { monitorStatus } from '../repository.ts';
import { sendHttp, type HttpRequestSpec } from './http.ts';
import { sleepUnless, StepFailure, type StepEnv } from './types.ts';

export interface WaitForSpec {
  monitor?: string;
  state: string;
  http?: HttpRequestSpec;
  interval: number;
}

/**
 * Looks every `interval` until the condition holds: a monitor's confirmed state (as the monitor
 * runner recorded it), or an HTTP answer meeting `expect`. The step's timeout is the deadline.
 */
export async function runWaitForStep(spec: WaitForSpec, env: StepEnv): Promise<{ waited_ms: number; checks: number; last: string }> {
  const started = Date.now();
  let checks = 0;
  let last = '';
  for (;;) {
    checks++;
    if (spec.monitor !== undefined) {
      const status = await monitorStatus(env.ctx, spec.monitor);
      if (status === undefined) throw new StepFailure(`monitor "${spec.monitor}" has no state yet`);
      last = `monitor ${spec.monitor} is ${status}`;
      if (status === spec.state) return { waited_ms: Date.now() - started, checks, last };
    } else {
      try {
        const { output, problems } = await sendHttp(spec.http!, env.signal);
        last = problems.length ? problems.join('; ') : `status ${output.status}`;
        if (!problems.length) return { waited_ms: Date.now() - started, checks, last };
      } catch (e) {
        if (env.signal.aborted) throw env.signal.reason;
        last = (e as Error).message;
      }
    }
    await sleepUnless(spec.interval, env.signal);
  }
}
