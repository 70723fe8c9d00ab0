import type { LeafStep, RunbookDefinition, RunbookStep } from '../../config/runbook-schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Ctx } from '../context.ts';
import { loadIncidentViewsById, recordChange } from '../incidents/index.ts';
import { secretValues, stepFields, stepTimeout } from './definition.ts';
import { closeOpenSteps, findRun, incidentRefOf, insertStepRun, renewLease, stepRunsOf, updateRun, updateStepRun, userHandle, type RunRow } from './repository.ts';
import { runActor } from './run-actor.ts';
import { runCommandStep, type CommandSpec } from './steps/command.ts';
import { queueRunbookMessage, runIncidentStep, runNotifyStep, runStatuspageStep, type IncidentSpec } from './steps/firebreak-actions.ts';
import { runHttpStep, type HttpRequestSpec } from './steps/http.ts';
import { runSqlStep } from './steps/sql.ts';
import { sleepUnless, StepFailure, type StepEnv } from './steps/types.ts';
import { runWaitForStep, type WaitForSpec } from './steps/wait-for.ts';
import { mask, resolve, TemplateError, type Scope } from './template.ts';
import { checkJsonAssertion, parseJsonAssertion } from '../../lib/json-assertion.ts';

/** What executing a run needs: the node's identity and lease length, and the environment for secrets and commands. */
export interface ExecDeps {
  ctx: Ctx;
  logger: Logger;
  env: Readonly<Record<string, string | undefined>>;
  nodeId: string;
  leaseMs: number;
}

/** The run is no longer this node's to write: cancelled, or taken over after its lease expired. */
export class RunHalted extends Error {}
/** This node is shutting down: the run is marked interrupted at the step it was on. */
export class Shutdown extends Error {}

type Outcome = { ok: true; output: unknown } | { ok: false; error: string; output?: unknown };

/**
 * Executes a claimed run from where its record says it stands, step by step, writing each step's
 * start and end (and its timeline entries) before moving on. Every write is fenced on this node's
 * lease, so a node that lost its run (cancelled, or presumed dead and marked interrupted) can never
 * overwrite what happened since. An approval step parks the run and returns.
 */
export async function executeRun(deps: ExecDeps, runId: string, stop: AbortSignal): Promise<void> {
  const run = await findRun(deps.ctx, runId);
  if (run.status !== 'running' || run.lease_owner !== deps.nodeId) return;
  const exec = new RunExecution(deps, run, stop);
  await exec.execute();
}

class RunExecution {
  /** A drill's run carries its cleanup steps and what it may reach (see drills/definition.ts). */
  private readonly def: RunbookDefinition & { cleanup?: LeafStep[]; drill?: { id: string; status_page?: 'hold' | 'publish' } };
  private cleanedUp = false;
  private readonly secrets: string[];
  private readonly scope: Scope;
  private readonly ctx: Ctx;
  private incident: { id: string; number: number } | null = null;
  private readonly halt = new AbortController();

  constructor(
    private readonly deps: ExecDeps,
    private readonly run: RunRow,
    stop: AbortSignal,
  ) {
    this.def = JSON.parse(run.definition) as RunExecution['def'];
    this.secrets = secretValues(this.def, deps.env);
    this.ctx = { ...deps.ctx, actor: runActor(run.runbook_id, run.started_by), requestId: `runbook-${run.id}` };
    this.scope = { vars: JSON.parse(run.variables), steps: {}, secrets: deps.env, run: { id: run.id }, incident: null };
    const onStop = () => this.halt.abort(new Shutdown('Firebreak is shutting down'));
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
  }

