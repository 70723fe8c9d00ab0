import { parseArgs } from 'node:util';
import { readEnvironment } from '../config/settings.ts';
import { isDomainError } from '../lib/errors.ts';
import { CliError, processIo, type Io } from './io.ts';

export const USAGE = `firebreak — incident response and disaster recovery

Usage:
  firebreak serve [--port N] [--host H] [--data-dir DIR] [--config FILE]
  firebreak migrate [--status]
  firebreak config check [--config FILE] [--json]

Local administration (opens the server's database directly; same --data-dir / DATABASE_URL):
  firebreak user create <handle> --name NAME --email EMAIL [--role admin|responder|viewer] [--time-zone TZ]
  firebreak user list
  firebreak user reset-password <handle>   a new one-time password (people declared in the config start without one)
  firebreak token create --name NAME [--user HANDLE (default admin)] [--scopes read,write,admin]
  firebreak token revoke <token-id>

Backups (local: the server's database, and the key named by backups.encryption in the config):
  firebreak backup create [--target ID]                 snapshot, check, compress, encrypt and store (every target by default)
  firebreak backup verify [<backup-id>] [--target ID]   restore the newest (or named) backup into scratch and check it
  firebreak backup list [--target ID]                   backups recorded, with their last verification
  firebreak backup prune [--target ID] [--dry-run]      apply the retention policy (the plan is printed first)
  firebreak restore [<backup-id>] [--target ID] [--force]
                                                 into the configured data dir / DATABASE_URL, which must be empty
                                                 unless --force (stop the server first); older schemas are migrated

Incidents (talk to a running server; --url or FIREBREAK_URL, --token or FIREBREAK_TOKEN):
  firebreak incident list [--state S[,S…]] [--severity P1[,P2…]] [--service X] [--open] [--limit N] [--cursor C]
  firebreak incident show <ref>
  firebreak incident create --title T --severity P1 [--service a --service b | --services a,b] [--description D]
  firebreak incident ack <ref>
  firebreak incident resolve <ref> [--note N] [--override-reason R | --not-an-incident]
                                                 validated first: the services' checks must pass, no alerts
                                                 open, no recent user reports (or say why it is resolved anyway)
  firebreak incident note <ref> <text…>
  firebreak incident update <ref> <text…>        a stakeholder update, sent to the stakeholder groups
  firebreak incident escalate <ref> [--note N]   page the next level of the escalation policy now
  firebreak incident reassign <ref> --user H | --schedule S [--note N]   page them; automatic escalation stops
  firebreak incident escalation <ref>            the policy, its steps over time, every notification and its attempts
  firebreak postmortem export <ref>              the incident's postmortem as Markdown

Monitors (talk to a running server):
  firebreak monitor list [--service X]
  firebreak monitor show <id>          state, uptime per period, the last 24 h as a picture

On call (talk to a running server):
  firebreak oncall                     who is on call now for every schedule, since when, until when, and who is next
  firebreak oncall show <schedule> [--days N]   layers, and who is on call when over N days (14) as a picture
  firebreak oncall override <schedule> --user H --from T --to T --reason R [--replaces H]
  firebreak oncall override cancel <schedule> <override-id>

Runbooks (talk to a running server):
  firebreak runbook list                         runbooks in the config, with their versions
  firebreak runbook run <id> [--incident INC-n] [--var name=value …] [--dry-run] [--detach]
                                                 start a run and follow it step by step (--dry-run: print the plan, run nothing)
  firebreak runbook status <run-id>              every step with its times, and the run as a picture
  firebreak runbook approve <run-id> <step> [--comment C]   (someone other than who started the run)
  firebreak runbook reject <run-id> <step> [--comment C]
  firebreak runbook resume <run-id>              a failed or interrupted run, from the step it stopped at
  firebreak runbook cancel <run-id>

Drills (talk to a running server):
  firebreak drill list                           drills in the config, with their last result
  firebreak drill run <id>                       start a drill, follow its steps and cleanup, print the report (RTO, RPO, verdict)
  firebreak drill history [--service X] [--drill D] [--limit N]   drill runs, newest first, and the RTO trend as a picture

Status page (talk to a running server):
  firebreak status [--days N]          the public page: every component's status and its uptime over N days (90) as a picture,
                                       unresolved incidents and maintenance

  Times: ISO 8601 with an offset (2026-04-08T12:00+02:00), a local time in TZ ("2026-04-08 12:00"),
  "now", or "+2h" (for --to: after --from). NO_COLOR or a non-terminal gives plain letters.

Every command except serve and migrate takes --json for machine-readable output.

Settings come from flags or the environment: PORT, HOST, FIREBREAK_DATA_DIR, FIREBREAK_CONFIG,
DATABASE_URL (postgres://… for PostgreSQL; SQLite under the data dir otherwise),
FIREBREAK_ADMIN_PASSWORD (first start only), FIREBREAK_URL (default http://localhost:8080) and
FIREBREAK_TOKEN (client commands). Times are shown in the local time zone (TZ).
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  'trust-proxy': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  status: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // user and token commands
  name: { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  'time-zone': { type: 'string' },
  user: { type: 'string' },
  scopes: { type: 'string' },
  // incident commands
  state: { type: 'string' },
  severity: { type: 'string' },
  service: { type: 'string', multiple: true },
  services: { type: 'string' },
  open: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  note: { type: 'string' },
  'override-reason': { type: 'string' },
  'not-an-incident': { type: 'boolean' },
  // on-call commands
  days: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  replaces: { type: 'string' },
  schedule: { type: 'string' },
  // runbook commands
  incident: { type: 'string' },
  var: { type: 'string', multiple: true },
  comment: { type: 'string' },
  detach: { type: 'boolean' },
  // drill commands
  drill: { type: 'string' },
  // backup commands
  target: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
type OptionName = keyof typeof OPTIONS;
type Command = (args: string[], values: Values, io: Io) => Promise<number>;

const LOCAL: OptionName[] = ['data-dir', 'config', 'database-url', 'json'];
const CLIENT: OptionName[] = ['url', 'token', 'json'];

/** Subcommands of user, token and incident: the options each accepts, and what runs. */
// Commands are imported on demand: client commands then never load the server, its database
// drivers or the HTTP framework, which keeps `firebreak incident …` quick to start.
const SUBCOMMANDS: Record<string, Record<string, { options: OptionName[]; load: () => Promise<Command> }>> = {
  user: {
    create: { options: [...LOCAL, 'name', 'email', 'role', 'time-zone'], load: async () => (await import('./commands/user-create.ts')).userCreateCommand },
    list: { options: LOCAL, load: async () => (await import('./commands/user-list.ts')).userListCommand },
    'reset-password': { options: LOCAL, load: async () => (await import('./commands/user-reset-password.ts')).userResetPasswordCommand },
  },
  token: {
    create: { options: [...LOCAL, 'name', 'user', 'scopes'], load: async () => (await import('./commands/token-create.ts')).tokenCreateCommand },
    revoke: { options: LOCAL, load: async () => (await import('./commands/token-revoke.ts')).tokenRevokeCommand },
  },
  backup: {
    create: { options: [...LOCAL, 'target'], load: async () => (await import('./commands/backup-create.ts')).backupCreateCommand },
    verify: { options: [...LOCAL, 'target'], load: async () => (await import('./commands/backup-verify.ts')).backupVerifyCommand },
    list: { options: [...LOCAL, 'target'], load: async () => (await import('./commands/backup-list.ts')).backupListCommand },
    prune: { options: [...LOCAL, 'target', 'dry-run'], load: async () => (await import('./commands/backup-prune.ts')).backupPruneCommand },
  },
  monitor: {
    list: { options: [...CLIENT, 'service'], load: async () => (await import('./commands/monitor-list.ts')).monitorListCommand },
    show: { options: CLIENT, load: async () => (await import('./commands/monitor-show.ts')).monitorShowCommand },
  },
  incident: {
    list: { options: [...CLIENT, 'state', 'severity', 'service', 'open', 'limit', 'cursor'], load: async () => (await import('./commands/incident-list.ts')).incidentListCommand },
    show: { options: CLIENT, load: async () => (await import('./commands/incident-show.ts')).incidentShowCommand },
    create: { options: [...CLIENT, 'title', 'severity', 'service', 'services', 'description'], load: async () => (await import('./commands/incident-create.ts')).incidentCreateCommand },
    ack: { options: CLIENT, load: async () => (await import('./commands/incident-ack.ts')).incidentAckCommand },
    acknowledge: { options: CLIENT, load: async () => (await import('./commands/incident-ack.ts')).incidentAckCommand },
    resolve: { options: [...CLIENT, 'note', 'override-reason', 'not-an-incident'], load: async () => (await import('./commands/incident-resolve.ts')).incidentResolveCommand },
    note: { options: CLIENT, load: async () => (await import('./commands/incident-note.ts')).incidentNoteCommand },
    update: { options: CLIENT, load: async () => (await import('./commands/incident-update.ts')).incidentUpdateCommand },
    escalate: { options: [...CLIENT, 'note'], load: async () => (await import('./commands/incident-escalate.ts')).incidentEscalateCommand },
    reassign: { options: [...CLIENT, 'user', 'schedule', 'note'], load: async () => (await import('./commands/incident-reassign.ts')).incidentReassignCommand },
    escalation: { options: CLIENT, load: async () => (await import('./commands/incident-escalation.ts')).incidentEscalationCommand },
  },
  runbook: {
    list: { options: CLIENT, load: async () => (await import('./commands/runbook-list.ts')).runbookListCommand },
    run: { options: [...CLIENT, 'incident', 'var', 'dry-run', 'detach'], load: async () => (await import('./commands/runbook-run.ts')).runbookRunCommand },
    status: { options: CLIENT, load: async () => (await import('./commands/runbook-status.ts')).runbookStatusCommand },
    approve: { options: [...CLIENT, 'comment'], load: async () => (await import('./commands/runbook-decide.ts')).runbookDecideCommand('approve') },
    reject: { options: [...CLIENT, 'comment'], load: async () => (await import('./commands/runbook-decide.ts')).runbookDecideCommand('reject') },
    resume: { options: CLIENT, load: async () => (await import('./commands/runbook-decide.ts')).runbookControlCommand('resume') },
    cancel: { options: CLIENT, load: async () => (await import('./commands/runbook-decide.ts')).runbookControlCommand('cancel') },
  },
  drill: {
    list: { options: CLIENT, load: async () => (await import('./commands/drill-list.ts')).drillListCommand },
    run: { options: CLIENT, load: async () => (await import('./commands/drill-run.ts')).drillRunCommand },
    history: { options: [...CLIENT, 'service', 'drill', 'limit'], load: async () => (await import('./commands/drill-history.ts')).drillHistoryCommand },
  },
  postmortem: {
    export: { options: CLIENT, load: async () => (await import('./commands/postmortem-export.ts')).postmortemExportCommand },
  },
  status: {
    show: { options: [...CLIENT, 'days'], load: async () => (await import('./commands/status-show.ts')).statusShowCommand },
  },
  oncall: {
    list: { options: CLIENT, load: async () => (await import('./commands/oncall-list.ts')).oncallListCommand },
    show: { options: [...CLIENT, 'days'], load: async () => (await import('./commands/oncall-show.ts')).oncallShowCommand },
    override: { options: [...CLIENT, 'user', 'from', 'to', 'reason', 'replaces'], load: async () => (await import('./commands/oncall-override.ts')).oncallOverrideCommand },
  },
};

/** The subcommand a group runs when given none: `firebreak oncall` is `firebreak oncall list`. */
const DEFAULT_SUBCOMMAND: Record<string, string> = { oncall: 'list', status: 'show' };

/** Refuses options that mean nothing to this command, so a typo'd filter is not silently ignored. */
function assertOptions(command: string, values: Values, allowed: readonly OptionName[]) {
  const stray = (Object.keys(values) as OptionName[]).filter((k) => k !== 'help' && values[k] !== undefined && !allowed.includes(k));
  if (stray.length) throw new CliError(`${command} does not take ${stray.map((k) => `--${k}`).join(', ')} (see firebreak --help)`, 2);
}

/** Runs one command and returns its exit code; errors are printed as one readable line. */
export async function main(argv: string[], io: Io = processIo(readEnvironment())): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    const [command, sub, ...rest] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    switch (command) {
      case 'serve':
        return await (await import('./commands/serve.ts')).serveCommand(values, io);
      case 'migrate':
        return await (await import('./commands/migrate.ts')).migrateCommand(values, io);
      case 'restore': {
        assertOptions('restore', values, [...LOCAL, 'target', 'force']);
        const args = [sub, ...rest].filter((a): a is string => a !== undefined);
        return await (await import('./commands/restore.ts')).restoreCommand(args, values, io);
      }
      case 'config':
        if (sub === 'check') return await (await import('./commands/config-check.ts')).configCheckCommand(values, io);
        throw new CliError(`unknown config command "${sub ?? ''}"; try: firebreak config check`, 2);
    }
    const group = SUBCOMMANDS[command];
    if (!group) throw new CliError(`unknown command "${command}"\n\n${USAGE}`, 2);
    const name = sub ?? DEFAULT_SUBCOMMAND[command];
    const entry = name !== undefined && Object.hasOwn(group, name) ? group[name] : undefined;
    if (!entry) throw new CliError(`unknown ${command} command "${sub ?? ''}"; try: ${Object.keys(group).map((s) => `firebreak ${command} ${s}`).join(', ')}`, 2);
    assertOptions(`${command} ${name}`, values, entry.options);
    return await (await entry.load())(rest, values, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`firebreak: ${e.message}\n`);
      return e.exitCode;
    }
    if (isDomainError(e) || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.err(`firebreak: ${(e as Error).message}\n`);
      return 1;
    }
    io.err(`firebreak: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
