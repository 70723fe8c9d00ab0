import { api } from '../api/client.ts';
import { navigate } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { useAction } from '../lib/use-action.ts';
import { ErrorNote } from './Feedback.tsx';

/** Starts a drill now (responders) and opens its run's report page, which follows the run. */
export function StartDrillButton({ drillId, name }: { drillId: string; name: string }) {
  const { user } = useSession();
  const action = useAction();
  if (!hasRole(user, 'responder')) return null;
  return (
    <>
      <button
        type="button"
        className="small"
        disabled={action.busy}
        aria-label={`Run the drill ${name} now`}
        onClick={() => void action.run(async () => navigate(`/drill-runs/${(await api.startDrill(drillId)).id}`), 'Drill started.')}
      >
        {action.busy ? 'Starting…' : 'Run now'}
      </button>
      <ErrorNote error={action.error} prefix="The drill did not start" />
    </>
  );
}