  async execute(): Promise<void> {
    const heartbeat = setInterval(() => {
      void renewLease(this.ctx, this.run.id, this.deps.nodeId, this.ctx.clock.now() + this.deps.leaseMs)
        .then((held) => {
          if (!held) this.halt.abort(new RunHalted('the run was cancelled or taken over'));
        })
        .catch((err) => this.deps.logger.warn({ err, run: this.run.id }, 'runbook lease renewal failed'));
    }, Math.max(50, Math.floor(this.deps.leaseMs / 3)));
    heartbeat.unref();
    try {
      await this.steps();
    } catch (e) {
      if (e instanceof RunHalted) return;
      const reason = this.halt.signal.reason;
      if (reason instanceof Shutdown) {
        await this.finish('interrupted', `interrupted at step "${this.run.current_step ?? '?'}": Firebreak shut down while it ran`).catch(() => {});
        return;
      }
      if (reason instanceof RunHalted) return;
      this.deps.logger.error({ err: { message: mask((e as Error).message, this.secrets), stack: mask((e as Error).stack ?? '', this.secrets) }, run: this.run.id }, 'runbook run failed unexpectedly');
      await this.finish('failed', `internal error: ${mask((e as Error).message, this.secrets)}`).catch(() => {});
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs `fn` in a transaction that first renews (and so proves) this node's lease on the run. */
  private async fenced<T>(fn: (tx: Ctx) => Promise<T>): Promise<T> {
    return withTransaction(this.ctx, async (tx) => {
      if (!(await renewLease(tx, this.run.id, this.deps.nodeId, tx.clock.now() + this.deps.leaseMs))) throw new RunHalted('the run is no longer held by this node');
      return fn(tx);
    });
  }

  private async timeline(tx: Ctx, kind: string, body: string, data: Record<string, unknown>): Promise<void> {
    if (this.incident) await recordChange(tx, this.incident, { kind, body: mask(body, this.secrets), data: mask({ run: this.run.id, runbook: this.run.runbook_id, ...data }, this.secrets) }, { touch: false });
  }

  private async steps(): Promise<void> {
    this.incident = await incidentRefOf(this.ctx, this.run.incident_id);
    this.scope.incident = this.incident ? { ref: `INC-${this.incident.number}` } : null;
    // Outputs of the steps already done feed the rest (as recorded: secrets masked).
    const records = await stepRunsOf(this.ctx, this.run.id);
    const latest = new Map<string, (typeof records)[number]>();
    for (const r of records) latest.set(r.step_path, r);
    for (const [path, r] of latest) {
      const id = path.startsWith('rollback/') ? null : path.split('/').at(-1)!;
      // A skipped step's record keeps why; its output, as during the first pass, is null.
      if (id && (r.status === 'succeeded' || r.status === 'failed' || r.status === 'skipped')) this.scope.steps[id] = { output: r.outputs === null || r.status === 'skipped' ? null : JSON.parse(r.outputs), status: r.status };
    }
    let index = this.run.current_step === null ? 0 : Math.max(0, this.def.steps.findIndex((s) => s.id === this.run.current_step));
    if (this.run.current_step !== null && this.run.rerun_current === 0) {
      // Back from an approval (or its timeout): the decision is on the step's record.
      const step = this.def.steps[index];
      const record = latest.get(step.id);
      if (record?.status === 'succeeded') index++;
      else if (record && (record.status === 'rejected' || record.status === 'failed')) {
        if (!(await this.failed(step, record.error ?? 'failed'))) return;
        index++;
      }
    } else if (this.run.started_at === null) {
      await this.fenced(async (tx) => {
        await updateRun(tx, this.run.id, { started_at: tx.clock.now(), updated_at: tx.clock.now() });
        await this.timeline(tx, 'runbook_started', `Runbook ${this.def.name} (${this.run.runbook_id} ${this.run.version}) started by ${this.run.started_by}`, { version: this.run.version, started_by: this.run.started_by });
      });
    }
    for (; index < this.def.steps.length; index++) {
      const step = this.def.steps[index];
      this.run.current_step = step.id;
      await this.fenced((tx) => updateRun(tx, this.run.id, { current_step: step.id, rerun_current: 0, updated_at: tx.clock.now() }));
      if (await this.skipped(step, step.id)) continue;
      if (step.type === 'approval') {
        await this.askApproval(step);
        return;
      }
      const outcome = step.type === 'parallel' ? await this.group(step) : await this.leaf(step, step.id);
      if (outcome.ok) continue;
      if (!(await this.failed(step, outcome.error, outcome.output))) return;
    }
    await this.finish('succeeded', null);
  }

  /** Applies a top-level step's on_failure; true when the run goes on. */
  private async failed(step: RunbookStep, error: string, output?: unknown): Promise<boolean> {
    if (step.on_failure === 'continue') {
      this.scope.steps[step.id] = { output: output ?? null, status: 'failed' };
      return true;
    }
    if (step.on_failure === 'rollback') {
      const problems: string[] = [];
      for (const r of this.def.rollback) {
        const outcome = await this.leaf(r, `rollback/${r.id}`);
        if (!outcome.ok) {
          problems.push(`rollback step "${r.id}" failed: ${outcome.error}`);
          if (r.on_failure === 'stop') break;
        }
      }
      await this.finish('failed', `step "${step.id}" failed: ${error}; ${problems.length ? problems.join('; ') : 'rolled back'}`);
      return false;
    }
    await this.finish('failed', `step "${step.id}" failed: ${error}`);
    return false;
  }

  private async finish(status: 'succeeded' | 'failed' | 'interrupted', error: string | null): Promise<void> {
    if (status !== 'interrupted') await this.cleanup();
    await this.fenced(async (tx) => {
      const now = tx.clock.now();
      await updateRun(tx, this.run.id, { status, error: error === null ? null : mask(error, this.secrets), finished_at: now, updated_at: now, lease_owner: null, lease_until: 0 });
      if (status === 'interrupted') await closeOpenSteps(tx, this.run.id, 'interrupted', now, 'Firebreak shut down while the step ran');
      await this.timeline(tx, 'runbook_finished', `Runbook ${this.def.name} ${status}${error ? `: ${error}` : ''}`, { status, error });
    });
  }

  /**
   * A drill's cleanup steps (stored with the run's definition): each runs at the end, whether the
   * run succeeded or failed, and whatever the others did. Their outcome is recorded as steps
   * (`cleanup/<id>`) and judged by the drill, not by the run's status.
   */
  private async cleanup(): Promise<void> {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    for (const step of this.def.cleanup ?? []) {
      this.run.current_step = `cleanup/${step.id}`;
      await this.leaf(step, `cleanup/${step.id}`);
    }
  }

  private async askApproval(step: Extract<RunbookStep, { type: 'approval' }>): Promise<void> {
    const inputs = mask(resolve(stepFields(step), { ...this.scope, secrets: 'masked' }), this.secrets) as Record<string, unknown>;
    await this.fenced(async (tx) => {
      const now = tx.clock.now();
      const deadline = now + stepTimeout(step);
      await insertStepRun(tx, { id: newId('rbs', now), run_id: this.run.id, step_path: step.id, step_type: 'approval', attempt: 1, status: 'waiting', inputs: JSON.stringify(inputs), outputs: null, started_at: now, finished_at: null, approved_by: null, comment: null, error: null });
      await updateRun(tx, this.run.id, { status: 'waiting_approval', deadline_at: deadline, updated_at: now, lease_owner: null, lease_until: 0 });
      await this.timeline(tx, 'runbook_approval', `Runbook ${this.def.name} waits for approval of "${step.id}": ${String(inputs.message)}`, { step: step.id, state: 'waiting', deadline_at: new Date(deadline).toISOString(), started_by: this.run.started_by });
      // The approvers named by handle are asked directly (by their high-urgency methods); a step
      // that names none asks the incident's commander, who decides in an incident, unless the
      // commander started the run (and so may not approve it).
      let users = step.approvers?.users ?? [];
      if (this.incident && users.length === 0) {
        const [view] = await loadIncidentViewsById(tx, [this.incident.id]);
        const starter = this.run.started_by_user === null ? undefined : await userHandle(tx, this.run.started_by_user);
        const commander = view?.roles.commander;
        if (commander && commander !== starter) users = [commander];
      }
      if (this.incident && users.length) {
        const drill = this.def.drill ? `[drill ${this.def.drill.id}] ` : '';
        const body = mask(`${drill}Approval needed for runbook ${this.def.name}: ${String(inputs.message)}\nApprove: firebreak runbook approve ${this.run.id} ${step.id} (or reject), before ${new Date(deadline).toISOString()}. Started by ${this.run.started_by}.`, this.secrets);
        await queueRunbookMessage(tx, this.incident, { users }, body, `runbook/${this.run.id}/${step.id}/${now}`);
      }
    });
  }

  /** A parallel group: its steps at once, each with its own retries; the group fails if one that stops fails. */
  private async group(step: Extract<RunbookStep, { type: 'parallel' }>): Promise<Outcome> {
    const startedAt = this.ctx.clock.now();
    const id = newId('rbs', startedAt);
    await this.fenced(async (tx) => {
      await insertStepRun(tx, { id, run_id: this.run.id, step_path: step.id, step_type: 'parallel', attempt: 1, status: 'running', inputs: JSON.stringify({ steps: step.steps.map((s) => s.id) }), outputs: null, started_at: tx.clock.now(), finished_at: null, approved_by: null, comment: null, error: null });
    });
    const outcomes = await Promise.all(step.steps.map((c) => this.leaf(c, `${step.id}/${c.id}`)));
    const output: Record<string, unknown> = {};
    const problems: string[] = [];
    step.steps.forEach((c, i) => {
      const o = outcomes[i];
      output[c.id] = o.ok ? o.output : (o.output ?? null);
      if (!o.ok && c.on_failure !== 'continue') problems.push(`"${c.id}": ${o.error}`);
    });
    const error = problems.length ? problems.join('; ') : null;
    await this.fenced(async (tx) => {
      await updateStepRun(tx, id, { status: error ? 'failed' : 'succeeded', outputs: JSON.stringify(mask(output, this.secrets)), finished_at: tx.clock.now(), error });
    });
    this.scope.steps[step.id] = { output, status: error ? 'failed' : 'succeeded' };
    return error ? { ok: false, error, output } : { ok: true, output };
  }

  /**
   * A step whose `when` does not hold is recorded as skipped (with why) and counts as done: the
   * run goes on, and later conditions can read `$.steps.<id>.status == "skipped"`.
   */
  private async skipped(step: RunbookStep | LeafStep, path: string): Promise<boolean> {
    if (step.when === undefined) return false;
    const condition = parseJsonAssertion(step.when);
    const doc = { vars: this.scope.vars, steps: this.scope.steps, incident: this.scope.incident };
    if (checkJsonAssertion(condition, doc) === null) return false;
    // Why, in words read off the masked values: the value a message quotes is cut and escaped, so
    // masking the message afterwards could miss a secret cut in half.
    const reason = checkJsonAssertion(condition, mask(doc, this.secrets)) ?? `${step.when}: does not hold`;
    await this.fenced(async (tx) => {
      const now = tx.clock.now();
      await insertStepRun(tx, { id: newId('rbs', now), run_id: this.run.id, step_path: path, step_type: step.type, attempt: 1, status: 'skipped', inputs: JSON.stringify({ when: step.when }), outputs: JSON.stringify({ skipped: reason }), started_at: now, finished_at: now, approved_by: null, comment: null, error: null });
      await this.timeline(tx, 'runbook_step', `Step ${path} skipped: its condition does not hold (${reason})`, { step: path, type: step.type, state: 'skipped', when: step.when, reason });
    });
    this.scope.steps[step.id] = { output: null, status: 'skipped' };
    return true;
  }

  /** One step with its retries: each attempt recorded as it starts and as it ends. */
  private async leaf(step: LeafStep, path: string): Promise<Outcome> {
    // Top-level steps were looked at by the main loop; group members, rollback and cleanup here.
    if (path !== step.id && (await this.skipped(step, path))) return { ok: true, output: null };
    const attempts = step.retries + 1;
    let last: Outcome = { ok: false, error: 'not run' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleepUnless(step.backoff * 2 ** (attempt - 2), this.halt.signal).catch(() => this.throwHalt());
      last = await this.attempt(step, path, attempt, attempts);
      if (last.ok) break;
    }
    this.scope.steps[step.id] = { output: last.ok ? last.output : (last.output ?? null), status: last.ok ? 'succeeded' : 'failed' };
    return last;
  }

  private throwHalt(): never {
    throw this.halt.signal.reason instanceof Error ? this.halt.signal.reason : new RunHalted('halted');
  }

  private async attempt(step: LeafStep, path: string, attempt: number, attempts: number): Promise<Outcome> {
    if (this.halt.signal.aborted) this.throwHalt();
    const fields = stepFields(step);
    let real: Record<string, unknown>;
    let recorded: unknown;
    let templateError: string | null = null;
    try {
      real = resolve(fields, this.scope) as Record<string, unknown>;
      recorded = mask(resolve(fields, { ...this.scope, secrets: 'masked' }), this.secrets);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      templateError = mask(e.message, this.secrets);
      real = {};
      recorded = fields;
    }
    const id = newId('rbs', this.ctx.clock.now());
    await this.fenced(async (tx) => {
      await insertStepRun(tx, { id, run_id: this.run.id, step_path: path, step_type: step.type, attempt, status: 'running', inputs: JSON.stringify(recorded), outputs: null, started_at: tx.clock.now(), finished_at: null, approved_by: null, comment: null, error: null });
      await this.timeline(tx, 'runbook_step', `Step ${path} (${step.type}) started${attempts > 1 ? `, attempt ${attempt} of ${attempts}` : ''}`, { step: path, type: step.type, attempt, state: 'started', inputs: recorded });
    });
    const started = Date.now();
    let outcome: Outcome;
    if (templateError !== null) outcome = { ok: false, error: templateError };
    else {
      try {
        outcome = { ok: true, output: await this.perform(step, path, real) };
      } catch (e) {
        if (e instanceof RunHalted || e instanceof Shutdown) throw e;
        if (!(e instanceof StepFailure)) this.deps.logger.warn({ err: { message: mask((e as Error).message, this.secrets) }, run: this.run.id, step: path }, 'runbook step raised an error');
        outcome = { ok: false, error: mask((e as Error).message, this.secrets), output: e instanceof StepFailure ? e.output : undefined };
      }
    }
    const output = outcome.ok ? outcome.output : (outcome.output ?? null);
    const recordedOutput = mask(output ?? null, this.secrets);
    await this.fenced(async (tx) => {
      await updateStepRun(tx, id, { status: outcome.ok ? 'succeeded' : 'failed', outputs: JSON.stringify(recordedOutput), finished_at: tx.clock.now(), error: outcome.ok ? null : outcome.error });
      await this.timeline(tx, 'runbook_step', `Step ${path} ${outcome.ok ? 'succeeded' : `failed: ${outcome.error}`} (${Date.now() - started} ms)`, { step: path, type: step.type, attempt, state: outcome.ok ? 'succeeded' : 'failed', duration_ms: Date.now() - started, ...(outcome.ok ? {} : { error: outcome.error }) });
    });
    return outcome;
  }

  /** Executes one attempt under the step's timeout; the run's halt aborts it too. */
  private async perform(step: LeafStep, path: string, spec: Record<string, unknown>): Promise<unknown> {
    const timeoutMs = stepTimeout(step);
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(new StepFailure(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const signal = AbortSignal.any([this.halt.signal, timer.signal]);
    const env: StepEnv = {
      signal,
      ctx: this.ctx,
      env: this.deps.env,
      incident: this.incident,
      runId: this.run.id,
      stepPath: path,
      linkIncident: (incident) => this.linkIncident(incident),
      runCreatedAt: Number(this.run.created_at),
      drill: this.def.drill ? { id: this.def.drill.id, status_page: this.def.drill.status_page ?? 'hold' } : null,
    };
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      return await Promise.race([this.dispatch(step, spec, env, timeoutMs), aborted]);
    } finally {
      clearTimeout(handle);
    }
  }

  private dispatch(step: LeafStep, spec: Record<string, unknown>, env: StepEnv, timeoutMs: number): Promise<unknown> {
    switch (step.type) {
      case 'http':
        return runHttpStep(spec as unknown as HttpRequestSpec, env);
      case 'command':
        return runCommandStep(spec as unknown as CommandSpec, env);
      case 'sql': {
        const connection = this.ctx.config.current.runbooks.connections.find((c) => c.id === spec.connection);
        if (!connection) throw new StepFailure(`unknown connection "${String(spec.connection)}"`);
        return runSqlStep({ url: connection.url, query: String(spec.query), params: spec.params as never, timeoutMs }, env);
      }
      case 'wait_for':
        return runWaitForStep(spec as unknown as WaitForSpec, env);
      case 'notify':
        return runNotifyStep(spec as never, env);
      case 'statuspage':
        return runStatuspageStep(spec as never, env);
      case 'incident':
        return runIncidentStep(spec as unknown as IncidentSpec, env);
      case 'approval':
        throw new StepFailure('an approval is asked by the run, not executed');
    }
  }

  private async linkIncident(incident: { id: string; number: number }): Promise<void> {
    if (this.incident) return;
    await this.fenced((tx) => updateRun(tx, this.run.id, { incident_id: incident.id, updated_at: tx.clock.now() }));
    this.incident = incident;
    this.scope.incident = { ref: `INC-${incident.number}` };
  }
}
